// Filesystem write confinement with Landlock for the basic (no-namespace) sandbox mode: after it,
// the process and its children may create, change, rename or delete files only under one
// directory; reading and executing stay allowed everywhere. Works without privileges.
#pragma once

namespace t2::tasks::sandbox {

// Restricts writes to `dir`. Async-signal-safe (system calls only). Returns 1 when applied, 0 when
// the kernel has no Landlock (too old or disabled), -errno on failure. Needs no_new_privs first.
int restrict_writes_to(const char* dir);

}  // namespace t2::tasks::sandbox

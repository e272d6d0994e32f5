// A hand-written seccomp-BPF filter for sandboxed programs: no sockets (EACCES), no ptrace or
// cross-process memory access, no io_uring, no mounts or new namespaces, no bpf/perf/keyrings, and
// kill/tkill/tgkill only towards the sandbox's own process group (never pid -1 or other groups).
// Built in the parent (allocation) and installed in the child (syscalls only).
#pragma once

#include <linux/filter.h>  // sock_filter

#include <vector>

namespace t2::tasks::sandbox {

// The filter program. own_pgid: the sandbox's process group (= its leader's pid as the sandbox
// sees it); negative pids other than -own_pgid are refused. Empty on unsupported architectures.
std::vector<sock_filter> build_seccomp_filter(int own_pgid);

// Patches the own-pgid constants of a filter built with a placeholder (for use after fork).
void patch_seccomp_pgid(std::vector<sock_filter>& filter, int own_pgid);

// Installs the filter (needs no_new_privs set). Async-signal-safe. Returns 0 or -errno.
int install_seccomp_filter(const std::vector<sock_filter>& filter);

}  // namespace t2::tasks::sandbox

// Implementation of the Landlock write confinement.
#include "tasks/sandbox/landlock.h"

#include <fcntl.h>
#include <linux/landlock.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace t2::tasks::sandbox {

namespace {

// landlock_ruleset_attr as of Landlock ABI 6 (older kernel headers lack the last two fields).
struct RulesetAttr {
  uint64_t handled_access_fs;
  uint64_t handled_access_net;
  uint64_t scoped;
};
constexpr uint64_t kScopeSignal = 1ULL << 1;  // LANDLOCK_SCOPE_SIGNAL (ABI 6, Linux 6.12)

}  // namespace

int restrict_writes_to(const char* dir) {
  const long abi = ::syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  if (abi < 1) return (errno == ENOSYS || errno == EOPNOTSUPP) ? 0 : -errno;
  uint64_t writes = LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |
                    LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |
                    LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
                    LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |
                    LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM;
  if (abi >= 2) writes |= 1ULL << 13;  // REFER: links and renames across directories
  if (abi >= 3) writes |= 1ULL << 14;  // TRUNCATE
  // From ABI 6 on, also refuse signals to processes outside the domain: without it, a program
  // that runs as the calling user could kill that user's processes, t2 itself included.
  RulesetAttr attr{};
  attr.handled_access_fs = writes;
  size_t attr_size = sizeof(attr.handled_access_fs);
  if (abi >= 6) {
    attr.scoped = kScopeSignal;
    attr_size = sizeof(attr);
  }
  const int ruleset = static_cast<int>(::syscall(SYS_landlock_create_ruleset, &attr, attr_size, 0));
  if (ruleset < 0) return -errno;
  int rc = 0;
  const int dir_fd = ::open(dir, O_PATH | O_CLOEXEC | O_DIRECTORY);
  if (dir_fd < 0) {
    rc = -errno;
  } else {
    landlock_path_beneath_attr rule{};
    rule.allowed_access = writes;
    rule.parent_fd = dir_fd;
    if (::syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) != 0) rc = -errno;
    ::close(dir_fd);
  }
  if (rc == 0 && ::syscall(SYS_landlock_restrict_self, ruleset, 0) != 0) rc = -errno;
  ::close(ruleset);
  return rc == 0 ? 1 : rc;
}

}  // namespace t2::tasks::sandbox

// Implementation of the sandbox's seccomp filter.
#include "tasks/sandbox/seccomp.h"

#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <cerrno>
#include <cstddef>

namespace t2::tasks::sandbox {
namespace {

#if defined(__x86_64__)
constexpr unsigned kArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr unsigned kArch = AUDIT_ARCH_AARCH64;
#else
constexpr unsigned kArch = 0;
#endif

constexpr unsigned kPgidMarker = 0x7ffffff1u;  // placeholder, patched with -own_pgid

sock_filter stmt(unsigned short code, unsigned k) { return BPF_STMT(code, k); }
sock_filter jump(unsigned short code, unsigned k, unsigned char jt, unsigned char jf) {
  return BPF_JUMP(code, k, jt, jf);
}

}  // namespace

std::vector<sock_filter> build_seccomp_filter(int own_pgid) {
  std::vector<sock_filter> f;
  if (kArch == 0) return f;
  const unsigned nr_off = offsetof(seccomp_data, nr);
  const unsigned arch_off = offsetof(seccomp_data, arch);
  const unsigned arg0_off = offsetof(seccomp_data, args[0]);  // low 32 bits (little endian)
  const unsigned allow = SECCOMP_RET_ALLOW;
  auto err = [](int e) { return SECCOMP_RET_ERRNO | static_cast<unsigned>(e); };

  f.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, arch_off));
  f.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, kArch, 1, 0));
  f.push_back(stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
  f.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, nr_off));
#if defined(__x86_64__)
  f.push_back(jump(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1));  // x32 ABI: refuse
  f.push_back(stmt(BPF_RET | BPF_K, err(ENOSYS)));
#endif
  struct Deny {
    long nr;
    int err;
  };
  const Deny denies[] = {
      {SYS_socket, EACCES},        {SYS_ptrace, EPERM},          {SYS_process_vm_readv, EPERM},
      {SYS_process_vm_writev, EPERM}, {SYS_io_uring_setup, ENOSYS}, {SYS_mount, EPERM},
      {SYS_umount2, EPERM},        {SYS_unshare, EPERM},         {SYS_setns, EPERM},
      {SYS_bpf, EPERM},            {SYS_perf_event_open, EPERM}, {SYS_keyctl, EPERM},
      {SYS_add_key, EPERM},        {SYS_request_key, EPERM},     {SYS_pidfd_send_signal, EPERM},
      {SYS_pidfd_open, EPERM},     {SYS_mount_setattr, EPERM},   {SYS_open_tree, EPERM},
      {SYS_move_mount, EPERM},     {SYS_fsopen, EPERM},          {SYS_kexec_load, EPERM},
      {SYS_init_module, EPERM},    {SYS_finit_module, EPERM},    {SYS_reboot, EPERM},
  };
  for (const auto& d : denies) {
    f.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, static_cast<unsigned>(d.nr), 0, 1));
    f.push_back(stmt(BPF_RET | BPF_K, err(d.err)));
  }
  // kill(pid), tkill(tid), tgkill(tgid): pid must be > 0, 0 (own group) or -own_pgid.
  // Positive pids outside the PID namespace do not exist inside it; in basic mode the uid drop
  // (root) or same-user rules apply. -1 (every process) and other groups are refused.
  for (long nr : {static_cast<long>(SYS_kill), static_cast<long>(SYS_tkill),
                  static_cast<long>(SYS_tgkill)}) {
    f.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, static_cast<unsigned>(nr), 0, 6));
    f.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, arg0_off));
    f.push_back(jump(BPF_JMP | BPF_JSET | BPF_K, 0x80000000u, 0, 2));  // negative?
    f.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, kPgidMarker, 1, 0));    // == -own_pgid ?
    f.push_back(stmt(BPF_RET | BPF_K, err(EPERM)));
    f.push_back(stmt(BPF_RET | BPF_K, allow));
    f.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, nr_off));  // reload nr for the next test
  }
  f.push_back(stmt(BPF_RET | BPF_K, allow));
  patch_seccomp_pgid(f, own_pgid);
  return f;
}

void patch_seccomp_pgid(std::vector<sock_filter>& filter, int own_pgid) {
  // The marker jumps sit right after a JSET 0x80000000; rewrite them in place (no allocation).
  for (size_t i = 1; i < filter.size(); ++i) {
    if (filter[i - 1].code == (BPF_JMP | BPF_JSET | BPF_K) && filter[i - 1].k == 0x80000000u &&
        filter[i].code == (BPF_JMP | BPF_JEQ | BPF_K)) {
      filter[i].k = static_cast<unsigned>(-own_pgid);
    }
  }
}

int install_seccomp_filter(const std::vector<sock_filter>& filter) {
  if (filter.empty()) return 0;
  sock_fprog prog{};
  prog.len = static_cast<unsigned short>(filter.size());
  prog.filter = const_cast<sock_filter*>(filter.data());
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) return -errno;
  return 0;
}

}  // namespace t2::tasks::sandbox

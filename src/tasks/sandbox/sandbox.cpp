// Implementation of the sandbox: child setup (namespaces, read-only mounts, rlimits, capability and
// seccomp lockdown), the parent's poll loop with output caps and the deadline, verdict parsing and
// the parallel runner. Between fork and exec the child only makes system calls (no allocation),
// because the parent may be multi-threaded.
#include "tasks/sandbox/sandbox.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include "base/error.h"
#include "base/log.h"
#include "io/file.h"
#include "tasks/sandbox/landlock.h"
#include "tasks/sandbox/seccomp.h"
#include "tasks/text.h"

#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#define MOUNT_ATTR_NOSUID 0x00000002
#define MOUNT_ATTR_NODEV 0x00000004
struct mount_attr {
  __u64 attr_set;
  __u64 attr_clr;
  __u64 propagation;
  __u64 userns_fd;
};
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

namespace t2::tasks::sandbox {

const char* isolation_name(Isolation i) {
  return i == Isolation::namespaces ? "namespaces" : "basic";
}

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::pass: return "pass";
    case Outcome::fail: return "fail";
    case Outcome::timeout: return "timeout";
    case Outcome::error: return "error";
  }
  return "?";
}

namespace {

constexpr int kNobody = 65534;

// Everything the child needs, prepared before fork so that the child allocates nothing.
struct ChildPlan {
  Isolation mode;
  const char* python;
  const char* const* argv;
  const char* const* envp;
  const char* dir;
  int fd_stdin, fd_out, fd_ctl, fd_res;  // all >= 10
  int fd_go, fd_go_write;  // namespace mode: '1' once the parent has written the ID maps; else -1
  const Limits* limits;
  std::vector<sock_filter>* filter;
  bool as_root;  // the program runs as nobody: basic mode drops to it, namespace mode maps to it
};

// Reports a setup failure on the result pipe and exits. Async-signal-safe.
[[noreturn]] void child_fail(const ChildPlan& p, const char* step) {
  const int e = errno;
  char buf[160];
  size_t n = 0;
  const char* head = "T2SETUP ";
  for (const char* c = head; *c && n < sizeof(buf) - 1; ++c) buf[n++] = *c;
  for (const char* c = step; *c && n < sizeof(buf) - 20; ++c) buf[n++] = *c;
  buf[n++] = ' ';
  char num[16];
  int k = 0;
  int v = e;
  do {
    num[k++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v && k < 15);
  while (k) buf[n++] = num[--k];
  buf[n++] = '\n';
  (void)!::write(p.fd_res, buf, n);
  ::_exit(127);
}

bool write_proc(const char* path, const char* text) {
  const int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const ssize_t len = static_cast<ssize_t>(std::strlen(text));
  const bool ok = ::write(fd, text, len) == len;
  ::close(fd);
  return ok;
}

// Credential changes as raw system calls. glibc's setresuid() and friends signal every thread
// of the process and wait for them; in a child cloned from a multi-threaded parent, glibc's
// thread list names threads that are not there, and the call can wait forever.
long set_groups_none() { return ::syscall(SYS_setgroups, 0, nullptr); }
long set_ids(unsigned id) {
  if (::syscall(SYS_setresgid, id, id, id) != 0) return -1;
  return ::syscall(SYS_setresuid, id, id, id);
}

void set_limit(int resource, rlim_t soft, rlim_t hard) {
  rlimit r{soft, hard};
  ::setrlimit(resource, &r);
}

constexpr int kSupervisorTimeout = 200;  // supervisor exit code: the wall-clock limit was reached

// Kills every descendant of the calling process (a child subreaper, so orphans come back to it)
// and reaps them, until it has no children left. Async-signal-safe.
void kill_descendants() {
  char path[64];
  {
    const char* head = "/proc/self/task/";
    size_t n = 0;
    for (const char* c = head; *c; ++c) path[n++] = *c;
    char num[16];
    int k = 0;
    for (long v = ::getpid(); v > 0 && k < 15; v /= 10) num[k++] = static_cast<char>('0' + v % 10);
    while (k) path[n++] = num[--k];
    for (const char* c = "/children"; *c; ++c) path[n++] = *c;
    path[n] = '\0';
  }
  for (int round = 0; round < 100000; ++round) {
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    char buf[4096];
    ssize_t len = fd >= 0 ? ::read(fd, buf, sizeof(buf) - 1) : -1;
    if (fd >= 0) ::close(fd);
    long pid = 0;
    for (ssize_t i = 0; i < len; ++i) {
      if (buf[i] >= '0' && buf[i] <= '9') {
        pid = pid * 10 + (buf[i] - '0');
      } else {
        if (pid > 0) ::kill(static_cast<pid_t>(pid), SIGKILL);
        pid = 0;
      }
    }
    if (pid > 0) ::kill(static_cast<pid_t>(pid), SIGKILL);
    int st = 0;
    pid_t r;
    while ((r = ::waitpid(-1, &st, WNOHANG)) > 0) {
    }
    if (r < 0 && errno == ECHILD) return;
    if (len <= 0) {
      timespec ts{0, 1000000};
      ::nanosleep(&ts, nullptr);
    }
  }
}

long monotonic_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

// Basic mode: the first child supervises. It leads the session, becomes a child subreaper (so a
// double-forked daemon is re-parented to it instead of escaping), runs the program in a child,
// enforces the wall-clock limit and kills every descendant before it exits. Exit code: the
// program's exit status, 128 + signal, or kSupervisorTimeout.
[[noreturn]] void supervise(pid_t child, long wall_ms) {
  const long deadline = monotonic_ms() + wall_ms;
  int status = 0;
  bool timed_out = false;
  // One reaper for the program and the re-parented orphans alike: a separate waitpid(child) before
  // a waitpid(-1) loop would lose the program's status whenever it exits between the two calls,
  // and the supervisor would then wait for the deadline and report a timeout for a finished run.
  for (;;) {
    bool done = false;
    int st = 0;
    for (pid_t r; (r = ::waitpid(-1, &st, WNOHANG)) > 0;) {
      if (r == child) {
        status = st;
        done = true;
      }
    }
    if (done) break;
    if (monotonic_ms() >= deadline) {
      timed_out = true;
      break;
    }
    timespec ts{0, 2000000};
    ::nanosleep(&ts, nullptr);
  }
  for (int round = 0; round < 20; ++round) {  // the program's group (forks left behind)
    ::kill(-child, SIGKILL);
    timespec ts{0, 500000};
    ::nanosleep(&ts, nullptr);
  }
  kill_descendants();  // whatever left the group (setsid daemons) came back to us as orphans
  if (timed_out) ::_exit(kSupervisorTimeout);
  if (WIFSIGNALED(status)) ::_exit(128 + WTERMSIG(status));
  ::_exit(WEXITSTATUS(status) & 0x7f);
}

[[noreturn]] void child_main(const ChildPlan& p) {
  if (p.mode == Isolation::basic) {
    if (::setsid() < 0) child_fail(p, "setsid");
    if (::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) child_fail(p, "subreaper");
    // A raw clone, not fork(): glibc's fork takes its own locks, which another thread of the
    // parent may have held at the moment this process was cloned.
    const pid_t child = static_cast<pid_t>(::syscall(SYS_clone, SIGCHLD, nullptr, nullptr, nullptr, nullptr));
    if (child < 0) child_fail(p, "fork");
    if (child > 0) {
      // The supervisor keeps no pipe ends: a read end held here would let a writer block forever.
      ::syscall(SYS_close_range, 3u, ~0u, 0u);
      supervise(child, static_cast<long>(p.limits->wall_seconds * 1000.0));
    }
    ::setpgid(0, 0);  // the program's own group, so one kill reaches all of its forks
  }
  if (p.mode == Isolation::namespaces) {
    ::close(p.fd_go_write);  // so that a parent that gives up is seen as end-of-file
    char go = 0;
    if (::read(p.fd_go, &go, 1) != 1 || go != '1') child_fail(p, "id-maps");
    // Become the namespace's root, i.e. the mapped user: the maps alone do not change our IDs.
    // Run by root, also leave root's supplementary groups (allowed: setgroups is not denied).
    if (p.as_root && set_groups_none() != 0) child_fail(p, "setgroups");
    if (set_ids(0) != 0) child_fail(p, "setresuid");
    ::setsid();
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) child_fail(p, "mount-private");
    if (::mount(p.dir, p.dir, nullptr, MS_BIND | MS_REC, nullptr) != 0) child_fail(p, "bind-tmp");
    mount_attr ro{};
    ro.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
    if (::syscall(SYS_mount_setattr, AT_FDCWD, "/", AT_RECURSIVE, &ro, sizeof(ro)) != 0)
      child_fail(p, "readonly-root");
    mount_attr rw{};
    rw.attr_clr = MOUNT_ATTR_RDONLY;
    if (::syscall(SYS_mount_setattr, AT_FDCWD, p.dir, 0, &rw, sizeof(rw)) != 0)
      child_fail(p, "writable-tmp");
    // A /proc of the new PID namespace, read-only; keep the old (read-only) one if not allowed.
    ::mount("proc", "/proc", "proc", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr);
  }
  if (::chdir(p.dir) != 0) child_fail(p, "chdir");
  const Limits& l = *p.limits;
  set_limit(RLIMIT_CPU, static_cast<rlim_t>(l.cpu_seconds), static_cast<rlim_t>(l.cpu_seconds + 1));
  set_limit(RLIMIT_AS, l.memory_bytes, l.memory_bytes);
  set_limit(RLIMIT_NPROC, static_cast<rlim_t>(l.max_processes), static_cast<rlim_t>(l.max_processes));
  set_limit(RLIMIT_FSIZE, l.file_bytes, l.file_bytes);
  set_limit(RLIMIT_NOFILE, static_cast<rlim_t>(l.open_files), static_cast<rlim_t>(l.open_files));
  set_limit(RLIMIT_CORE, 0, 0);
  if (p.mode == Isolation::basic && p.as_root) {
    if (set_groups_none() != 0 || set_ids(kNobody) != 0) {
      child_fail(p, "drop-to-nobody");
    }
  }
  if (p.mode == Isolation::namespaces) {
    // No capabilities survive exec: empty bounding set, then empty sets.
    for (int cap = 0; cap <= 63; ++cap) ::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (::syscall(SYS_capset, &hdr, data) != 0) child_fail(p, "capset");
  }
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) child_fail(p, "no_new_privs");
  // Basic mode has no read-only mounts: confine writes to the run directory with Landlock.
  if (p.mode == Isolation::basic && restrict_writes_to(p.dir) < 0) child_fail(p, "landlock");
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  patch_seccomp_pgid(*p.filter, static_cast<int>(::getpid()));
  if (install_seccomp_filter(*p.filter) != 0) child_fail(p, "seccomp");
  if (::dup2(p.fd_stdin, 0) < 0 || ::dup2(p.fd_out, 1) < 0 || ::dup2(p.fd_out, 2) < 0 ||
      ::dup2(p.fd_ctl, 3) < 0 || ::dup2(p.fd_res, 4) < 0) {
    child_fail(p, "dup2");
  }
  ::syscall(SYS_close_range, 5u, ~0u, 0u);
  ::execve(p.python, const_cast<char* const*>(p.argv), const_cast<char* const*>(p.envp));
  ChildPlan q = p;
  q.fd_res = 4;
  child_fail(q, "execve");
}

int high_fd(int fd) {
  const int h = ::fcntl(fd, F_DUPFD_CLOEXEC, 10);
  ::close(fd);
  return h;
}

std::string random_nonce() {
  unsigned char b[16];
  size_t got = 0;
  while (got < sizeof(b)) {
    const ssize_t n = ::getrandom(b + got, sizeof(b) - got, 0);
    if (n > 0) got += static_cast<size_t>(n);
  }
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (unsigned char c : b) {
    s += hex[c >> 4];
    s += hex[c & 15];
  }
  return s;
}

std::string find_python(const std::string& requested) {
  if (!requested.empty()) {
    T2_CHECK(::access(requested.c_str(), X_OK) == 0, "python interpreter '%s' is not executable",
             requested.c_str());
    return requested;
  }
  for (const char* p : {"/usr/bin/python3", "/usr/local/bin/python3", "/bin/python3"})
    if (::access(p, X_OK) == 0) return p;
  T2_FAIL("no python3 found in /usr/bin, /usr/local/bin or /bin; code tasks need python3 to run "
          "the generated programs");
}

std::string temp_base() {
  const char* t = std::getenv("TMPDIR");
  return t && *t ? t : "/tmp";
}

}  // namespace

Sandbox::Sandbox(Limits limits, int n_parallel, std::string python, Isolation strongest)
    : limits_(limits), python_(find_python(python)) {
  T2_CHECK(limits_.wall_seconds > 0 && limits_.cpu_seconds > 0 && limits_.memory_bytes > 0,
           "sandbox limits must be positive");
  const unsigned hc = std::thread::hardware_concurrency();
  n_parallel_ = n_parallel > 0 ? n_parallel : static_cast<int>(hc ? hc : 1);
  // Probe: the strongest isolation that can run a passing program here.
  const Job probe{"x = 1\n", "assert x == 1\n"};
  Limits probe_limits = limits_;  // generous: a loaded machine must not look like a broken kernel
  probe_limits.wall_seconds = std::max(limits_.wall_seconds, 30.0);
  probe_limits.cpu_seconds = std::max(limits_.cpu_seconds, 30);
  Result r;
  if (strongest == Isolation::namespaces) {
    r = run_with(probe, Isolation::namespaces, probe_limits);
    if (r.outcome == Outcome::pass) {
      isolation_ = Isolation::namespaces;
      return;
    }
    T2_LOG_WARN("sandbox: namespaces unavailable (%s); using basic isolation", r.detail.c_str());
  }
  r = run_with(probe, Isolation::basic, probe_limits);
  T2_CHECK(r.outcome == Outcome::pass,
           "sandbox: cannot run a trivial python program (%s: %s); output: %s",
           outcome_name(r.outcome), r.detail.c_str(), r.output.c_str());
  isolation_ = Isolation::basic;
}

Result Sandbox::run(const Job& job) const { return run_with(job, isolation_, limits_); }

Result Sandbox::run_with(const Job& job, Isolation mode, const Limits& lim) const {
  const auto t0 = std::chrono::steady_clock::now();
  Result result;
  // Private temporary directory with the inputs.
  const std::string root = lim.temp_root.empty() ? temp_base() : lim.temp_root;
  std::string dir_tmpl = root + "/t2sbx-XXXXXX";
  std::vector<char> dir_buf(dir_tmpl.begin(), dir_tmpl.end());
  dir_buf.push_back('\0');
  T2_CHECK(::mkdtemp(dir_buf.data()) != nullptr, "sandbox: cannot create a temporary directory in %s: %s",
           root.c_str(), std::strerror(errno));
  const std::string dir = dir_buf.data();
  struct DirCleanup {
    std::string d;
    ~DirCleanup() {
      std::error_code ec;
      std::filesystem::remove_all(d, ec);
      if (ec) T2_LOG_WARN("sandbox: cannot remove %s: %s", d.c_str(), ec.message().c_str());
    }
  } cleanup{dir};
  io::write_file_atomic(dir + "/program.py", job.program);
  io::write_file_atomic(dir + "/tests.py", job.tests);
  // Run by root, the program runs as nobody: basic mode drops to it; namespace mode maps the
  // namespace's root to it, so that the process limit applies (the kernel exempts real root).
  const bool as_root = ::geteuid() == 0;
  if (as_root) {
    ::chown(dir.c_str(), kNobody, kNobody);
    ::chmod((dir + "/program.py").c_str(), 0644);
    ::chmod((dir + "/tests.py").c_str(), 0644);
  }
  const std::string nonce = random_nonce();

  int ctl[2], res[2], out[2];
  T2_CHECK(::pipe2(ctl, O_CLOEXEC) == 0 && ::pipe2(res, O_CLOEXEC) == 0 && ::pipe2(out, O_CLOEXEC) == 0,
           "sandbox: pipe: %s", std::strerror(errno));
  for (int* fd : {&ctl[0], &ctl[1], &res[0], &res[1], &out[0], &out[1]}) *fd = high_fd(*fd);
  int go[2] = {-1, -1};
  if (mode == Isolation::namespaces) {
    T2_CHECK(::pipe2(go, O_CLOEXEC) == 0, "sandbox: pipe: %s", std::strerror(errno));
    for (int* fd : {&go[0], &go[1]}) *fd = high_fd(*fd);
  }
  const int devnull = high_fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));

  const std::string& src = harness_source();
  const char* argv[] = {python_.c_str(), "-I", "-B", "-c", src.c_str(), nullptr};
  const std::string env_home = "HOME=" + dir;
  const std::string env_tmp = "TMPDIR=" + dir;
  const char* envp[] = {"PATH=/usr/local/bin:/usr/bin:/bin", env_home.c_str(), env_tmp.c_str(),
                        "LANG=C.UTF-8", "PYTHONHASHSEED=0", nullptr};
  ChildPlan plan{};
  plan.mode = mode;
  plan.python = python_.c_str();
  plan.argv = argv;
  plan.envp = envp;
  plan.dir = dir.c_str();
  plan.fd_stdin = devnull;
  plan.fd_out = out[1];
  plan.fd_ctl = ctl[0];
  plan.fd_res = res[1];
  plan.fd_go = go[0];
  plan.fd_go_write = go[1];
  plan.limits = &lim;
  std::vector<sock_filter> filter = build_seccomp_filter(1);
  plan.filter = &filter;
  plan.as_root = as_root;

  long flags = SIGCHLD;
  if (mode == Isolation::namespaces) flags |= CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET;
  const pid_t pid = static_cast<pid_t>(::syscall(SYS_clone, flags, nullptr, nullptr, nullptr, nullptr));
  if (pid == 0) child_main(plan);
  const int clone_errno = errno;
  for (int fd : {ctl[0], res[1], out[1], devnull, go[0]})
    if (fd >= 0) ::close(fd);
  if (pid < 0) {
    for (int fd : {ctl[1], res[0], out[0], go[1]})
      if (fd >= 0) ::close(fd);
    result.outcome = Outcome::error;
    result.detail = format("clone: %s", std::strerror(clone_errno));
    return result;
  }
  // Namespace mode: the parent writes the child's ID maps (mapping to another user than our own,
  // nobody for root, needs the parent's privilege), then lets the child go on. On failure the
  // child reads end-of-file and stops with a setup error. An ordinary user must deny setgroups
  // first; root keeps it, so that the child can drop root's supplementary groups.
  if (go[1] >= 0) {
    const std::string proc = format("/proc/%d/", static_cast<int>(pid));
    const unsigned uid = as_root ? kNobody : ::geteuid(), gid = as_root ? kNobody : ::getegid();
    if ((as_root || write_proc((proc + "setgroups").c_str(), "deny")) &&
        write_proc((proc + "uid_map").c_str(), format("0 %u 1\n", uid).c_str()) &&
        write_proc((proc + "gid_map").c_str(), format("0 %u 1\n", gid).c_str())) {
      (void)!::write(go[1], "1", 1);
    }
    ::close(go[1]);
  }
  // The control message: the nonce, then the entry points (identifiers only) on one line.
  std::string ctl_msg = nonce + "\n";
  for (const auto& name : job.entry_points) {
    const bool identifier = !name.empty() && name.size() < 200 &&
        name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") ==
            std::string::npos;
    if (identifier) ctl_msg += name + " ";
  }
  ctl_msg += "\n";
  (void)!::write(ctl[1], ctl_msg.data(), ctl_msg.size());
  ::close(ctl[1]);

  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  std::string res_text;
  bool out_open = true, res_open = true, exited = false, timed_out = false;
  int status = 0;
  // In basic mode the supervisor enforces the limit itself; the parent's deadline is the backstop.
  const double grace = mode == Isolation::basic ? 1.0 : 0.0;
  const auto deadline = t0 + std::chrono::duration<double>(lim.wall_seconds + grace);
  char buf[1 << 15];
  while (!exited) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      timed_out = true;
      break;
    }
    pollfd fds[3];
    int n = 0;
    int i_out = -1, i_res = -1, i_pid = -1;
    if (out_open) fds[i_out = n++] = {out[0], POLLIN, 0};
    if (res_open) fds[i_res = n++] = {res[0], POLLIN, 0};
    if (pidfd >= 0) fds[i_pid = n++] = {pidfd, POLLIN, 0};
    int wait_ms = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count()) + 1;
    if (pidfd < 0) wait_ms = std::min(wait_ms, 10);
    ::poll(fds, static_cast<nfds_t>(n), wait_ms);
    if (i_out >= 0 && fds[i_out].revents) {
      const ssize_t k = ::read(out[0], buf, sizeof(buf));
      if (k <= 0) {
        out_open = false;
      } else {
        const size_t room = lim.output_bytes - std::min(lim.output_bytes, result.output.size());
        result.output.append(buf, std::min(room, static_cast<size_t>(k)));
        if (result.output.size() >= lim.output_bytes) {  // cap reached: writers get EPIPE
          ::close(out[0]);
          out[0] = -1;
          out_open = false;
        }
      }
    }
    if (i_res >= 0 && fds[i_res].revents) {
      const ssize_t k = ::read(res[0], buf, sizeof(buf));
      if (k <= 0) {
        res_open = false;
      } else if (res_text.size() < 8192) {
        res_text.append(buf, static_cast<size_t>(k));
      }
    }
    if (pidfd < 0 || (i_pid >= 0 && fds[i_pid].revents)) {
      // Look without reaping: the zombie keeps pid and group id from being reused until we kill.
      siginfo_t si{};
      if (::waitid(P_PID, static_cast<id_t>(pid), &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid)
        exited = true;
    }
  }
  // Kill whatever is left of the group (and, in namespace mode, the PID namespace with its init).
  // A process caught mid-fork can miss one group kill, so repeat: first while the leader is a
  // zombie (its group id cannot be reused yet), then after reaping it until the group is empty.
  for (int round = 0; round < 20; ++round) {
    ::kill(-pid, SIGKILL);
    ::usleep(500);
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  const auto kill_until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (::kill(-pid, SIGKILL) == 0 && std::chrono::steady_clock::now() < kill_until) ::usleep(500);
  if (pidfd >= 0) ::close(pidfd);
  // Drain what the harness wrote before it exited (non-blocking: an escaped writer cannot stall us).
  ::fcntl(res[0], F_SETFL, O_NONBLOCK);
  for (ssize_t k; res_text.size() < 8192 && (k = ::read(res[0], buf, sizeof(buf))) > 0;)
    res_text.append(buf, static_cast<size_t>(k));
  if (out[0] >= 0) {
    ::fcntl(out[0], F_SETFL, O_NONBLOCK);
    for (ssize_t k; result.output.size() < lim.output_bytes && (k = ::read(out[0], buf, sizeof(buf))) > 0;)
      result.output.append(buf, std::min(static_cast<size_t>(k), lim.output_bytes - result.output.size()));
    ::close(out[0]);
  }
  ::close(res[0]);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  // Verdict: only a nonce-keyed line counts.
  const std::string key = "T2RESULT " + nonce + " ";
  std::string kind, detail;
  size_t at = res_text.find(key);
  if (at != std::string::npos) {
    const size_t eol = res_text.find('\n', at);
    const std::string rest = res_text.substr(at + key.size(), eol == std::string::npos ? std::string::npos : eol - at - key.size());
    const size_t sp = rest.find(' ');
    kind = rest.substr(0, sp);
    detail = sp == std::string::npos ? "" : rest.substr(sp + 1);
  }
  if (mode == Isolation::basic && !timed_out && WIFEXITED(status) &&
      WEXITSTATUS(status) == kSupervisorTimeout) {
    timed_out = true;
  }
  if (mode == Isolation::basic && WIFEXITED(status) && WEXITSTATUS(status) > 128 &&
      WEXITSTATUS(status) < kSupervisorTimeout) {
    status = WEXITSTATUS(status) - 128;  // re-encode "killed by signal N" for the message below
    status = (status & 0x7f);            // as a wait status: signalled with that signal
  }
  if (timed_out) {
    result.outcome = Outcome::timeout;
    result.detail = format("wall-clock limit of %.1f s reached", lim.wall_seconds);
  } else if (kind == "PASS") {
    result.outcome = Outcome::pass;
  } else if (kind == "FAIL") {
    result.outcome = Outcome::fail;
    result.detail = detail;
  } else if (kind == "ERROR") {
    result.outcome = Outcome::error;
    result.detail = detail;
  } else if (res_text.rfind("T2SETUP ", 0) == 0) {
    result.outcome = Outcome::error;
    result.detail = "sandbox setup failed: " + trim(res_text);
  } else {
    result.outcome = Outcome::fail;
    if (WIFSIGNALED(status)) {
      result.detail = format("no result: killed by signal %d%s", WTERMSIG(status),
                             WTERMSIG(status) == SIGXCPU || WTERMSIG(status) == SIGKILL ? " (CPU or memory limit?)" : "");
    } else {
      result.detail = format("no result: exit status %d before the tests finished", WEXITSTATUS(status));
    }
  }
  return result;
}

std::vector<Result> Sandbox::run_many(const std::vector<Job>& jobs) const {
  std::vector<Result> results(jobs.size());
  std::atomic<size_t> next{0};
  auto worker = [&]() {
    for (size_t i; (i = next.fetch_add(1)) < jobs.size();) {
      try {
        results[i] = run(jobs[i]);
      } catch (const std::exception& e) {
        results[i].outcome = Outcome::error;
        results[i].detail = e.what();
      }
    }
  };
  const size_t n = std::min(jobs.size(), static_cast<size_t>(n_parallel_));
  if (n <= 1) {
    worker();
    return results;
  }
  std::vector<std::thread> threads;
  for (size_t t = 0; t < n; ++t) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  return results;
}

}  // namespace t2::tasks::sandbox

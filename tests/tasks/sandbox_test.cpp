// Sandbox attack suite: every attack must end FAIL or TIMEOUT within its limit + 2 s,
// leave no process behind, change no file outside its temp dir, and not disturb the next program.
// Each attack program also defines a wrong solution, so a forged PASS would be caught.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "io/file.h"
#include "tasks/sandbox/sandbox.h"

namespace t2::tasks::sandbox {
namespace {

namespace fs = std::filesystem;

class SandboxAttack : public ::testing::TestWithParam<Isolation> {
 protected:
  void SetUp() override {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (char& c : name)
      if (c == '/') c = '_';  // "InfiniteLoop/basic": one directory, removed whole in TearDown
    base_ = fs::temp_directory_path() / ("t2-sbx-test-" + std::to_string(::getpid()) + "-" + name);
    fs::remove_all(base_);
    fs::create_directories(base_ / "runs");
    fs::create_directories(base_ / "victim");
    fs::permissions(base_, fs::perms::all);  // reachable when basic mode runs as nobody
    fs::permissions(base_ / "runs", fs::perms::all);
    victim_ = (base_ / "victim" / "keep.txt").string();
    io::write_file_atomic(victim_, "precious");
    limits_.wall_seconds = 2.0;
    limits_.cpu_seconds = 3;  // above the wall limit: a busy loop must end as a timeout, not race SIGXCPU
    limits_.memory_bytes = 1ull << 30;
    limits_.output_bytes = 4096;
    limits_.temp_root = (base_ / "runs").string();
    sandbox_ = std::make_unique<Sandbox>(limits_, 1, "", GetParam());
    if (sandbox_->isolation() != GetParam()) {
      // Only possible for the namespace mode, on kernels that forbid unprivileged user
      // namespaces (the basic-mode instantiation still runs every attack).
      GTEST_SKIP() << "this kernel does not allow the namespace sandbox; only basic mode is tested";
    }
  }
  void TearDown() override { fs::remove_all(base_); }

  // Processes whose cwd is (or was) under this test's run root.
  int leftover_processes() const {
    int n = 0;
    const std::string root = (base_ / "runs").string();
    for (const auto& e : fs::directory_iterator("/proc")) {
      const std::string pid = e.path().filename().string();
      if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
      std::error_code ec;
      const auto cwd = fs::read_symlink(e.path() / "cwd", ec);
      if (!ec && cwd.string().rfind(root, 0) == 0) ++n;
    }
    return n;
  }

  // Runs an attack and checks every property; returns the result for extra checks.
  Result attack(const std::string& program) {
    const std::string wrong = "\ndef solution(x):\n    return x\n";
    const Result r = sandbox_->run({program + wrong, "assert solution(1) == 2\n"});
    EXPECT_TRUE(r.outcome == Outcome::fail || r.outcome == Outcome::timeout)
        << outcome_name(r.outcome) << ": " << r.detail;
    EXPECT_LE(r.seconds, limits_.wall_seconds + 2.0);
    EXPECT_EQ(leftover_processes(), 0);
    EXPECT_EQ(io::read_file(victim_), "precious");
    EXPECT_EQ(std::distance(fs::directory_iterator(base_ / "victim"), fs::directory_iterator()), 1);
    EXPECT_TRUE(fs::is_empty(base_ / "runs")) << "run directory left behind";
    const Result next = sandbox_->run({"def f(x):\n    return x + 1\n", "assert f(1) == 2\n"});
    EXPECT_EQ(next.outcome, Outcome::pass) << "the next program was disturbed: " << next.detail;
    return r;
  }

  fs::path base_;
  std::string victim_;
  Limits limits_;
  std::unique_ptr<Sandbox> sandbox_;
};

TEST_P(SandboxAttack, PassAndFailAreTold) {
  const Result ok = sandbox_->run({"def f(x):\n    return x * 2\n", "assert f(2) == 4\nassert f(0) == 0\n"});
  EXPECT_EQ(ok.outcome, Outcome::pass) << ok.detail << ok.output;
  const Result bad = sandbox_->run({"def f(x):\n    return x\n", "assert f(2) == 4\n"});
  EXPECT_EQ(bad.outcome, Outcome::fail);
  EXPECT_EQ(bad.detail, "AssertionError");
  const Result syntax = sandbox_->run({"def f(x) return x\n", "assert f(2) == 4\n"});
  EXPECT_EQ(syntax.outcome, Outcome::fail);
  EXPECT_NE(syntax.detail.find("SyntaxError"), std::string::npos) << syntax.detail;
  std::printf("isolation: %s\n", isolation_name(sandbox_->isolation()));
}

TEST_P(SandboxAttack, InfiniteLoop) {
  EXPECT_EQ(attack("while True:\n    pass\n").outcome, Outcome::timeout);
}

TEST_P(SandboxAttack, ForkBomb) {
  attack("import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n");
}

// The process limit holds in both modes, also when t2 runs as root (which the kernel exempts
// from RLIMIT_NPROC: the program must not run as real root). Sleeping children are counted.
TEST_P(SandboxAttack, ProcessLimitHolds) {
  const Result r = sandbox_->run(
      {"import os, time\nn = 0\nfor _ in range(200):\n    try:\n        pid = os.fork()\n"
       "    except OSError:\n        break\n    if pid == 0:\n        time.sleep(30)\n        os._exit(0)\n"
       "    n += 1\nprint('forked', n, flush=True)\ndef f():\n    return 1\n",
       "assert f() == 1\n"});
  EXPECT_EQ(r.outcome, Outcome::pass) << r.detail << r.output;
  const auto at = r.output.find("forked ");
  ASSERT_NE(at, std::string::npos) << r.output;
  EXPECT_LT(std::stoi(r.output.substr(at + 7)), limits_.max_processes) << r.output;
  EXPECT_EQ(leftover_processes(), 0);
}

TEST_P(SandboxAttack, HugeAllocation) {
  attack("x = bytearray(64 * 1024 ** 3)\n");
  attack("chunks = []\nwhile True:\n    chunks.append(bytearray(100 * 1024 ** 2))\n");
}

TEST_P(SandboxAttack, HugeOutput) {
  const Result r = attack("import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n");
  EXPECT_LE(r.output.size(), limits_.output_bytes);
}

TEST_P(SandboxAttack, WritesAndDeletesFilesElsewhere) {
  const std::string v = victim_;
  const std::string dir = (base_ / "victim").string();
  attack("import os\ntry:\n    os.remove('" + v + "')\nexcept OSError:\n    pass\n"
         "try:\n    open('" + dir + "/new.txt', 'w').write('x')\nexcept OSError:\n    pass\n"
         "open('" + v + "', 'w').write('overwritten')\n");
  attack("import shutil\nshutil.rmtree('" + dir + "', ignore_errors=True)\nshutil.copy('/etc/hostname', '" + dir + "/copy')\n");
  attack("import ctypes, ctypes.util\nlibc = ctypes.CDLL(ctypes.util.find_library('c'))\n"
         "libc.unlink(b'" + v + "')\nlibc.creat(b'" + dir + "/c.txt', 0o644)\n"
         "assert libc.unlink(b'" + v + "') == 0\n");
  // Writing inside its own directory is allowed and does not count as an escape.
  const Result own = sandbox_->run({"open('scratch.txt', 'w').write('ok')\n", "assert open('scratch.txt').read() == 'ok'\n"});
  EXPECT_EQ(own.outcome, Outcome::pass) << own.detail;
}

TEST_P(SandboxAttack, OpensSocket) {
  const Result r = attack(
      "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\ns.connect(('127.0.0.1', 22))\n");
  EXPECT_NE(r.detail.find("PermissionError"), std::string::npos) << r.detail;
  attack("import socket\nsocket.create_connection(('93.184.216.34', 80), timeout=1)\n");
}

TEST_P(SandboxAttack, DoubleForkDaemon) {
  attack("import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
         "        while True:\n            time.sleep(0.05)\n    os._exit(0)\ntime.sleep(0.2)\n");
}

TEST_P(SandboxAttack, KillsTheParent) {
  const pid_t me = ::getpid();
  attack("import os, signal\nfor pid in (os.getppid(), " + std::to_string(me) +
         ", -1):\n    try:\n        os.kill(pid, signal.SIGKILL)\n    except OSError:\n        pass\n");
  EXPECT_EQ(::kill(me, 0), 0);  // still here
}

TEST_P(SandboxAttack, ExitsBeforeTheTests) {
  EXPECT_EQ(attack("import sys\nsys.exit(0)\n").detail, "program exited before the tests");
  attack("import os\nos._exit(0)\n");
  attack("import atexit, os\natexit.register(lambda: os.write(4, b'T2RESULT 00 PASS\\n'))\n"
         "os.write(4, b'T2RESULT deadbeef PASS\\n')\nos._exit(0)\n");
}

TEST_P(SandboxAttack, EqualsAlwaysTrue) {
  attack("class Any:\n    def __eq__(self, other):\n        return True\n"
         "    __hash__ = object.__hash__\n"
         "def solution(x):\n    return Any()\nsolution_keep = solution\n");
  // attack() appends a wrong plain solution; run forged solutions on their own too.
  const Result forged = sandbox_->run({"class Any:\n    def __eq__(self, other):\n        return True\n"
                                       "def solution(x):\n    return Any()\n",
                                       "assert solution(1) == 2\n"});
  EXPECT_EQ(forged.outcome, Outcome::fail);
  EXPECT_NE(forged.detail.find("untrusted"), std::string::npos) << forged.detail;
  const Result direct = sandbox_->run({"class Any(int):\n    def __eq__(self, o):\n        return True\n"
                                       "    def __ne__(self, o):\n        return False\n"
                                       "def f(x):\n    return Any(0)\n",
                                       "assert f(1) == 2\nassert f(1) == [1]\nassert not (f(1) != 2)\n"});
  EXPECT_EQ(direct.outcome, Outcome::fail) << direct.detail;
  const Result truthy = sandbox_->run({"class T:\n    def __bool__(self):\n        return True\n"
                                       "def is_prime(n):\n    return T()\n",
                                       "assert is_prime(4)\n"});
  EXPECT_EQ(truthy.outcome, Outcome::fail) << truthy.detail;
}

// The held-out adversarial program: it passes by reading the expected value from its caller — the
// source line of the assert (through the frame's file name and line, as linecache does), the
// constants of the calling code, or the tests file itself — and returning it. In one process it
// passes; with the tests in another process there is nothing to read. The asserted values are
// wrong for an honest add(), so only a cheat could pass.
TEST_P(SandboxAttack, ReadsTheExpectedValueFromItsCaller) {
  const std::string tests = "assert add(1, 2) == 7\nassert add(2, 2) == 9\n";
  const Result source = sandbox_->run({R"(
import sys, ast, linecache
def add(a, b):
    f = sys._getframe(1)
    while f is not None:
        line = linecache.getline(f.f_code.co_filename, f.f_lineno)
        if '==' in line:
            return ast.literal_eval(line.split('==', 1)[1].strip())
        f = f.f_back
    return a + b
)", tests});
  EXPECT_STREQ(outcome_name(source.outcome), "fail") << source.detail << source.output;
  const Result consts = sandbox_->run({R"(
import sys
def add(a, b):
    f = sys._getframe(1)
    while f is not None:
        for c in f.f_code.co_consts:
            if type(c) is int and c not in (a, b, 1, 2):
                return c
        f = f.f_back
    return a + b
)", "assert add(1, 2) == 7\n"});
  EXPECT_STREQ(outcome_name(consts.outcome), "fail") << consts.detail << consts.output;
  const Result file = sandbox_->run({R"(
import re, gc, types
def add(a, b):
    try:
        m = re.search(r'add\(%d, %d\) == (\d+)' % (a, b), open('tests.py').read())
        if m:
            return int(m.group(1))
    except OSError:
        pass
    for o in gc.get_objects():
        if isinstance(o, types.CodeType) and 'add' in o.co_names:
            for c in o.co_consts:
                if type(c) is int and c not in (a, b):
                    return c
    return a + b
)", tests});
  EXPECT_STREQ(outcome_name(file.outcome), "fail") << file.detail << file.output;
  // Honest programs still pass the same way.
  const Result honest = sandbox_->run({"def add(a, b):\n    return a + b\n", "assert add(1, 2) == 3\n"});
  EXPECT_EQ(honest.outcome, Outcome::pass) << honest.detail << honest.output;
}

// A program that redefines a builtin or a standard module the tests use on their own values (abs,
// set, math) would compute the tests' checks itself, seeing the expected values: those names keep
// their real meaning in the tests. A function the task asks for under a builtin's name (MBPP 126's
// sum) is an entry point and does reach the tests.
TEST_P(SandboxAttack, RedefinedBuiltinsDoNotStandInForTheTests) {
  const std::string wrong = "def f(x):\n    return 1\n";
  const Result by_abs = sandbox_->run({"abs = lambda x: 0\n" + wrong, "assert abs(f(1) - 2.5) < 1e-6\n"});
  EXPECT_STREQ(outcome_name(by_abs.outcome), "fail") << by_abs.detail;
  const Result by_set = sandbox_->run({"set = lambda *a: 1\n" + wrong, "assert set(f(1)) == set((4, 5))\n"});
  EXPECT_STREQ(outcome_name(by_set.outcome), "fail") << by_set.detail;
  const Result by_module = sandbox_->run(
      {"class M:\n    isclose = staticmethod(lambda *a, **k: True)\nmath = M()\n" + wrong,
       "assert math.isclose(f(1), 2.5)\n"});
  EXPECT_STREQ(outcome_name(by_module.outcome), "fail") << by_module.detail;
  const Job sum_task{"def sum(a, b):\n    return a + b\n", "assert sum(10, 15) == 25\n", {"sum"}};
  const Result entry = sandbox_->run(sum_task);
  EXPECT_EQ(entry.outcome, Outcome::pass) << entry.detail << entry.output;
  const Result imported = sandbox_->run({"import math\ndef area(r):\n    return math.pi * r * r\n",
                                         "assert math.isclose(area(1), 3.14159, rel_tol=1e-3)\n"});
  EXPECT_EQ(imported.outcome, Outcome::pass) << imported.detail << imported.output;
}

// The tests' process is out of the program's reach: its memory, descriptors and environment
// (where the nonce and the result pipe are) cannot be opened through /proc, and result lines the
// program writes to any descriptor it has count for nothing.
TEST_P(SandboxAttack, TheTestsProcessIsOutOfReach) {
  const Result r = attack(R"(
import os
pp = os.getppid()
for path in ('/proc/%d/mem' % pp, '/proc/%d/fd/4' % pp, '/proc/%d/fd/3' % pp,
             '/proc/%d/environ' % pp, '/proc/%d/maps' % pp):
    for mode in ('rb', 'wb'):
        try:
            open(path, mode, buffering=0).close()
            print('opened', path, mode, flush=True)
        except OSError:
            pass
for fd in range(3, 64):
    try:
        os.write(fd, b'T2RESULT 0 PASS\n')
    except OSError:
        pass
)");
  EXPECT_EQ(r.output.find("opened"), std::string::npos) << r.output;
}

// What honest programs and tests do keeps working across the two processes: objects the program
// makes (attributes set by the tests, as MBPP's trees are built), generators and iterators,
// exceptions the tests expect, standard-library values, modules the tests use through the
// program's imports, and state kept between calls.
TEST_P(SandboxAttack, ProgramObjectsWorkThroughTheChannel) {
  const Result r = sandbox_->run({R"(
import sys
from collections import Counter
class Node:
    def __init__(self, data):
        self.data, self.left, self.right = data, None, None
def height(n):
    return 0 if n is None else 1 + max(height(n.left), height(n.right))
def squares(n):
    for i in range(n):
        yield i * i
def check_positive(x):
    if x <= 0:
        raise ValueError('not positive')
    return True
def counts(s):
    return Counter(s)
def keys(d):
    return d.keys()
calls = []
def remember(x):
    calls.append(x)
    return len(calls)
)",
                                   R"(
root = Node(1)
root.left = Node(2)
root.left.left = Node(3)
assert height(root) == 3
assert root.left.data == 2
assert list(squares(4)) == [0, 1, 4, 9]
assert 9 in squares(5)
try:
    check_positive(-1)
    assert False, 'no exception'
except ValueError:
    pass
assert counts('abca') == {'a': 2, 'b': 1, 'c': 1}
assert keys({'x': 1, 'y': 2}) == {'x', 'y'}
assert sys.getsizeof((1, 2)) > 0
assert remember(5) == 1 and remember(6) == 2
)"});
  EXPECT_EQ(r.outcome, Outcome::pass) << r.detail << r.output;
}

TEST_P(SandboxAttack, ResetsSignalHandlers) {
  EXPECT_EQ(attack("import signal\nfor s in (signal.SIGTERM, signal.SIGINT, signal.SIGXCPU, signal.SIGALRM, "
                   "signal.SIGHUP):\n    signal.signal(s, signal.SIG_IGN)\nwhile True:\n    pass\n")
                .outcome,
            Outcome::timeout);
}

TEST_P(SandboxAttack, DeepRecursion) {
  attack("import sys\nsys.setrecursionlimit(10 ** 8)\ndef r(n):\n    return r(n + 1) + 1\nr(0)\n");
  attack("def r(n):\n    return r(n + 1)\nr(0)\n");
}

INSTANTIATE_TEST_SUITE_P(Modes, SandboxAttack,
                         ::testing::Values(Isolation::namespaces, Isolation::basic),
                         [](const auto& info) { return std::string(isolation_name(info.param)); });

// A program that exits at once must never be reported as a timeout. The basic-mode supervisor once
// lost the program's exit status when it exited between two waitpid calls, and then waited for
// the deadline; a parent with several threads (run_many) also exercises the raw clone there.
TEST(Sandbox, QuickExitsAreNeverTimeouts) {
  Limits l;
  l.wall_seconds = 5;
  Sandbox sb(l, 2, "", Isolation::basic);
  const std::vector<Job> jobs(64, Job{"def f(x):\n    return x + 1\n", "assert f(1) == 2\n"});
  const auto results = sb.run_many(jobs);
  for (size_t i = 0; i < results.size(); ++i) {
    EXPECT_EQ(results[i].outcome, Outcome::pass) << i << ": " << results[i].detail;
    EXPECT_LT(results[i].seconds, l.wall_seconds) << i;
  }
}

TEST(Sandbox, RunsInParallelAndKeepsOrder) {
  Limits l;
  l.wall_seconds = 5;
  Sandbox sb(l, 2);
  std::vector<Job> jobs;
  for (int i = 0; i < 8; ++i)
    jobs.push_back({"def f():\n    return " + std::to_string(i) + "\n",
                    "assert f() == " + std::to_string(i % 2 == 0 ? i : -1) + "\n"});
  const auto results = sb.run_many(jobs);
  ASSERT_EQ(results.size(), 8u);
  for (int i = 0; i < 8; ++i)
    EXPECT_EQ(results[i].outcome, i % 2 == 0 ? Outcome::pass : Outcome::fail) << i << results[i].detail;
}

}  // namespace
}  // namespace t2::tasks::sandbox

// Child processes with a log file; see child_process.h.
#include "cli/child_process.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "base/error.h"

extern char** environ;

namespace t2::cli {

int run_child(const std::vector<std::string>& args, const std::string& log, bool append,
              const std::function<void()>& tick) {
  T2_CHECK(!args.empty(), "run_child: no program given");
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(),
                                   O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC), 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = 0;
  const int started = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  T2_CHECK(started == 0, "cannot start %s: %s", args[0].c_str(), std::strerror(started));
  int status = 0;
  while (true) {
    const pid_t r = waitpid(pid, &status, tick ? WNOHANG : 0);
    if (r == pid) break;
    T2_CHECK(r == 0 || errno == EINTR, "waiting for %s: %s", args[0].c_str(), std::strerror(errno));
    if (r == 0) {
      tick();
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace t2::cli

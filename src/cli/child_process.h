// Running another program (a t2 stage, python3) as a child process with its stdout and stderr in a
// log file, waiting for it, and getting its exit status. No shell is involved: arguments are passed
// as they are. Used by `t2 plot` (the plotting script); `t2 demo`'s stages need the same.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace t2::cli {

// Runs args (args[0]: a path to the executable) with stdout and stderr into log (appended when
// append, else truncated). Without tick it blocks until the child ends; with tick it polls and
// calls tick about every half second. Returns the exit status, 128 + signal when killed. Throws
// t2::Error when the child cannot be started.
int run_child(const std::vector<std::string>& args, const std::string& log, bool append,
              const std::function<void()>& tick = {});

}  // namespace t2::cli

// Graceful-stop signals. While a StopSignals object lives, SIGTERM and SIGUSR1 (Slurm preemption
// and time limits, `scancel --signal`, mpirun's forwarding of SIGUSR1) set a flag instead of
// killing the process; the coordinator polls the flag at unit boundaries, publishes a consistent
// report and ends with kExitInterrupted. Every rank installs it, so workers survive the signal and
// wait for the coordinator's stop message. The previous handlers come back on destruction.
#pragma once

namespace t2::dist {

// Exit status of a run that stopped early on request and can be continued with --resume
// (75 = EX_TEMPFAIL in sysexits.h: "temporary failure, try again").
inline constexpr int kExitInterrupted = 75;

class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // True once SIGTERM or SIGUSR1 arrived (async-signal-safe flag).
  static bool requested();
  // The first signal number received, 0 when none.
  static int signal_number();
  // Clears the flag (tests).
  static void reset();
};

}  // namespace t2::dist

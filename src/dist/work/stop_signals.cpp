// Signal handlers that only record the signal; everything else happens at unit boundaries.
#include "dist/work/stop_signals.h"

#include <atomic>
#include <csignal>

#include "base/error.h"

namespace t2::dist {
namespace {

volatile std::sig_atomic_t g_signal = 0;
struct sigaction g_old_term;
struct sigaction g_old_usr1;
std::atomic<int> g_installed{0};

extern "C" void on_stop_signal(int sig) {
  if (g_signal == 0) g_signal = sig;
}

}  // namespace

StopSignals::StopSignals() {
  T2_CHECK(g_installed.fetch_add(1) == 0, "StopSignals: only one instance may exist at a time");
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &sa, &g_old_term);
  sigaction(SIGUSR1, &sa, &g_old_usr1);
}

StopSignals::~StopSignals() {
  sigaction(SIGTERM, &g_old_term, nullptr);
  sigaction(SIGUSR1, &g_old_usr1, nullptr);
  g_installed.fetch_sub(1);
}

bool StopSignals::requested() { return g_signal != 0; }
int StopSignals::signal_number() { return static_cast<int>(g_signal); }
void StopSignals::reset() { g_signal = 0; }

}  // namespace t2::dist

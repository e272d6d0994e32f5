// Progress of a long loop: done/total, rate and time left, printed to stderr. On a terminal it is
// one line redrawn in place (carriage return + erase-line); anywhere else (a log file, Slurm's
// output, a pipe) it is a plain line every `interval_s` seconds, with no control characters. The
// caller decides whether this process prints at all (rank 0 only under MPI, nothing with --quiet):
// a disabled reporter costs a branch per call.
//
// Rate and ETA come from a sliding window of recent (time, done) samples, so they follow a loop
// that speeds up or slows down; before the window holds two samples they use the mean since
// start. Time comes from an injectable clock and text goes to an injectable sink, so formatting
// and arithmetic are unit-tested without sleeping. Not thread-safe: call from one thread.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

namespace t2 {

// "45s", "3m05s", "2h07m", "3d04h"; "?" for a negative or non-finite value.
std::string format_duration(double seconds);
// A rate with its unit: "0.523 matrices/s", "12.3 tokens/s", "3900 tokens/s", "52.3k tokens/s".
std::string format_rate(double per_second, const std::string& unit);

struct ProgressOptions {
  std::string label;              // leads the line, e.g. "decompose"
  std::string unit = "items";     // what done/total count, e.g. "matrices", "steps"
  std::string rate_unit;          // unit of the rate; empty: the same as unit
  double rate_per_unit = 1.0;     // rate units per counted unit, e.g. tokens per step
  bool enabled = true;            // false: print nothing (ranks other than 0, --quiet)
  enum class Style { automatic, terminal, lines } style = Style::automatic;  // automatic: isatty
  double interval_s = 10.0;       // lines style: at most one line per interval
  double redraw_s = 0.25;         // terminal style: at most one redraw per interval
  double window_s = 30.0;         // rate window
};

// A moment of progress: what the line shows.
struct ProgressSnapshot {
  int64_t done = 0, total = 0;
  double elapsed_s = 0;
  double rate = 0;   // counted units per second (0 while unknown)
  double eta_s = -1; // seconds left (-1 while unknown)
};

class Progress {
 public:
  using Clock = std::function<double()>;               // monotonic seconds
  using Sink = std::function<void(std::string_view)>;  // receives finished text

  // total: units to do (0 when unknown: no percentage or ETA). Default clock: steady_clock;
  // default sink: stderr, flushed.
  Progress(ProgressOptions options, int64_t total, Clock clock = {}, Sink sink = {});
  ~Progress();  // finish() if not yet called
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Adds n done units (note: extra text after the figures, e.g. "loss 2.31"); prints when due.
  void advance(int64_t n = 1, std::string note = "");
  // Sets the absolute done count.
  void update(int64_t done, std::string note = "");
  // Units done before this run (a resumed run): counted in done/total, not in the rate. Call before
  // the first update.
  void start_from(int64_t done);
  // A permanent message line (e.g. a per-step log line): on a terminal the status line is erased
  // first and redrawn after it, so the two never mix.
  void message(std::string_view line);
  // The final line: on a terminal always (replacing the status line); in lines style only when an
  // earlier line was printed, so a short run leaves the log as it was.
  void finish();

  ProgressSnapshot snapshot() const;
  // The status text for a snapshot, without any control character. final: "done in" the elapsed
  // time instead of "elapsed" and the ETA (the rate is then the caller's, e.g. the run's mean).
  std::string render(const ProgressSnapshot& s, bool final = false) const;
  bool terminal() const { return terminal_; }

 private:
  void maybe_print(bool force);
  void emit_status();

  ProgressOptions o_;
  int64_t total_ = 0, done_ = 0;
  Clock clock_;
  Sink sink_;
  bool terminal_ = false;
  double start_ = 0, last_print_ = 0;
  bool printed_ = false, status_shown_ = false, finished_ = false;
  std::string note_;
  std::deque<std::pair<double, int64_t>> window_;  // (time, done), oldest first
};

}  // namespace t2

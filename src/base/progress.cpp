// The progress reporter: rate window, ETA, and the two output styles (see progress.h).
#include "base/progress.h"

#include <unistd.h>  // isatty

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "base/error.h"

namespace t2 {

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const long long s = std::llround(seconds);
  if (s < 60) return format("%llds", s);
  if (s < 3600) return format("%lldm%02llds", s / 60, s % 60);
  if (s < 86400) return format("%lldh%02lldm", s / 3600, (s % 3600) / 60);
  return format("%lldd%02lldh", s / 86400, (s % 86400) / 3600);
}

std::string format_rate(double v, const std::string& unit) {
  std::string n;
  if (!std::isfinite(v) || v < 0) n = "?";
  else if (v < 100) n = format("%.3g", v);
  else if (v < 1e4) n = format("%.0f", v);
  else if (v < 1e6) n = format("%.1fk", v / 1e3);
  else n = format("%.2fM", v / 1e6);
  return n + " " + unit + "/s";
}

namespace {

double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void write_stderr(std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

bool stderr_is_terminal() {
  const char* term = std::getenv("TERM");
  return isatty(2) == 1 && !(term && std::strcmp(term, "dumb") == 0);
}

}  // namespace

Progress::Progress(ProgressOptions options, int64_t total, Clock clock, Sink sink)
    : o_(std::move(options)),
      total_(total),
      clock_(clock ? std::move(clock) : Clock(steady_seconds)),
      sink_(sink ? std::move(sink) : Sink(write_stderr)) {
  if (o_.rate_unit.empty()) o_.rate_unit = o_.unit;
  terminal_ = o_.style == ProgressOptions::Style::terminal ||
              (o_.style == ProgressOptions::Style::automatic && o_.enabled && stderr_is_terminal());
  start_ = clock_();
  last_print_ = terminal_ ? -std::numeric_limits<double>::infinity() : start_;
  window_.emplace_back(start_, 0);
}

Progress::~Progress() {
  try {
    finish();
  } catch (...) {
  }
}

void Progress::advance(int64_t n, std::string note) { update(done_ + n, std::move(note)); }

void Progress::start_from(int64_t done) {
  done_ = done;
  window_.assign(1, {clock_(), done});
}

void Progress::update(int64_t done, std::string note) {
  done_ = done;
  note_ = std::move(note);
  if (!o_.enabled || finished_) return;
  const double now = clock_();
  window_.emplace_back(now, done_);
  // Keep the newest sample at or before now - window_s as the oldest one, so the window spans at
  // least window_s once the run is that long.
  while (window_.size() > 2 && window_[1].first <= now - o_.window_s) window_.pop_front();
  maybe_print(terminal_ && total_ > 0 && done_ >= total_);  // show 100 % at once on a terminal
}

ProgressSnapshot Progress::snapshot() const {
  ProgressSnapshot s;
  s.done = done_;
  s.total = total_;
  const double now = clock_();
  s.elapsed_s = now - start_;
  const auto& [t0, d0] = window_.front();
  if (now > t0 && done_ > d0) s.rate = static_cast<double>(done_ - d0) / (now - t0);
  if (total_ > 0 && done_ >= total_) s.eta_s = 0;
  else if (total_ > 0 && s.rate > 0) s.eta_s = static_cast<double>(total_ - done_) / s.rate;
  return s;
}

std::string Progress::render(const ProgressSnapshot& s, bool final) const {
  std::string line = o_.label + "  ";
  if (s.total > 0) {
    line += format("%lld/%lld %s (%.0f%%)", static_cast<long long>(s.done),
                   static_cast<long long>(s.total), o_.unit.c_str(),
                   100.0 * static_cast<double>(s.done) / static_cast<double>(s.total));
  } else {
    line += format("%lld %s", static_cast<long long>(s.done), o_.unit.c_str());
  }
  if (s.rate > 0) line += "  " + format_rate(s.rate * o_.rate_per_unit, o_.rate_unit);
  line += (final ? "  done in " : "  elapsed ") + format_duration(s.elapsed_s);
  if (s.eta_s >= 0 && !final) line += "  ETA " + format_duration(s.eta_s);
  if (!note_.empty()) line += "  " + note_;
  return line;
}

void Progress::emit_status() {
  sink_("\r" + render(snapshot()) + "\033[K");
  status_shown_ = true;
}

void Progress::maybe_print(bool force) {
  const double now = clock_();
  const double every = terminal_ ? o_.redraw_s : o_.interval_s;
  if (!force && now - last_print_ < every) return;
  last_print_ = now;
  printed_ = true;
  if (terminal_) emit_status();
  else sink_(render(snapshot()) + "\n");
}

void Progress::message(std::string_view line) {
  if (!o_.enabled) return;
  std::string text(line);
  if (terminal_ && status_shown_) {
    sink_("\r\033[K" + text + "\n");
    emit_status();
  } else {
    sink_(text + "\n");
  }
}

void Progress::finish() {
  if (!o_.enabled || finished_) return;
  finished_ = true;
  if (!terminal_ && !printed_) return;
  ProgressSnapshot s = snapshot();
  s.rate = s.elapsed_s > 0 ? static_cast<double>(done_) / s.elapsed_s : 0;  // mean over the run
  const std::string line = render(s, /*final=*/true);
  sink_(terminal_ ? "\r" + line + "\033[K\n" : line + "\n");
}

}  // namespace t2

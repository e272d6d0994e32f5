// The progress reporter with an injected clock and sink: formatting of durations and rates, the
// sliding-window rate and ETA (expected values worked out by hand below), and what each output
// style writes (control characters on a terminal only, a line per interval elsewhere). No sleeping.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "base/progress.h"

namespace t2 {
namespace {

// A hand-driven clock and a sink that records every write.
struct Harness {
  double now = 0;
  std::vector<std::string> writes;
  Progress make(ProgressOptions o, int64_t total) {
    return Progress(std::move(o), total, [this] { return now; },
                    [this](std::string_view s) { writes.emplace_back(s); });
  }
};

ProgressOptions opts(ProgressOptions::Style style) {
  ProgressOptions o;
  o.label = "decompose";
  o.unit = "matrices";
  o.style = style;
  o.interval_s = 10;
  o.redraw_s = 0.25;
  o.window_s = 30;
  return o;
}

bool has_control(const std::string& s) {
  for (char c : s)
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\n') || c == 0x7f) return true;
  return false;
}

TEST(Progress, FormatDuration) {
  EXPECT_EQ(format_duration(0), "0s");
  EXPECT_EQ(format_duration(44.4), "44s");
  EXPECT_EQ(format_duration(59.6), "1m00s");  // rounds to whole seconds first
  EXPECT_EQ(format_duration(185), "3m05s");
  EXPECT_EQ(format_duration(7620), "2h07m");
  EXPECT_EQ(format_duration(3 * 86400 + 4 * 3600 + 59), "3d04h");
  EXPECT_EQ(format_duration(-1), "?");
  EXPECT_EQ(format_duration(std::nan("")), "?");
}

TEST(Progress, FormatRate) {
  EXPECT_EQ(format_rate(0.52341, "matrices"), "0.523 matrices/s");
  EXPECT_EQ(format_rate(2, "matrices"), "2 matrices/s");
  EXPECT_EQ(format_rate(12.34, "tokens"), "12.3 tokens/s");
  EXPECT_EQ(format_rate(3900.4, "tokens"), "3900 tokens/s");
  EXPECT_EQ(format_rate(52300, "tokens"), "52.3k tokens/s");
  EXPECT_EQ(format_rate(2.5e6, "tokens"), "2.50M tokens/s");
}

TEST(Progress, RateAndEtaFollowTheWindow) {
  Harness h;
  Progress p = h.make(opts(ProgressOptions::Style::lines), 100);
  h.now = 10;
  p.update(20);  // 20 in 10 s: 2/s, 80 left: 40 s
  ProgressSnapshot s = p.snapshot();
  EXPECT_DOUBLE_EQ(s.elapsed_s, 10);
  EXPECT_DOUBLE_EQ(s.rate, 2.0);
  EXPECT_DOUBLE_EQ(s.eta_s, 40.0);
  h.now = 20;
  p.update(40);
  EXPECT_DOUBLE_EQ(p.snapshot().rate, 2.0);
  // Slower: samples (0,0) (10,20) (20,40) (40,50). The window keeps the newest sample at or
  // before 40 - 30 = 10, i.e. (10,20): rate (50-20)/(40-10) = 1/s, 50 left: 50 s. The mean since
  // start would say 1.25/s and 40 s.
  h.now = 40;
  p.update(50);
  s = p.snapshot();
  EXPECT_DOUBLE_EQ(s.rate, 1.0);
  EXPECT_DOUBLE_EQ(s.eta_s, 50.0);
  h.now = 45;
  p.update(100);
  EXPECT_DOUBLE_EQ(p.snapshot().eta_s, 0.0);
}

TEST(Progress, ResumedWorkCountsInDoneButNotInTheRate) {
  Harness h;
  Progress p = h.make(opts(ProgressOptions::Style::lines), 100);
  h.now = 2;
  p.start_from(60);  // 60 done by an earlier run
  h.now = 12;
  p.update(70);  // 10 in the 10 s since the resume point: 1/s, 30 left: 30 s
  const ProgressSnapshot s = p.snapshot();
  EXPECT_EQ(s.done, 70);
  EXPECT_DOUBLE_EQ(s.rate, 1.0);
  EXPECT_DOUBLE_EQ(s.eta_s, 30.0);
  EXPECT_EQ(p.render(s), "decompose  70/100 matrices (70%)  1 matrices/s  elapsed 12s  ETA 30s");
}

TEST(Progress, UnknownRateAndTotal) {
  Harness h;
  Progress p = h.make(opts(ProgressOptions::Style::lines), 0);
  h.now = 5;
  ProgressSnapshot s = p.snapshot();
  EXPECT_EQ(s.rate, 0);
  EXPECT_EQ(s.eta_s, -1);
  EXPECT_EQ(p.render(s), "decompose  0 matrices  elapsed 5s");
  p.update(12);
  EXPECT_EQ(p.render(p.snapshot()), "decompose  12 matrices  2.4 matrices/s  elapsed 5s");
}

TEST(Progress, LinesStyleWritesOnePlainLinePerInterval) {
  Harness h;
  {
    Progress p = h.make(opts(ProgressOptions::Style::lines), 100);
    h.now = 1;
    p.update(2);
    h.now = 5;
    p.update(10);
    EXPECT_TRUE(h.writes.empty());
    h.now = 10;
    p.update(20, "max error 3e-07");
    ASSERT_EQ(h.writes.size(), 1u);
    EXPECT_EQ(h.writes[0],
              "decompose  20/100 matrices (20%)  2 matrices/s  elapsed 10s  ETA 40s  "
              "max error 3e-07\n");
    h.now = 15;
    p.update(30);
    EXPECT_EQ(h.writes.size(), 1u);
    h.now = 21;
    p.update(42);
    EXPECT_EQ(h.writes.size(), 2u);
    p.message("a log line");
    h.now = 50;
    p.update(100);
    EXPECT_EQ(h.writes.size(), 4u);  // line, line, message, line
    h.now = 50;
  }  // the destructor finishes: mean rate 100 / 50 s
  ASSERT_EQ(h.writes.size(), 5u);
  EXPECT_EQ(h.writes[2], "a log line\n");
  EXPECT_EQ(h.writes.back(), "decompose  100/100 matrices (100%)  2 matrices/s  done in 50s\n");
  for (const auto& w : h.writes) EXPECT_FALSE(has_control(w)) << w;
}

TEST(Progress, LinesStyleStaysQuietForAShortRun) {
  Harness h;
  {
    Progress p = h.make(opts(ProgressOptions::Style::lines), 3);
    for (int i = 1; i <= 3; ++i) {
      h.now = i;
      p.update(i);
    }
    p.finish();
  }
  EXPECT_TRUE(h.writes.empty());
}

TEST(Progress, TerminalStyleRedrawsOneLine) {
  Harness h;
  ProgressOptions o = opts(ProgressOptions::Style::terminal);
  o.label = "pretrain";
  o.unit = "steps";
  o.rate_unit = "tokens";
  o.rate_per_unit = 4096;  // tokens per step
  Progress p = h.make(o, 10);
  h.now = 2;
  p.update(1);
  ASSERT_EQ(h.writes.size(), 1u);
  EXPECT_EQ(h.writes[0], "\rpretrain  1/10 steps (10%)  2048 tokens/s  elapsed 2s  ETA 18s\033[K");
  h.now = 2.1;
  p.update(2);  // within redraw_s: no write
  EXPECT_EQ(h.writes.size(), 1u);
  p.message("step 2 loss 7.0");
  ASSERT_EQ(h.writes.size(), 3u);
  EXPECT_EQ(h.writes[1], "\r\033[Kstep 2 loss 7.0\n");
  EXPECT_EQ(h.writes[2].substr(0, 22), "\rpretrain  2/10 steps ");
  h.now = 2.2;
  p.update(10);  // complete: drawn at once
  EXPECT_EQ(h.writes.size(), 4u);
  h.now = 4;
  p.finish();
  p.finish();  // once only
  ASSERT_EQ(h.writes.size(), 5u);
  EXPECT_EQ(h.writes[4], "\rpretrain  10/10 steps (100%)  10.2k tokens/s  done in 4s\033[K\n");
}

TEST(Progress, DisabledPrintsNothing) {
  Harness h;
  ProgressOptions o = opts(ProgressOptions::Style::terminal);
  o.enabled = false;
  {
    Progress p = h.make(o, 10);
    for (int i = 1; i <= 10; ++i) {
      h.now = 100.0 * i;
      p.update(i);
    }
    p.message("hidden");
  }
  EXPECT_TRUE(h.writes.empty());
}

}  // namespace
}  // namespace t2

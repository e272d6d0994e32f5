// Summary tables: side-by-side rows per task, stored summaries preferred, computed ones for reports
// still running, CSV quoting.
#include <gtest/gtest.h>

#include "io/report_table.h"

namespace t2::io {
namespace {

// p1, p2: the sample's shares of its pass-1 and pass-2 batches (the per-sample times differ).
SampleRecord rec(const std::string& task, int64_t i, bool correct, double p1, double p2, int gen,
                 const std::string& expert = "base", double adapt = 0) {
  SampleRecord r;
  r.task = task;
  r.index = i;
  r.expert = expert;
  r.correct = correct;
  r.pass1_wall_s = p1;
  r.pass2_wall_s = p2;
  r.pass1_s = 10 * p1;
  r.pass2_s = 10 * p2;
  r.adapt_s = adapt;
  r.generated_tokens = gen;
  return r;
}

TEST(ReportTable, TextAndCsv) {
  ReportData a;
  a.status = "complete";
  a.tasks["gsm8k"] = {rec("gsm8k", 0, true, 1, 3, 40, "base", 0.25), rec("gsm8k", 1, false, 1, 1, 20)};
  a.summaries["gsm8k"] = summarize(a.tasks["gsm8k"]);
  ReportData b;  // still running: no stored summary, and a task a does not have
  b.status = "running";
  b.tasks["gsm8k"] = {rec("gsm8k", 0, true, 0, 2, 10, "math")};
  b.tasks["arc"] = {rec("arc", 0, false, 0.5, 0.5, 5, "mixture:m.h5")};
  b.tasks["arc"][0].vision_s = 0.125;
  const std::vector<std::pair<std::string, ReportData>> reports = {{"base.h5", a}, {"x,y.h5", b}};

  EXPECT_EQ(render_summary_table(reports, TableFormat::csv),
            "task,report,status,n,accuracy,errors,pass1_wall_s,pass2_wall_s,pass_ratio,adapt_s,vision_s,tokens_per_s,strategy\n"
            "arc,\"x,y.h5\",running,1,0.0000,0,0.500,0.500,1.0000,0.000,0.125,5.0,mixture:m.h5\n"
            "gsm8k,base.h5,complete,2,0.5000,0,2.000,4.000,0.5000,0.250,0.000,10.0,base\n"
            "gsm8k,\"x,y.h5\",running,1,1.0000,0,0.000,2.000,0.0000,0.000,0.000,5.0,expert:math\n");
  EXPECT_EQ(render_summary_table(reports, TableFormat::text),
            "task   report   status    n  accuracy  errors  pass1_wall_s  pass2_wall_s  pass_ratio  adapt_s  vision_s  tokens_per_s  strategy\n"
            "arc    x,y.h5   running   1    0.0000       0         0.500         0.500      1.0000    0.000     0.125           5.0  mixture:m.h5\n"
            "gsm8k  base.h5  complete  2    0.5000       0         2.000         4.000      0.5000    0.250     0.000          10.0  base\n"
            "gsm8k  x,y.h5   running   1    1.0000       0         0.000         2.000      0.0000    0.000     0.000           5.0  expert:math\n");
}

// Reports of the same task under different adaptations tell apart by the strategy column alone:
// a two-pass run names its dispatch (its rows carry several experts), others their expert column.
TEST(ReportTable, StrategyColumnNamesTheAdaptation) {
  ReportData dispatch;
  dispatch.run.config = "model = m\nstrategy = classifier\nbatch = 8\n";
  dispatch.tasks["gsm8k"] = {rec("gsm8k", 0, true, 1, 1, 4, "math"), rec("gsm8k", 1, true, 1, 1, 4, "base")};
  EXPECT_EQ(strategy_of(dispatch, dispatch.tasks["gsm8k"]), "classifier");
  ReportData plain;
  plain.run.config = "model = m\nexpert = e.h5\n";
  plain.tasks["gsm8k"] = {rec("gsm8k", 0, true, 0, 1, 4, "math")};
  EXPECT_EQ(strategy_of(plain, plain.tasks["gsm8k"]), "expert:math");
  plain.tasks["arc"] = {rec("arc", 0, true, 0, 1, 4, "math"), rec("arc", 1, true, 0, 1, 4, "base")};
  EXPECT_EQ(strategy_of(plain, plain.tasks["arc"]), "base,expert:math");
}

}  // namespace
}  // namespace t2::io

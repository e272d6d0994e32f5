// Summary tables: the figures shown are the summaries' own, every task × report appears, CSV fields
// are quoted when needed.
#include <gtest/gtest.h>

#include "adapt/report_table.h"

namespace t2::adapt {
namespace {

std::map<std::string, io::TaskSummary> make(int n_ok, int n_bad, int n_err) {
  std::vector<io::SampleRecord> recs;
  for (int i = 0; i < n_ok + n_bad + n_err; ++i) {
    io::SampleRecord r;
    r.task = "gsm8k";
    r.index = i;
    r.correct = i < n_ok;
    if (i >= n_ok + n_bad) r.status = "prompt too long";
    r.generated_tokens = 10;
    r.pass2_s = 0.5;
    recs.push_back(r);
  }
  return {{"gsm8k", io::summarize(recs)}};
}

TEST(ReportTable, TextShowsEveryReportAndTheAccuracyMatrix) {
  const auto a = make(3, 1, 0), b = make(1, 2, 1);
  const std::string t = format_summary_table({{"a.h5", a}, {"b, new.h5", b}});
  EXPECT_NE(t.find("gsm8k  a.h5"), std::string::npos) << t;
  EXPECT_NE(t.find("75.00"), std::string::npos) << t;   // 3 of 4
  EXPECT_NE(t.find("25.00"), std::string::npos) << t;   // 1 of 4
  EXPECT_NE(t.find("accuracy %"), std::string::npos) << t;
  EXPECT_NE(t.find("[2] b, new.h5"), std::string::npos) << t;
  EXPECT_NE(t.find("20.0"), std::string::npos) << t;   // 40 tokens / 2 s
}

TEST(ReportTable, CsvQuotesAndCounts) {
  const std::string c = format_summary_csv({{"a.h5", make(3, 1, 0)}, {"b, new.h5", make(1, 2, 1)}});
  EXPECT_EQ(c.rfind("task,report,n,correct,accuracy,errors,", 0), 0u);
  EXPECT_NE(c.find("gsm8k,a.h5,4,3,0.750000,0,"), std::string::npos) << c;
  EXPECT_NE(c.find("gsm8k,\"b, new.h5\",4,1,0.250000,1,"), std::string::npos) << c;
  EXPECT_EQ(std::count(c.begin(), c.end(), '\n'), 3);
}

}  // namespace
}  // namespace t2::adapt

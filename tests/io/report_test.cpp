// Report schema and writer: the record codec, a round trip that pins the file layout (attribute,
// group and column names and types, see docs/report.md), exactly-once commits, resume after a
// simulated crash (torn journal tail, damaged .h5), resume from a closed report without journal,
// refusal of a changed configuration or input, --overwrite of reports only, and readability by
// h5dump. Write failures (a full disk) are tested on a real tmpfs by tests/cli/disk_full_test.sh.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "base/error.h"
#include "io/file.h"
#include "io/h5.h"
#include "io/report.h"
#include "io/report_journal.h"

namespace t2::io {
namespace {

namespace fs = std::filesystem;

SampleRecord make_record(const std::string& task, int64_t i) {
  SampleRecord r;
  r.task = task;
  r.index = i;
  r.id = task + "-" + std::to_string(i);
  r.label = i % 3 == 0 ? "math" : (i % 3 == 1 ? "code" : "");
  r.expert = i % 2 ? "math_expert" : "base";
  r.prediction = std::to_string(i * 7);
  r.correct = i % 4 != 0;
  r.status = i % 5 == 4 ? "error: prompt too long (1100 > 1024 tokens)" : "ok";
  r.prompt_tokens = static_cast<int32_t>(10 + i);
  r.generated_tokens = static_cast<int32_t>(3 * i);
  r.pass1_s = 0.25 * static_cast<double>(i % 3);
  r.pass2_s = 0.5 + 0.125 * static_cast<double>(i);
  r.pass1_wall_s = 0.125 * static_cast<double>(i % 3);
  r.pass2_wall_s = 0.25 + 0.0625 * static_cast<double>(i);
  r.adapt_s = 0.03125 * static_cast<double>(i % 2);
  r.vision_s = 0.015625 * static_cast<double>(i % 4);
  r.text = "Step 1: ünïcödé ✓\nline two \"quoted\" " + std::to_string(i);
  return r;
}

RunInfo make_run() {
  RunInfo run;
  run.command = "eval";
  run.config = "task = gsm8k\nlimit = 10\n";
  run.version = "0.1.0";
  run.git_revision = "abc123";
  run.fingerprints = {{"model", "sha256:00ff"}, {"expert", "sha256:11ee"}};
  run.world_size = 5;
  run.tp = 2;
  run.hosts = {"node1", "node2"};
  run.start_time = "2026-01-01T00:00:00Z";
  return run;
}

std::vector<SampleRecord> sorted(std::vector<SampleRecord> v) {
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.index < b.index; });
  return v;
}

class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("t2_report_test_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

TEST(ReportRecord, CodecRoundTripAndTruncation) {
  std::vector<SampleRecord> recs = {make_record("gsm8k", 0), make_record("arc", 17)};
  recs[1].text = std::string("binary\x01\x7f\xff", 9);
  const std::string bytes = encode_records(recs);
  EXPECT_EQ(decode_records(bytes), recs);
  EXPECT_TRUE(decode_records(encode_records({})).empty());
  try {
    decode_records(bytes.substr(0, bytes.size() - 3), "unit 7 result");
    FAIL() << "truncated bytes decoded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unit 7 result: truncated"), std::string::npos) << e.what();
  }
  EXPECT_THROW(decode_records(bytes + "x"), Error);
}

TEST(ReportRecord, SummaryCountsErrorsAsWrongAndSplitsLabels) {
  std::vector<SampleRecord> recs;
  for (int i = 0; i < 10; ++i) recs.push_back(make_record("t", i));
  const TaskSummary s = summarize(recs);
  EXPECT_EQ(s.n, 10);
  EXPECT_EQ(s.n_correct, 7);  // i % 4 != 0 for i in 0..9: all but 0, 4, 8
  EXPECT_EQ(s.n_errors, 2);   // i = 4, 9
  EXPECT_DOUBLE_EQ(s.accuracy, 0.7);
  EXPECT_DOUBLE_EQ(s.pass1_s, 0.25 * (0 + 1 + 2 + 0 + 1 + 2 + 0 + 1 + 2 + 0));
  EXPECT_DOUBLE_EQ(s.pass2_s, 10 * 0.5 + 0.125 * 45);
  // Batch shares sum to the replica's time per pass; the ratio and the throughput use them.
  EXPECT_DOUBLE_EQ(s.pass1_wall_s, 0.125 * 9);
  EXPECT_DOUBLE_EQ(s.pass2_wall_s, 10 * 0.25 + 0.0625 * 45);
  EXPECT_DOUBLE_EQ(s.adapt_s, 0.03125 * 5);
  EXPECT_DOUBLE_EQ(s.vision_s, 0.015625 * 13);  // Σ i % 4 over 0..9
  EXPECT_DOUBLE_EQ(s.pass_ratio, s.pass1_wall_s / s.pass2_wall_s);
  EXPECT_EQ(s.generated_tokens, 135);
  EXPECT_DOUBLE_EQ(s.tokens_per_s, 135 / (s.pass1_wall_s + s.pass2_wall_s));
  EXPECT_EQ(s.by_label.at("math").n, 4);  // 0, 3, 6, 9
  EXPECT_EQ(s.by_label.at("math").n_correct, 3);  // 3, 6, 9 (0 is wrong)
}

TEST_F(ReportTest, RoundTripPinsTheSchema) {
  const std::string p = path("r.h5");
  std::vector<SampleRecord> a = {make_record("gsm8k", 3), make_record("gsm8k", 1), make_record("arc", 0)};
  std::vector<SampleRecord> b = {make_record("gsm8k", 2), make_record("arc", 5)};
  {
    ReportWriter w = ReportWriter::create(p, make_run());
    EXPECT_TRUE(file_exists(journal_path(p)));
    w.commit(a);
    w.commit(b);
    EXPECT_EQ(w.n_committed(), 5);
    EXPECT_TRUE(w.is_committed("arc", 5));
    EXPECT_FALSE(w.is_committed("arc", 1));
    w.finish(RunStatus::complete);
  }
  EXPECT_FALSE(file_exists(journal_path(p))) << "a complete run removes its journal";
  const ReportData d = read_report(p);
  EXPECT_EQ(d.run, make_run());
  EXPECT_EQ(d.status, "complete");
  EXPECT_EQ(d.n_segments, 1);
  EXPECT_EQ(d.end_time.size(), 20u);  // YYYY-MM-DDTHH:MM:SSZ
  ASSERT_EQ(d.tasks.size(), 2u);
  // Rows in commit order.
  EXPECT_EQ(d.tasks.at("gsm8k"), (std::vector<SampleRecord>{a[0], a[1], b[0]}));
  EXPECT_EQ(d.tasks.at("arc"), (std::vector<SampleRecord>{a[2], b[1]}));
  for (const auto& [task, rows] : d.tasks) {
    const TaskSummary want = summarize(rows);
    const TaskSummary& got = d.summaries.at(task);
    EXPECT_EQ(got.n, want.n);
    EXPECT_EQ(got.n_correct, want.n_correct);
    EXPECT_EQ(got.n_errors, want.n_errors);
    EXPECT_DOUBLE_EQ(got.accuracy, want.accuracy);
    EXPECT_DOUBLE_EQ(got.pass_ratio, want.pass_ratio);
    EXPECT_DOUBLE_EQ(got.tokens_per_s, want.tokens_per_s);
    EXPECT_EQ(got.by_label, want.by_label);
  }
  // The pinned layout (docs/report.md): names and element types.
  h5::File f = h5::File::open(p);
  for (const char* attr : {"schema", "schema_version", "command", "config", "version",
                           "git_revision", "world_size", "tp", "hosts", "start_time", "end_time",
                           "status", "n_segments"}) {
    EXPECT_TRUE(f.has_attr(attr)) << attr;
  }
  EXPECT_EQ(f.attr_string("schema"), "t2-report");
  EXPECT_EQ(f.attr_i64("schema_version"), 2);
  EXPECT_EQ(f.attr_string("hosts"), "node1,node2");
  EXPECT_EQ(f.group("fingerprints").attr_string("model"), "sha256:00ff");
  const std::vector<std::pair<std::string, h5::DType>> columns = {
      {"index", h5::DType::i64},          {"id", h5::DType::string},
      {"label", h5::DType::string},       {"expert", h5::DType::string},
      {"prediction", h5::DType::string},  {"correct", h5::DType::i32},
      {"status", h5::DType::string},      {"prompt_tokens", h5::DType::i32},
      {"generated_tokens", h5::DType::i32}, {"pass1_s", h5::DType::f64},
      {"pass2_s", h5::DType::f64},        {"text", h5::DType::string},
      {"pass1_wall_s", h5::DType::f64},   {"pass2_wall_s", h5::DType::f64},
      {"adapt_s", h5::DType::f64},        {"vision_s", h5::DType::f64}};
  const h5::Group samples = f.group("tasks/gsm8k/samples");
  EXPECT_EQ(samples.children().size(), columns.size());
  for (const auto& [name, type] : columns) {
    const h5::Dataset ds = samples.dataset(name);
    EXPECT_EQ(ds.dtype(), type) << name;
    EXPECT_EQ(ds.shape(), (std::vector<int64_t>{3})) << name;
  }
  const h5::Group task = f.group("tasks/gsm8k");
  for (const char* attr : {"n", "n_correct", "n_errors", "accuracy", "pass1_s", "pass2_s",
                           "pass1_wall_s", "pass2_wall_s", "adapt_s", "vision_s", "pass_ratio",
                           "prompt_tokens", "generated_tokens", "tokens_per_s"}) {
    EXPECT_TRUE(task.has_attr(attr)) << attr;
  }
  for (const char* col : {"label", "n", "n_correct", "accuracy"})
    EXPECT_TRUE(task.has_dataset(std::string("by_label/") + col)) << col;
}

// A report of schema version 1 (before per-sample pass times) is still read: its pass1_s/pass2_s
// columns were each sample's share of its batch, so they become the wall shares, and the
// per-sample times are unknown (NaN). Made here by rewriting a version-2 file into the old layout.
TEST_F(ReportTest, ReadsSchemaVersionOne) {
  const std::string p = path("v1.h5");
  {
    ReportWriter w = ReportWriter::create(p, make_run());
    w.commit({make_record("t", 1), make_record("t", 2)});
    w.finish(RunStatus::complete);
  }
  {
    h5::File f = h5::File::open(p, h5::Mode::read_write);
    f.set_attr("schema_version", int64_t{1});
    h5::Group g = f.group("tasks/t/samples");
    for (const char* c : {"pass1_wall_s", "pass2_wall_s", "adapt_s"}) g.remove(c);
    h5::Group t = f.group("tasks/t");
    t.set_attr("pass1_s", 0.375);  // v1 summaries: sums of the shares
    t.set_attr("pass2_s", 1.75);
  }
  const ReportData d = read_report(p);
  const auto& rows = d.tasks.at("t");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].pass1_wall_s, make_record("t", 1).pass1_s);
  EXPECT_EQ(rows[1].pass2_wall_s, make_record("t", 2).pass2_s);
  EXPECT_TRUE(std::isnan(rows[0].pass2_s));
  EXPECT_EQ(rows[0].adapt_s, 0.0);
  EXPECT_EQ(d.summaries.at("t").pass1_wall_s, 0.375);
  EXPECT_EQ(d.summaries.at("t").pass2_wall_s, 1.75);
  EXPECT_TRUE(std::isnan(d.summaries.at("t").pass1_s));
}

// A version-2 report written before the vision_s column reads it as 0, and a resumed run that
// appends to it first fills the column with zeros for the rows already there.
TEST_F(ReportTest, ReportWithoutVisionColumnIsReadAndResumed) {
  const std::string p = path("novision.h5");
  {
    ReportWriter w = ReportWriter::create(p, make_run());
    w.commit({make_record("t", 0), make_record("t", 4)});  // vision_s 0, as an old writer stored
    w.finish(RunStatus::interrupted);
  }
  fs::remove(journal_path(p));
  {
    h5::File f = h5::File::open(p, h5::Mode::read_write);
    f.group("tasks/t/samples").remove("vision_s");
  }
  const ReportData old = read_report(p);
  ASSERT_EQ(old.tasks.at("t").size(), 2u);
  EXPECT_EQ(old.tasks.at("t")[1].vision_s, 0.0);
  EXPECT_EQ(old.summaries.at("t").vision_s, 0.0);
  {
    ReportWriter w = ReportWriter::resume(p, make_run());
    SampleRecord r = make_record("t", 8);
    r.vision_s = 0.5;
    w.commit({r});
    w.finish(RunStatus::complete);
  }
  const ReportData d = read_report(p);
  const auto& rows = d.tasks.at("t");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].vision_s, 0.0);
  EXPECT_EQ(rows[1].vision_s, 0.0);
  EXPECT_EQ(rows[2].vision_s, 0.5);
  EXPECT_EQ(rows[2].pass2_s, make_record("t", 8).pass2_s);
}

TEST_F(ReportTest, CommitIsExactlyOnce) {
  const std::string p = path("once.h5");
  ReportWriter w = ReportWriter::create(p, make_run());
  w.commit({make_record("t", 1), make_record("t", 2)});
  EXPECT_THROW(w.commit({make_record("t", 3), make_record("t", 2)}), Error);
  EXPECT_THROW(w.commit({make_record("t", 4), make_record("t", 4)}), Error);
  auto bad = make_record("a/b", 0);
  EXPECT_THROW(w.commit({bad}), Error);
  w.commit({make_record("t", 3)});  // the rejected batches wrote nothing
  w.finish(RunStatus::interrupted);
  const ReportData d = read_report(p);
  ASSERT_EQ(d.tasks.at("t").size(), 3u);
  EXPECT_EQ(d.status, "interrupted");
  EXPECT_EQ(read_journal(journal_path(p)).records.size(), 3u);
}

TEST_F(ReportTest, NulBytesBecomeReplacementCharactersInBothFiles) {
  const std::string p = path("nul.h5");
  auto r = make_record("t", 0);
  r.text = std::string("a\0b", 3);
  {
    ReportWriter w = ReportWriter::create(p, make_run());
    w.commit({r});
    w.finish(RunStatus::interrupted);
  }
  EXPECT_EQ(read_report(p).tasks.at("t")[0].text, "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(read_journal(journal_path(p)).records[0].text, "a\xEF\xBF\xBD" "b");
}

TEST_F(ReportTest, UnsyncedCommitsAreInTheJournalWhenTheWriterDies) {
  const std::string p = path("nosync.h5");
  {
    ReportWriter w = ReportWriter::create(p, make_run(), ReportOptions{.sync_interval_s = 3600});
    for (int i = 0; i < 3; ++i) w.commit({make_record("t", i)});
  }
  EXPECT_EQ(read_journal(journal_path(p)).records.size(), 3u);
}

TEST_F(ReportTest, RefusesToOverwriteAndRejectsForeignFiles) {
  const std::string p = path("x.h5");
  { ReportWriter::create(p, make_run()).finish(RunStatus::complete); }
  try {
    ReportWriter::create(p, make_run());
    FAIL() << "existing report overwritten";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--resume"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(ReportWriter::create(p, make_run(), ReportOptions{.overwrite = true}));
  { h5::File::create(path("other.h5")).set_attr("schema", "something-else"); }
  EXPECT_THROW(read_report(path("other.h5")), Error);
  write_file_atomic(path("bad.journal"), "not a journal");
  EXPECT_THROW(read_journal(path("bad.journal")), Error);
}

TEST_F(ReportTest, ResumeAfterCrashUsesTheJournalAndDropsATornTail) {
  const std::string p = path("crash.h5");
  std::vector<SampleRecord> all;
  for (int i = 0; i < 30; ++i) all.push_back(make_record(i % 2 ? "arc" : "gsm8k", i));
  {
    ReportWriter w = ReportWriter::create(p, make_run());
    for (int u = 0; u < 4; ++u) w.commit({all.begin() + 5 * u, all.begin() + 5 * u + 5});
    // No finish: the process "dies" here.
  }
  // A torn last frame (a write cut short) and a damaged .h5 (its writer died mid-flush).
  {
    std::ofstream j(journal_path(p), std::ios::app | std::ios::binary);
    j << std::string("\x40\x00\x00\x00\x12\x34\x56\x78" "C partial", 17);
  }
  fs::resize_file(p, fs::file_size(p) / 3);
  EXPECT_EQ(read_journal(journal_path(p)).torn_bytes, 17);

  RunInfo again = make_run();
  again.world_size = 3;
  again.tp = 1;
  {
    ReportWriter w = ReportWriter::resume(p, again);
    EXPECT_EQ(w.n_committed(), 20);
    for (int i = 0; i < 30; ++i) EXPECT_EQ(w.is_committed(all[i].task, i), i < 20) << i;
    for (int u = 4; u < 6; ++u) w.commit({all.begin() + 5 * u, all.begin() + 5 * u + 5});
    w.finish(RunStatus::complete);
  }
  const ReportData d = read_report(p);
  EXPECT_EQ(d.n_segments, 2);
  EXPECT_EQ(d.run.world_size, 3);
  EXPECT_EQ(d.run.start_time, make_run().start_time);
  std::vector<SampleRecord> gsm, arc;
  for (const auto& r : all) (r.task == "arc" ? arc : gsm).push_back(r);
  EXPECT_EQ(sorted(d.tasks.at("gsm8k")), gsm);
  EXPECT_EQ(sorted(d.tasks.at("arc")), arc);
  EXPECT_EQ(d.summaries.at("arc").n, 15);
}

TEST_F(ReportTest, ResumeFromAClosedReportWithoutJournal) {
  const std::string p = path("closed.h5");
  {
    ReportWriter w = ReportWriter::create(p, make_run());
    w.commit({make_record("t", 0), make_record("t", 1)});
    w.finish(RunStatus::interrupted);
  }
  fs::remove(journal_path(p));
  {
    ReportWriter w = ReportWriter::resume(p, make_run());
    EXPECT_TRUE(file_exists(journal_path(p)));
    EXPECT_EQ(w.n_committed(), 2);
    w.commit({make_record("t", 2)});
    // Not finished: the rebuilt journal must carry all three.
  }
  const JournalContents j = read_journal(journal_path(p));
  EXPECT_EQ(j.records.size(), 3u);
  EXPECT_EQ(j.n_segments, 2);
}

TEST_F(ReportTest, ResumeRefusesAChangedConfiguration) {
  const std::string p = path("cfg.h5");
  { ReportWriter::create(p, make_run()).commit({make_record("t", 0)}); }
  RunInfo changed = make_run();
  changed.config = "task = gsm8k\nlimit = 20\n";
  try {
    ReportWriter::resume(p, changed);
    FAIL() << "changed configuration accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("line 2: report has 'limit = 10', this run has 'limit = 20'"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(ReportWriter::resume(path("missing.h5"), make_run()), Error);
}

// An input that changed since the run started (an edited data file) cannot be resumed: the
// committed samples came from the old one. The message names the input, its file and both
// fingerprints; the unchanged input resumes.
TEST_F(ReportTest, ResumeRefusesAChangedInput) {
  const std::string p = path("input.h5");
  RunInfo run = make_run();
  run.fingerprints["data/gsm8k"] = "aaaa";
  { ReportWriter::create(p, run).commit({make_record("gsm8k", 0)}); }
  RunInfo edited = run;
  edited.fingerprints["data/gsm8k"] = "bbbb";
  ReportOptions o;
  o.inputs["data/gsm8k"] = "suite/gsm8k.jsonl";
  try {
    ReportWriter::resume(p, edited, o);
    FAIL() << "a changed input was resumed";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("input 'data/gsm8k' (suite/gsm8k.jsonl) changed since the "
                                         "run started (fingerprint aaaa then, bbbb now)"),
              std::string::npos)
        << e.what();
  }
  RunInfo dropped = run;
  dropped.fingerprints.erase("expert");
  EXPECT_THROW(ReportWriter::resume(p, dropped), Error);
  ReportWriter w = ReportWriter::resume(p, run, o);
  EXPECT_EQ(w.n_committed(), 1);
}

// --overwrite replaces a report, never an expert, an SVD store, another HDF5 file or a folder.
TEST_F(ReportTest, OverwriteReplacesOnlyReports) {
  const ReportOptions overwrite{.overwrite = true};
  { h5::File::create(path("expert.h5")).set_attr("format", "t2-svf-expert"); }
  { h5::File::create(path("foreign.h5")).set_attr("x", "y"); }
  fs::create_directories(path("folder.h5"));
  for (const auto& [name, what] : {std::pair{"expert.h5", "is an SVF expert, not a t2 report"},
                                   std::pair{"foreign.h5", "is an HDF5 file not written by t2"},
                                   std::pair{"folder.h5", "expected a file, found a directory"}}) {
    try {
      ReportWriter::create(path(name), make_run(), overwrite);
      FAIL() << name << " was overwritten";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(h5::File::open(path("expert.h5")).attr_string("format"), "t2-svf-expert");
  EXPECT_FALSE(file_exists(journal_path(path("expert.h5"))));
  { ReportWriter::create(path("r.h5"), make_run()).finish(RunStatus::complete); }
  EXPECT_NO_THROW(ReportWriter::create(path("r.h5"), make_run(), overwrite).finish(RunStatus::complete));
  // A report damaged mid-write, next to its journal, is ours to replace too.
  { ReportWriter::create(path("torn.h5"), make_run()).commit({make_record("t", 0)}); }
  fs::resize_file(path("torn.h5"), 100);
  EXPECT_NO_THROW(ReportWriter::create(path("torn.h5"), make_run(), overwrite).finish(RunStatus::complete));
}

TEST_F(ReportTest, ReadableByH5dump) {
  ASSERT_EQ(std::system("command -v h5dump > /dev/null"), 0)
      << "h5dump not found: install hdf5-tools (scripts/setup.sh)";
  const std::string p = path("dump.h5");
  {
    ReportWriter w = ReportWriter::create(p, make_run());
    w.commit({make_record("gsm8k", 0), make_record("gsm8k", 1)});
    w.finish(RunStatus::complete);
  }
  const std::string out = path("dump.txt");
  ASSERT_EQ(std::system(("h5dump -d /tasks/gsm8k/samples/prediction -a /schema " + p + " > " + out)
                            .c_str()),
            0);
  const std::string text = read_file(out);
  EXPECT_NE(text.find("\"t2-report\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"0\", \"7\""), std::string::npos) << text;
}

}  // namespace
}  // namespace t2::io

// End-to-end tests of `t2 demo` (the built binary, path in T2_BINARY): bad options are refused
// with a clear message before any work (unit), and the reduced demo (--quick, label demo) runs
// every stage and writes demo.json / tables.txt with the expected structure, and paired figures
// that the per-sample verdicts of its reports give again.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "io/file.h"
#include "io/report.h"

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

struct Result {
  int status;
  std::string err;
};

Result run_demo(const std::string& args, const fs::path& dir) {
  fs::create_directories(dir);
  const std::string cmd = std::string(T2_BINARY) + " demo " + args + " > " + (dir / "out.txt").string() +
                          " 2> " + (dir / "err.txt").string();
  const int rc = std::system(cmd.c_str());
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, t2::io::read_file((dir / "err.txt").string())};
}

fs::path temp_dir(const std::string& name) {
  return fs::temp_directory_path() / ("t2_demo_test_" + name + "_" + std::to_string(getpid()));
}

#ifndef T2_DEMO_QUICK
TEST(DemoCommand, BadOptionsAreRefusedBeforeAnyWork) {
  const fs::path dir = temp_dir("bad");
  Result r = run_demo("--model /nonexistent/mini --out " + (dir / "o").string(), dir);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("/nonexistent/mini/config.json not found"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "o"));
  r = run_demo("--ranks 0", dir);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("--ranks must be at least 1"), std::string::npos) << r.err;
  if (geteuid() == 0 && std::getenv("OMPI_ALLOW_RUN_AS_ROOT") == nullptr) {
    // mpirun would refuse every stage: the demo says so before any work.
    r = run_demo("--ranks 3 --out " + (dir / "o").string(), dir);
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("OMPI_ALLOW_RUN_AS_ROOT=1"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir / "o"));
  }
  r = run_demo("--no-such-option", dir);
  EXPECT_NE(r.status, 0);
  r = run_demo("--help", dir);
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(t2::io::read_file((dir / "out.txt").string()).find("--quick"), std::string::npos);
  fs::remove_all(dir);
}

// The mini model's recipe (jobs/mini-pretrain.cfg) pretrains into the folder that holds its
// tokenizer: the tokenizer files must stay as they are rather than be copied onto themselves.
TEST(DemoCommand, PretrainIntoTheTokenizerFolder) {
  const fs::path dir = temp_dir("pretrain");
  fs::create_directories(dir / "m");
  for (const char* f : {"tokenizer.json", "tokenizer_config.json"})
    fs::copy_file(fs::path("datasets/mini/model") / f, dir / "m" / f);
  const std::string tokenizer = t2::io::read_file((dir / "m" / "tokenizer.json").string());
  json shape = json::parse(t2::io::read_file("datasets/mini/shape.json"));
  shape["hidden_size"] = 16;
  shape["intermediate_size"] = 32;
  shape["num_hidden_layers"] = 1;
  shape["num_attention_heads"] = 2;
  shape["num_key_value_heads"] = 1;
  shape["head_dim"] = 8;
  t2::io::write_file_atomic((dir / "shape.json").string(), shape.dump());
  t2::io::write_file_atomic((dir / "corpus.jsonl").string(),
                            "{\"text\": \"Tess has 19 cards. Tess gives 17 cards to Cara.\\n#### 2\"}\n"
                            "{\"text\": \"def reverse_list(lst):\\n    return lst[::-1]\"}\n");
  const std::string cmd = std::string(T2_BINARY) + " pretrain --shape " + (dir / "shape.json").string() +
                          " --corpus " + (dir / "corpus.jsonl").string() + " --tokenizer " + (dir / "m").string() +
                          " --out " + (dir / "m").string() + " --steps 2 --batch 2 --seq-len 16 --threads 1 > " +
                          (dir / "log.txt").string() + " 2>&1";
  const int rc = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 0) << t2::io::read_file((dir / "log.txt").string());
  EXPECT_TRUE(fs::exists(dir / "m" / "model.safetensors"));
  EXPECT_TRUE(fs::exists(dir / "m" / "config.json"));
  EXPECT_EQ(t2::io::read_file((dir / "m" / "tokenizer.json").string()), tokenizer);
  fs::remove_all(dir);
}

#else
TEST(DemoCommand, QuickDemoRunsEveryStage) {
  const fs::path dir = temp_dir("quick");
  const fs::path out = dir / "run";
  const Result r = run_demo("--quick --out " + out.string(), dir);
  ASSERT_EQ(r.status, 0) << r.err;
  const json s = json::parse(t2::io::read_file((out / "demo.json").string()));
  std::set<std::string> ok, skipped;
  for (const json& st : s.at("stages")) {
    const std::string status = st.at("status");
    (status == "ok" ? ok : skipped).insert(st.at("name").get<std::string>());
    EXPECT_TRUE(status == "ok" || (status == "skipped" && !st.at("reason").get<std::string>().empty()))
        << st.dump();
  }
  for (const char* name : {"suite", "decompose", "expert-math", "expert-code", "expert-reasoning", "expert-cls",
                           "test-base", "test-math", "test-code", "test-reasoning", "test-cls", "unseen-base",
                           "unseen-prompt", "unseen-classifier", "cem-math", "cem-humaneval", "cem-arc", "report"})
    EXPECT_TRUE(ok.count(name)) << name << " did not run: " << s.dump(2);
  EXPECT_TRUE(skipped.empty()) << s.dump(2);
  // Experts: base and expert on the same test samples (the test-* reports), paired figures that
  // the reports' per-sample verdicts give again, and the training history's test accuracies on
  // the same samples beside them.
  ASSERT_EQ(s.at("experts").size(), 4u);
  const t2::io::ReportData base_report = t2::io::read_report((out / "test" / "base.h5").string());
  for (const json& e : s.at("experts")) {
    const std::string name = e.at("expert"), task = e.at("task");
    EXPECT_TRUE(fs::exists(out / "experts" / (name + ".h5")));
    ASSERT_TRUE(e.contains("paired")) << e.dump();
    const json& p = e.at("paired");
    const t2::io::ReportData rep = t2::io::read_report((out / "test" / (name + ".h5")).string());
    ASSERT_TRUE(rep.tasks.count(task) && base_report.tasks.count(task)) << name;
    const auto& b = base_report.tasks.at(task);
    const auto& x = rep.tasks.at(task);
    ASSERT_EQ(b.size(), x.size()) << name;
    ASSERT_GT(b.size(), 1u) << name;
    double n_b = 0, n_x = 0, sum_d2 = 0;
    for (size_t i = 0; i < b.size(); ++i) {
      ASSERT_EQ(b[i].id, x[i].id) << name << " " << i;  // the same samples in the same order
      n_b += b[i].correct;
      n_x += x[i].correct;
    }
    const double n = static_cast<double>(b.size()), delta = (n_x - n_b) / n;
    for (size_t i = 0; i < b.size(); ++i) {
      const double d = static_cast<double>(x[i].correct) - static_cast<double>(b[i].correct) - delta;
      sum_d2 += d * d;
    }
    EXPECT_EQ(p.at("n").get<double>(), n) << name;
    EXPECT_EQ(e.at("n_test").get<double>(), n) << name;
    EXPECT_NEAR(p.at("base").get<double>(), n_b / n, 1e-12) << name;
    EXPECT_NEAR(p.at("other").get<double>(), n_x / n, 1e-12) << name;
    EXPECT_NEAR(p.at("noise_2se").get<double>(), 2 * std::sqrt(sum_d2 / (n - 1) / n), 1e-12) << name;
    EXPECT_EQ(p.at("beyond_noise").get<bool>(), delta > p.at("noise_2se").get<double>()) << name;
    // The history tested the same samples (cls: a superset, see demo.md).
    if (name != "cls") {
      EXPECT_EQ(e.at("history").at("n_test").get<double>(), n) << name;
      EXPECT_NEAR(e.at("history").at("base_test_acc").get<double>(), n_b / n, 1.01 / n) << e.dump();
      EXPECT_NEAR(e.at("history").at("expert_test_acc").get<double>(), n_x / n, 1.01 / n) << e.dump();
    }
  }
  // Unseen tasks: every strategy's report is a readable t2 report holding the three tasks, with
  // pass-1 time and a dispatch label for every sample of the two-pass strategies; every CEM search
  // left its mixture and report; the figures compare them on the same non-shot samples.
  for (const char* strategy : {"base", "prompt", "classifier"}) {
    const t2::io::ReportData rep = t2::io::read_report((out / ("unseen-" + std::string(strategy) + ".h5")).string());
    EXPECT_EQ(rep.status, "complete") << strategy;
    for (const char* task : {"math", "humaneval", "arc"}) {
      ASSERT_TRUE(rep.tasks.count(task)) << strategy << " " << task;
      EXPECT_FALSE(rep.tasks.at(task).empty());
      for (const auto& r : rep.tasks.at(task)) {
        EXPECT_EQ(r.label.empty(), std::string(strategy) == "base") << strategy << " " << task;
        EXPECT_EQ(r.pass1_s > 0, std::string(strategy) != "base") << strategy << " " << task;
      }
    }
  }
  ASSERT_EQ(s.at("unseen").size(), 3u);
  for (const json& t : s.at("unseen")) {
    const std::string task = t.at("task");
    EXPECT_TRUE(fs::exists(out / "cem" / (task + ".h5"))) << task;
    EXPECT_TRUE(fs::exists(out / "cem" / (task + ".report.h5"))) << task;
    EXPECT_EQ(t.at("shots").get<int>(), 3) << t.dump();
    for (const char* k : {"base", "prompt", "classifier", "cem"}) {
      ASSERT_TRUE(t.contains(k)) << k << " " << t.dump();
      EXPECT_EQ(t.at(k).at("n"), t.at("n")) << k << " " << t.dump();
      EXPECT_GE(t.at(k).at("accuracy").get<double>(), 0.0);
      EXPECT_LE(t.at(k).at("accuracy").get<double>(), 1.0);
    }
    EXPECT_EQ(t.at("cem").at("alpha").size(), 3u) << t.dump();
    // Every system against the base, paired on the non-shot samples.
    for (const char* k : {"prompt", "classifier", "cem"}) {
      const json& d = t.at("vs_base").at(k);
      EXPECT_EQ(d.at("n"), t.at("n")) << k << " " << t.dump();
      EXPECT_DOUBLE_EQ(d.at("base").get<double>(), t.at("base").at("accuracy").get<double>()) << k;
      EXPECT_DOUBLE_EQ(d.at("other").get<double>(), t.at(k).at("accuracy").get<double>()) << k;
      EXPECT_GE(d.at("noise_2se").get<double>(), 0.0) << k;
    }
  }
  const std::string tables = t2::io::read_file((out / "tables.txt").string());
  for (const char* needle : {"expert", "base", "gsm8k", "mbpp", "arc", "cls", "wall time", "Unseen tasks",
                             "humaneval", "CEM mixture weights", "Two-pass inference time", "classifier",
                             "paired on the same samples", "standard error of the per-sample difference"})
    EXPECT_NE(tables.find(needle), std::string::npos) << needle << " not in\n" << tables;
  EXPECT_GT(s.at("wall_seconds").get<double>(), 0.0);
  fs::remove_all(dir);
}
#endif

}  // namespace

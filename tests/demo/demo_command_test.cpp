// End-to-end tests of `t2 demo` (the built binary, path in T2_BINARY): bad options are refused
// with a clear message before any work (unit), and the reduced demo (--quick, label slow) runs
// every stage and writes demo.json / tables.txt with the expected structure and sane figures.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "io/file.h"

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
  r = run_demo("--no-such-option", dir);
  EXPECT_NE(r.status, 0);
  r = run_demo("--help", dir);
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(t2::io::read_file((dir / "out.txt").string()).find("--quick"), std::string::npos);
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
  for (const char* name : {"suite", "cls-data", "decompose", "expert-math", "expert-code",
                           "expert-reasoning", "expert-cls"})
    EXPECT_TRUE(ok.count(name)) << name << " did not run: " << s.dump(2);
  for (const char* name : {"unseen-base", "dispatch+cem"})
    EXPECT_TRUE(ok.count(name) || skipped.count(name)) << name << " missing: " << s.dump(2);
  ASSERT_EQ(s.at("experts").size(), 4u);
  for (const json& e : s.at("experts")) {
    EXPECT_GT(e.at("n_test").get<long>(), 0) << e.dump();
    for (const char* k : {"base_test_acc", "expert_test_acc"}) {
      EXPECT_GE(e.at(k).get<double>(), 0.0) << e.dump();
      EXPECT_LE(e.at(k).get<double>(), 1.0) << e.dump();
    }
    EXPECT_TRUE(fs::exists(out / "experts" / (e.at("expert").get<std::string>() + ".h5")));
  }
  const std::string tables = t2::io::read_file((out / "tables.txt").string());
  for (const char* needle : {"expert", "base", "gsm8k", "mbpp", "arc", "cls", "wall time"})
    EXPECT_NE(tables.find(needle), std::string::npos) << needle << " not in\n" << tables;
  EXPECT_GT(s.at("wall_seconds").get<double>(), 0.0);
  fs::remove_all(dir);
}
#endif

}  // namespace

// End-to-end test of `t2 tokenize`: runs the built t2 binary (path in T2_BINARY) on inputs made
// from the golden files and compares its output with the reference ids, including a malformed
// line in the middle (reported with its line number, the others still processed, exit status 1).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <sys/wait.h>

#include "io/file.h"

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

std::vector<json> read_jsonl(const std::string& text) {
  std::vector<json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
  return out;
}

struct CommandResult {
  int status;
  std::vector<json> out;
  std::string err;
};

CommandResult run_t2(const std::string& args, const std::vector<std::string>& input_lines) {
  const fs::path dir = fs::temp_directory_path() / ("t2_tokenize_test_" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::string input;
  for (const auto& l : input_lines) input += l + "\n";
  t2::io::write_file_atomic((dir / "in.jsonl").string(), input);
  const std::string cmd = std::string(T2_BINARY) + " tokenize " + args + " --input " +
                          (dir / "in.jsonl").string() + " > " + (dir / "out.jsonl").string() +
                          " 2> " + (dir / "err.txt").string();
  const int rc = std::system(cmd.c_str());
  CommandResult r{WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, read_jsonl(t2::io::read_file((dir / "out.jsonl").string())),
        t2::io::read_file((dir / "err.txt").string())};
  fs::remove_all(dir);
  return r;
}

const std::string kFix = "../shared/fixtures/tokenizers/";

TEST(TokenizeCommand, EncodesGoldenLinesAndReportsTheBadOne) {
  const auto golden = read_jsonl(t2::io::read_file(kFix + "llama3/golden.jsonl"));
  std::vector<std::string> lines;
  std::vector<json> expected;
  for (const auto& g : golden) {
    if (g.contains("messages")) {
      lines.push_back(json{{"messages", g["messages"]},
                           {"add_generation_prompt", g["add_generation_prompt"]}}.dump());
    } else {
      lines.push_back(json{{"text", g["text"]}}.dump());
    }
    expected.push_back(g["ids"]);
    if (lines.size() == 100) {  // a malformed line in the middle
      lines.push_back("{\"text\": ");
      expected.push_back(nullptr);
    }
  }
  const CommandResult r = run_t2("--tokenizer " + kFix + "llama3", lines);
  EXPECT_EQ(r.status, 1);
  ASSERT_EQ(r.out.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    if (expected[i].is_null()) {
      EXPECT_TRUE(r.out[i].contains("error")) << r.out[i].dump();
      continue;
    }
    EXPECT_EQ(r.out[i].value("ids", json()), expected[i]) << "line " << i + 1;
  }
  EXPECT_NE(r.err.find("in.jsonl:101:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1 of 361 lines failed"), std::string::npos) << r.err;
}

TEST(TokenizeCommand, NoSpecialAndDecode) {
  const auto golden = read_jsonl(t2::io::read_file(kFix + "mistral/golden_split_special.jsonl"));
  std::vector<std::string> text_lines, id_lines;
  for (const auto& g : golden) {
    text_lines.push_back(json{{"text", g["text"]}}.dump());
    id_lines.push_back(json{{"ids", g["ids"]}}.dump());
  }
  const CommandResult enc = run_t2("--no-special --tokenizer " + kFix + "mistral/tokenizer.json", text_lines);
  EXPECT_EQ(enc.status, 0) << enc.err;
  ASSERT_EQ(enc.out.size(), golden.size());
  const CommandResult dec = run_t2("--decode --tokenizer " + kFix + "mistral", id_lines);
  EXPECT_EQ(dec.status, 0) << dec.err;
  ASSERT_EQ(dec.out.size(), golden.size());
  for (size_t i = 0; i < golden.size(); ++i) {
    EXPECT_EQ(enc.out[i].at("ids"), golden[i]["ids"]) << i;
    EXPECT_EQ(dec.out[i].at("text"), golden[i]["decoded"]) << i;
  }
}

TEST(TokenizeCommand, BadTokenizerPathFailsClearly) {
  const CommandResult r = run_t2("--tokenizer /nonexistent/dir", {"{\"text\": \"x\"}"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("/nonexistent/dir"), std::string::npos) << r.err;
}

}  // namespace

// Tokenizer speed (Google Benchmark; built with T2_BUILD_BENCH, not part of ctest). Run from the
// repository root so that ../shared resolves:
//   build/tests/tokenizer/tokenizer_bench
// Load: the 9 MB Llama-3 tokenizer.json and the Mistral one. Encode: every GSM8K train record
// (question + answer, 4.2 MB of text in total), with a warm word cache (steady state) and a cold
// one (a freshly loaded tokenizer per iteration). Decode: the ids of all records.
#include <benchmark/benchmark.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "io/file.h"
#include "tokenizer/tokenizer.h"

namespace {

using t2::tokenizer::Tokenizer;

const char* kDirs[] = {"../shared/fixtures/tokenizers/llama3",
                       "../shared/fixtures/tokenizers/mistral"};

const std::vector<std::string>& gsm8k_texts() {
  static const std::vector<std::string> texts = [] {
    std::vector<std::string> out;
    std::istringstream in(t2::io::read_file("../shared/datasets/gsm8k/train.jsonl"));
    for (std::string line; std::getline(in, line);) {
      const auto j = nlohmann::json::parse(line);
      out.push_back(j.at("question").get<std::string>() + "\n" + j.at("answer").get<std::string>());
    }
    return out;
  }();
  return texts;
}

size_t total_bytes() {
  size_t n = 0;
  for (const auto& t : gsm8k_texts()) n += t.size();
  return n;
}

void BM_Load(benchmark::State& state) {
  const std::string json = t2::io::read_file(std::string(kDirs[state.range(0)]) + "/tokenizer.json");
  for (auto _ : state) {
    Tokenizer tok = Tokenizer::from_json(json, "", "bench");
    benchmark::DoNotOptimize(tok.vocab_size());
  }
  state.SetLabel(state.range(0) == 0 ? "llama3" : "mistral");
}
BENCHMARK(BM_Load)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_EncodeGsm8kWarm(benchmark::State& state) {
  const Tokenizer tok = Tokenizer::load(kDirs[state.range(0)]);
  size_t n_tokens = 0;
  for (const auto& t : gsm8k_texts()) n_tokens += tok.encode(t).size();  // warms the cache
  for (auto _ : state) {
    for (const auto& t : gsm8k_texts()) benchmark::DoNotOptimize(tok.encode(t));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * total_bytes()));
  state.counters["tokens"] = static_cast<double>(n_tokens);
  state.SetLabel(state.range(0) == 0 ? "llama3" : "mistral");
}
BENCHMARK(BM_EncodeGsm8kWarm)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_EncodeGsm8kCold(benchmark::State& state) {
  const std::string json = t2::io::read_file(std::string(kDirs[state.range(0)]) + "/tokenizer.json");
  gsm8k_texts();
  for (auto _ : state) {
    state.PauseTiming();
    const Tokenizer tok = Tokenizer::from_json(json, "", "bench");
    state.ResumeTiming();
    for (const auto& t : gsm8k_texts()) benchmark::DoNotOptimize(tok.encode(t));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * total_bytes()));
  state.SetLabel(state.range(0) == 0 ? "llama3" : "mistral");
}
BENCHMARK(BM_EncodeGsm8kCold)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->Iterations(2);

void BM_DecodeGsm8k(benchmark::State& state) {
  const Tokenizer tok = Tokenizer::load(kDirs[state.range(0)]);
  std::vector<std::vector<int32_t>> ids;
  for (const auto& t : gsm8k_texts()) ids.push_back(tok.encode(t));
  for (auto _ : state) {
    for (const auto& i : ids) benchmark::DoNotOptimize(tok.decode(i));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * total_bytes()));
  state.SetLabel(state.range(0) == 0 ? "llama3" : "mistral");
}
BENCHMARK(BM_DecodeGsm8k)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();

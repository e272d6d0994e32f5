// `t2 bench`: engine throughput on a checkpoint with random prompt ids. Prefill: one sequence of
// --prompt-tokens tokens, logits for the last token only. Decode at each --batch size B: B
// sequences whose caches hold that prompt (prefilled once and copied), then --gen-tokens greedy
// steps of B tokens each; aggregate tokens/s = B · gen / time. Optionally teacher-forced scoring
// (logits for every token). Peak RSS from getrusage. Each figure is the median of --repeats runs.
// After the runs, a memory-read probe sums the model's weights (vector loads, independent
// accumulators, all threads; tensor::read_sum) --repeats times: its median GB/s over the weight bytes
// gives the memory bound of single-sequence decode, which reads every weight once per token.
// The CPU model and the kernel level used (--cpu-kernels, else T2_CPU_KERNELS, else the best the
// CPU has) are part of the output, so that figures from different machines or levels stay apart.
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/rng.h"
#include "base/timer.h"
#include "cli/commands.h"
#include "cli/device_option.h"
#include "cli/options.h"
#include "model/generate.h"
#include "model/llava/checkpoint.h"  // load_model
#include "model/sampling.h"
#include "tensor/cpu/isa.h"
#include "tensor/linalg.h"  // set_threads, blas_description
#include "tensor/ops.h"  // read_sum

namespace t2::cli {

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// CPU seconds (user + system) of the whole process so far: on a shared, oversubscribed machine
// the work per token shows here even when the wall clock does not.
double cpu_seconds() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

size_t peak_rss_bytes() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<size_t>(ru.ru_maxrss) * 1024;  // Linux reports KiB
}

}  // namespace

int run_bench(int argc, char** argv) {
  po::options_description desc("t2 bench: prefill, batched decode and scoring throughput");
  desc.add_options()
      ("model", po::value<std::string>()->required(), "Hugging Face model directory or .gguf file (a LLaVA-NeXT directory: its language model)")
      ("gguf-dtype", po::value<std::string>()->default_value("bf16"),
       "dtype GGUF matrices are converted to at load: bf16, f16 or f32")
      ("prompt-tokens", po::value<int64_t>()->default_value(512), "prompt length (prefill, and the "
       "context every decode sequence starts from)")
      ("gen-tokens", po::value<int64_t>()->default_value(128), "decode steps per batch size")
      ("batch", po::value<std::string>()->default_value("1,16"), "decode batch sizes, comma-separated")
      ("score-tokens", po::value<int64_t>()->default_value(0),
       "also time teacher-forced scoring of one sequence of this many tokens (0 = skip)")
      ("repeats", po::value<int>()->default_value(1), "runs per figure (the median is reported)")
      ("threads", po::value<int>()->default_value(0), "OpenMP threads (0 = OpenMP default)")
      ("seed", po::value<uint64_t>()->default_value(0), "seed of the random prompt ids")
      ("cpu-kernels", po::value<std::string>(), "CPU kernel level: generic, avx2, avx512, "
       "avx512bf16, amx or best (default: T2_CPU_KERNELS, else best); a level the CPU lacks is an "
       "error")
      ("json", po::bool_switch(), "print one JSON object instead of text");
  add_device_option(desc);
  const auto parsed = parse_options(
      "t2 bench --model DIR|FILE.gguf [--gguf-dtype bf16] [--prompt-tokens 512] [--gen-tokens 128] "
      "[--batch 1,16] [--threads N] [--cpu-kernels LEVEL] [--device cpu|cuda] [--json]", desc, argc, argv);
  if (parsed.help) return 0;
  const auto& vm = parsed.vm;
  const std::string device = apply_device_option(vm);
  const int threads = vm["threads"].as<int>();
  T2_CHECK(threads >= 0, "--threads must be >= 0");
  tensor::set_threads(threads);
  if (vm.count("cpu-kernels"))
    tensor::set_cpu_isa(tensor::parse_cpu_isa(vm["cpu-kernels"].as<std::string>()));
  const tensor::CpuIsa isa = tensor::cpu_isa();  // a bad T2_CPU_KERNELS stops here, before loading
  const int64_t n_prompt = vm["prompt-tokens"].as<int64_t>();
  const int64_t n_gen = vm["gen-tokens"].as<int64_t>();
  const int64_t n_score = vm["score-tokens"].as<int64_t>();
  const int repeats = vm["repeats"].as<int>();
  T2_CHECK(n_prompt >= 1 && n_gen >= 1 && repeats >= 1 && n_score >= 0,
           "--prompt-tokens, --gen-tokens and --repeats must be >= 1");
  std::vector<int64_t> batches;
  for (const auto& s : split_list(vm["batch"].as<std::string>())) {
    int64_t b = 0;
    try {
      b = std::stoll(s);
    } catch (const std::exception&) {
    }
    T2_CHECK(b >= 1, "--batch: '%s' is not a positive batch size", s.c_str());
    batches.push_back(b);
  }
  const Timer load_timer;
  model::LoadOptions load_opt;
  const std::string gguf_dtype = vm["gguf-dtype"].as<std::string>();
  if (gguf_dtype == "f32") load_opt.gguf_dtype = tensor::DType::f32;
  else if (gguf_dtype == "f16") load_opt.gguf_dtype = tensor::DType::f16;
  else T2_CHECK(gguf_dtype == "bf16", "--gguf-dtype must be bf16, f16 or f32, got '%s'",
                gguf_dtype.c_str());
  auto m = model::llava::load_model(vm["model"].as<std::string>(), load_opt).language;
  const auto& c = m->config();
  T2_CHECK(n_prompt + n_gen <= c.n_ctx_max, "--prompt-tokens + --gen-tokens (%lld) exceed the "
           "model's context limit %lld", static_cast<long long>(n_prompt + n_gen),
           static_cast<long long>(c.n_ctx_max));
  Rng rng = Rng::stream(vm["seed"].as<uint64_t>(), 0, RngPurpose::generic);
  std::vector<int32_t> prompt(static_cast<size_t>(std::max(n_prompt, n_score)));
  for (auto& t : prompt) t = static_cast<int32_t>(rng.below(static_cast<uint64_t>(c.n_vocab)));
  const std::span<const int32_t> prompt_span(prompt.data(), static_cast<size_t>(n_prompt));

  model::RunContext ctx(m);
  // Warm-up: touches every weight page once (first use of a fresh mmap).
  {
    const int32_t s = ctx.add_sequence();
    const model::SeqChunk ch{s, prompt_span.first(std::min<int64_t>(n_prompt, 8)), model::OutputRows::last};
    m->forward(ctx, {&ch, 1});
    m->logits(ctx, 0, 1);
  }
  const double load_seconds = load_timer.seconds();
  // Prefill.
  std::vector<double> prefill_tps, prefill_cpu;
  for (int r = 0; r < repeats; ++r) {
    ctx.clear_all();
    const int32_t s = ctx.add_sequence(n_prompt + n_gen);
    const model::SeqChunk ch{s, prompt_span, model::OutputRows::last};
    const Timer t;
    const double cpu0 = cpu_seconds();
    const int64_t n = m->forward(ctx, {&ch, 1});
    m->logits(ctx, 0, n);
    prefill_tps.push_back(static_cast<double>(n_prompt) / t.seconds());
    prefill_cpu.push_back(cpu_seconds() - cpu0);
  }
  // Decode at each batch size: slot 0 holds the prefilled prompt; the others copy it.
  nlohmann::json decode = nlohmann::json::array();
  std::vector<std::pair<int64_t, double>> decode_tps;
  std::vector<double> decode_cpu;
  std::vector<int32_t> next;
  for (int64_t b : batches) {
    std::vector<double> tps, cpu;
    for (int r = 0; r < repeats; ++r) {
      ctx.clear_all();
      for (int64_t i = 0; i < b; ++i) ctx.add_sequence(n_prompt + n_gen);
      const model::SeqChunk pre{0, prompt_span, model::OutputRows::last};
      m->forward(ctx, {&pre, 1});
      next.assign(static_cast<size_t>(b), model::argmax(m->logits(ctx, 0, 1), c.n_vocab));
      for (int64_t i = 1; i < b; ++i) ctx.copy_sequence(0, static_cast<int32_t>(i));
      std::vector<model::SeqChunk> batch(static_cast<size_t>(b));
      const Timer t;
      const double cpu0 = cpu_seconds();
      for (int64_t step = 0; step < n_gen; ++step) {
        for (int64_t i = 0; i < b; ++i)
          batch[i] = {static_cast<int32_t>(i), std::span(&next[i], 1), model::OutputRows::last};
        const int64_t n = m->forward(ctx, batch);
        const float* lg = m->logits(ctx, 0, n);
        for (int64_t i = 0; i < b; ++i) next[i] = model::argmax(lg + i * c.n_vocab, c.n_vocab);
      }
      tps.push_back(static_cast<double>(b * n_gen) / t.seconds());
      cpu.push_back(cpu_seconds() - cpu0);
    }
    decode_tps.emplace_back(b, median(tps));
    decode_cpu.push_back(median(cpu));
    decode.push_back({{"batch", b}, {"tokens_per_s", median(tps)}, {"cpu_seconds", median(cpu)}});
  }
  const size_t kv_bytes = ctx.kv_bytes();
  // Teacher-forced scoring (logits for every position).
  double score_tps = 0, score_cpu = 0;
  if (n_score > 1) {
    std::vector<double> tps, cpu;
    std::vector<std::vector<int32_t>> seqs = {std::vector<int32_t>(prompt.begin(), prompt.begin() + n_score)};
    for (int r = 0; r < repeats; ++r) {
      const Timer t;
      const double cpu0 = cpu_seconds();
      model::score(ctx, seqs);
      tps.push_back(static_cast<double>(n_score - 1) / t.seconds());
      cpu.push_back(cpu_seconds() - cpu0);
    }
    score_tps = median(tps);
    score_cpu = median(cpu);
  }
  const size_t weight_bytes = m->weights().weight_bytes();
  const size_t rss = peak_rss_bytes();
  std::vector<double> read_gbs;
  uint64_t read_check = 0;
  for (int r = 0; r < repeats; ++r) {
    const Timer t;
    for (const auto& w : m->weights().all())
      read_check += tensor::read_sum(w.data, static_cast<int64_t>(w.n_bytes() / 8 * 8));
    read_gbs.push_back(static_cast<double>(weight_bytes) / t.seconds() * 1e-9);
  }
  const double bandwidth = median(read_gbs);
  // On a GPU: where it ran and the device's copy bandwidth (the decode roofline's denominator).
  const std::string where = m->device() ? m->device()->description() : "cpu";
  const double copy_gbs = m->device() ? device_copy_bandwidth_gbs(size_t(1) << 30, 5) : 0.0;
  if (vm["json"].as<bool>()) {
    nlohmann::json out = {{"prefill_tokens_per_s", median(prefill_tps)},
                          {"prefill_cpu_seconds", median(prefill_cpu)},
                          {"decode", decode},
                          {"peak_rss_bytes", rss},
                          {"weight_bytes", weight_bytes},
                          {"kv_cache_bytes", kv_bytes},
                          {"prompt_tokens", n_prompt},
                          {"gen_tokens", n_gen},
                          {"threads", tensor::max_threads()},
                          {"read_bandwidth_gbs", bandwidth},
                          {"decode_bound_tokens_per_s", bandwidth * 1e9 / static_cast<double>(weight_bytes)},
                          {"read_checksum", read_check},
                          {"cpu_model", tensor::cpu_features().model},
                          {"cpu_kernels", tensor::cpu_isa_name(isa)},
                          {"cpu_kernels_supported", tensor::cpu_isa_name(tensor::cpu_isa_supported())},
                          {"blas", tensor::blas_description()}};
    if (n_score > 1) {
      out["score_tokens_per_s"] = score_tps;
      out["score_cpu_seconds"] = score_cpu;
    }
    if (m->device()) out["device"] = where;
    if (copy_gbs > 0) out["device_copy_gb_per_s"] = copy_gbs;
    std::printf("%s\n", out.dump().c_str());
  } else {
    std::printf("model        %s (%lld layers, hidden %lld, vocab %lld), %d threads, load %.1f s\n",
                m->dir().c_str(), static_cast<long long>(c.n_layer), static_cast<long long>(c.n_embd),
                static_cast<long long>(c.n_vocab), tensor::max_threads(), load_seconds);
    std::printf("cpu          %s, kernels %s (best here: %s)\n", tensor::cpu_features().model.c_str(),
                tensor::cpu_isa_name(isa), tensor::cpu_isa_name(tensor::cpu_isa_supported()));
    std::printf("prefill      %8.1f tokens/s  (%lld-token prompt, last logits only; %.2f cpu s)\n",
                median(prefill_tps), static_cast<long long>(n_prompt), median(prefill_cpu));
    for (size_t i = 0; i < decode_tps.size(); ++i) {
      const auto [b, tps] = decode_tps[i];
      std::printf("decode  B=%-3lld %7.1f tokens/s aggregate  (%.2f ms/step; %.2f cpu s)\n",
                  static_cast<long long>(b), tps, 1e3 * static_cast<double>(b) / tps, decode_cpu[i]);
    }
    if (n_score > 1)
      std::printf("scoring      %8.1f tokens/s  (%lld tokens, all logits)\n", score_tps,
                  static_cast<long long>(n_score));
    if (device != "cpu") std::printf("device       %s, copy bandwidth %.0f GB/s\n", where.c_str(), copy_gbs);
    std::printf("peak RSS     %8.1f MB  (weights %.1f MB, KV cache %.1f MB)\n", rss / 1e6,
                weight_bytes / 1e6, kv_bytes / 1e6);
    std::printf("memory read  %8.1f GB/s over the weights: decode B=1 bound %.1f tokens/s\n",
                bandwidth, bandwidth * 1e9 / static_cast<double>(weight_bytes));
  }
  return 0;
}

}  // namespace t2::cli

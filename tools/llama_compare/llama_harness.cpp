// Timing harness for llama.cpp with the same measures as `t2 bench` (tools/llama_compare/compare.py
// builds it against the llama.cpp it builds; not part of t2). Random token ids, one context:
//   prefill  one sequence of P tokens in one batch, logits of the last token only
//   score    one sequence of S tokens in one batch, logits of every token (S − 1 count, as t2's)
//   decode   B sequences, each prefilled with P tokens (untimed), then G greedy steps of B tokens,
//            logits and argmax for every sequence; aggregate tokens/s = B · G / time
// Prints one JSON object (tokens/s by the wall clock, and the process CPU seconds of the timed
// part). Usage:
//   llama_harness MODEL.gguf prefill|score|decode TOKENS [--batch B] [--gen G] [--threads T] [--fa 0|1]
#include <sys/resource.h>  // getrusage

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "llama.h"

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// CPU seconds (user + system) of the whole process so far, as `t2 bench` reports them.
double cpu_seconds() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + 1e-6 * double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

void fail(const char* what) {
  std::fprintf(stderr, "llama_harness: %s\n", what);
  std::exit(1);
}

// tokens[i] at position pos0 + i of sequence `seq`; logits for all or the last one.
void fill(llama_batch& b, const std::vector<llama_token>& tokens, int pos0, int seq, bool all) {
  b.n_tokens = int32_t(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) {
    b.token[i] = tokens[i];
    b.pos[i] = pos0 + int(i);
    b.n_seq_id[i] = 1;
    b.seq_id[i][0] = seq;
    b.logits[i] = all || i + 1 == tokens.size();
  }
}

int argmax(const float* x, int n) {
  int best = 0;
  for (int i = 1; i < n; ++i)
    if (x[i] > x[best]) best = i;
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) fail("usage: llama_harness MODEL.gguf prefill|score|decode TOKENS [--batch B] [--gen G] [--threads T] [--fa 0|1]");
  const std::string path = argv[1], mode = argv[2];
  const int n_tokens = std::atoi(argv[3]);
  int batch = 1, gen = 128, threads = 2, fa = 1;
  for (int i = 4; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const int v = std::atoi(argv[i + 1]);
    if (k == "--batch") batch = v;
    else if (k == "--gen") gen = v;
    else if (k == "--threads") threads = v;
    else if (k == "--fa") fa = v;
    else fail(("unknown option " + k).c_str());
  }
  llama_log_set([](ggml_log_level, const char*, void*) {}, nullptr);
  llama_backend_init();
  llama_model_params mp = llama_model_default_params();
  mp.n_gpu_layers = 0;
  llama_model* model = llama_model_load_from_file(path.c_str(), mp);
  if (!model) fail("cannot load the model");
  const int n_vocab = llama_vocab_n_tokens(llama_model_get_vocab(model));
  const bool decode = mode == "decode";
  const int n_seq = decode ? batch : 1;
  const int per_seq = decode ? n_tokens + gen : n_tokens;
  llama_context_params cp = llama_context_default_params();
  cp.n_ctx = uint32_t((per_seq + 255) / 256 * 256 * n_seq);
  cp.n_batch = cp.n_ubatch = uint32_t(std::max(n_tokens, batch));
  cp.n_seq_max = uint32_t(n_seq);
  cp.n_threads = cp.n_threads_batch = threads;
  cp.flash_attn_type = fa ? LLAMA_FLASH_ATTN_TYPE_ENABLED : LLAMA_FLASH_ATTN_TYPE_DISABLED;
  cp.kv_unified = false;  // each sequence attends to its own cells only
  cp.no_perf = true;
  llama_context* ctx = llama_init_from_model(model, cp);
  if (!ctx) fail("cannot create the context");
  llama_memory_t mem = llama_get_memory(ctx);
  std::mt19937 gen32(0);
  std::vector<llama_token> prompt(static_cast<size_t>(n_tokens));
  for (auto& t : prompt) t = llama_token(gen32() % uint32_t(n_vocab));
  llama_batch b = llama_batch_init(std::max(n_tokens, batch), 0, 1);
  // Warm-up: touches every weight page once.
  fill(b, std::vector<llama_token>(prompt.begin(), prompt.begin() + std::min(8, n_tokens)), 0, 0, false);
  if (llama_decode(ctx, b) != 0) fail("warm-up decode failed");
  llama_memory_clear(mem, true);
  double seconds = 0, tokens = 0, cpu0 = 0;
  if (!decode) {
    fill(b, prompt, 0, 0, mode == "score");
    cpu0 = cpu_seconds();
    const double t0 = now();
    if (llama_decode(ctx, b) != 0) fail("decode failed");
    if (mode == "score") {
      for (int i = 0; i < n_tokens; ++i) argmax(llama_get_logits_ith(ctx, i), n_vocab);
      tokens = n_tokens - 1;
    } else {
      argmax(llama_get_logits_ith(ctx, n_tokens - 1), n_vocab);
      tokens = n_tokens;
    }
    seconds = now() - t0;
  } else {
    std::vector<llama_token> next(static_cast<size_t>(batch));
    for (int s = 0; s < batch; ++s) {  // untimed prompts, one sequence at a time
      fill(b, prompt, 0, s, false);
      if (llama_decode(ctx, b) != 0) fail("prompt decode failed");
      next[size_t(s)] = argmax(llama_get_logits_ith(ctx, n_tokens - 1), n_vocab);
    }
    cpu0 = cpu_seconds();
    const double t0 = now();
    for (int step = 0; step < gen; ++step) {
      b.n_tokens = batch;
      for (int s = 0; s < batch; ++s) {
        b.token[s] = next[size_t(s)];
        b.pos[s] = n_tokens + step;
        b.n_seq_id[s] = 1;
        b.seq_id[s][0] = s;
        b.logits[s] = true;
      }
      if (llama_decode(ctx, b) != 0) fail("decode step failed");
      for (int s = 0; s < batch; ++s) next[size_t(s)] = argmax(llama_get_logits_ith(ctx, s), n_vocab);
    }
    seconds = now() - t0;
    tokens = double(batch) * gen;
  }
  const double cpu = cpu_seconds() - cpu0;
  std::printf("{\"mode\": \"%s\", \"tokens\": %d, \"batch\": %d, \"gen\": %d, \"threads\": %d, "
              "\"flash_attn\": %d, \"seconds\": %.6f, \"tokens_per_s\": %.4f, \"cpu_seconds\": %.6f}\n",
              mode.c_str(), n_tokens, batch, decode ? gen : 0, threads, fa, seconds, tokens / seconds, cpu);
  llama_batch_free(b);
  llama_free(ctx);
  llama_model_free(model);
  llama_backend_free();
  return 0;
}

// make_tiny_model DIR [SEED] [--svf] [--llava]: writes the tiny random Llama-3-vocabulary
// checkpoint of tests/adapt/tiny_model.h for the end-to-end scripts of tests/eval, or with --llava
// the tiny random LLaVA-NeXT checkpoint of tests/adapt/tiny_llava.h. With --svf it also decomposes
// the MLP matrices into DIR/svd.h5 and writes a strongly random expert DIR/wild.h5 (p ~ N(0, 4²)).
// Run from the repository root.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "svf/checkpoint.h"  // weight_source_from_dir
#include "svf/decompose.h"   // decompose_to_store
#include "svf/expert.h"
#include "svf/svd_store.h"
#include "tiny_llava.h"
#include "tiny_model.h"

int main(int argc, char** argv) {
  bool with_svf = false, llava = false;
  std::string dir, seed;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--svf") == 0) with_svf = true;
    else if (std::strcmp(argv[i], "--llava") == 0) llava = true;
    else if (dir.empty()) dir = argv[i];
    else seed = argv[i];
  }
  if (dir.empty()) {
    std::fprintf(stderr, "usage: make_tiny_model DIR [SEED] [--svf] [--llava]\n");
    return 2;
  }
  try {
    if (llava) {
      t2::adapt::test::TinyLlavaOptions o;
      if (!seed.empty()) o.seed = std::stoull(seed);
      t2::adapt::test::write_tiny_llava(dir, o);
    } else {
      t2::adapt::test::TinyModelOptions o;
      if (!seed.empty()) o.seed = std::stoull(seed);
      t2::adapt::test::write_tiny_model(dir, o);
    }
    if (with_svf) {
      t2::svf::DecomposeOptions d;
      d.progress = false;
      t2::dist::Communicator local;
      t2::svf::decompose_to_store(dir + "/svd.h5",
                                  t2::svf::weight_source_from_dir(dir, t2::svf::MatrixSet::mlp), d, local);
      const auto store = t2::svf::SvdStore::open(dir + "/svd.h5");
      t2::svf::save_expert(t2::svf::init_expert_random(store, {}, 3, 0.0, 4.0), dir + "/wild.h5");
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_tiny_model: %s\n", e.what());
    return 1;
  }
  return 0;
}

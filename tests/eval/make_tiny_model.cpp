// make_tiny_model DIR [SEED]: writes the tiny random Llama-3-vocabulary checkpoint of
// tests/adapt/tiny_model.h for the end-to-end scripts of tests/eval. Run from the repository root.
#include <cstdio>
#include <exception>
#include <string>

#include "tiny_model.h"

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: make_tiny_model DIR [SEED]\n");
    return 2;
  }
  try {
    t2::adapt::test::TinyModelOptions o;
    if (argc == 3) o.seed = std::stoull(argv[2]);
    t2::adapt::test::write_tiny_model(argv[1], o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_tiny_model: %s\n", e.what());
    return 1;
  }
  return 0;
}

// `t2 mini-suite`: writes the embedded mini task suite (GSM8K-, MATH-, MBPP-, HumanEval- and
// ARC-like files in the real schemas) for a seed: a demo suite, or with --pretraining the suite of
// the pretraining corpus (disjoint problems); --prompts adds the records' rendered prompts.
#include <cstdio>

#include "cli/commands.h"
#include "cli/options.h"
#include "mini/demo_suite.h"  // size_options
#include "mini/mini.h"
#include "mini/vqa.h"  // write_vqa_suite

namespace t2::cli {

int run_mini_suite(int argc, char** argv) {
  mini::SuiteOptions o;
  std::string out;
  bool prompts = false;
  mini::VqaSuiteOptions vqa;
  po::options_description desc("t2 mini-suite: generate the mini task suite");
  desc.add_options()("out", po::value(&out)->required(), "output folder (files use the real datasets' names)")(
      "seed", po::value(&o.seed)->default_value(o.seed), "generator seed")(
      "pretraining", po::bool_switch(&o.pretraining),
      "draw every record from the pretraining part of the problem space (the corpus suite; a demo "
      "suite draws its train/valid/test splits from their own parts)")(
      "prompts", po::bool_switch(&prompts),
      "also write prompts/<file>: each record's task prompt and classification prompt, rendered in "
      "the Llama-3 chat format (for datasets/mini/make_tokenizer.py)")(
      "textvqa-train", po::value(&vqa.n_textvqa_train)->default_value(0),
      "image questions: TextVQA-like train questions (textvqa/, with their PNG pictures)")(
      "textvqa-val", po::value(&vqa.n_textvqa_val)->default_value(0), "TextVQA-like val questions")(
      "okvqa-val", po::value(&vqa.n_okvqa_val)->default_value(0),
      "OK-VQA-like val questions (okvqa/, with their PNG pictures)");
  for (const mini::SizeOption& s : mini::size_options())
    desc.add_options()(s.name, po::value(&(o.*s.field))->default_value(o.*s.field), s.help);
  const auto parsed = parse_options("t2 mini-suite --out DIR [--seed S]", desc, argc, argv);
  if (parsed.help) return 0;
  const auto suite = mini::generate_suite(o);
  const size_t n = mini::write_suite(suite, out);
  if (prompts) mini::write_suite(mini::prompt_files(suite), out);
  std::fprintf(stderr, "wrote %zu records under %s\n", n, out.c_str());
  if (vqa.n_textvqa_train + vqa.n_textvqa_val + vqa.n_okvqa_val > 0) {
    vqa.seed = o.seed;
    const size_t nq = mini::write_vqa_suite(vqa, out);
    std::fprintf(stderr, "wrote %zu image questions under %s/textvqa and %s/okvqa\n", nq,
                 out.c_str(), out.c_str());
  }
  return 0;
}

}  // namespace t2::cli

// `t2 mixture make|show`: build a mixture file from expert files and weights α (one per expert,
// optionally one per expert per matrix from a JSON file), and print one.
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "io/file.h"
#include "io/jsonl.h"  // parse_json
#include "svf/mixture.h"

namespace t2::cli {

namespace {

constexpr const char* kUsage = "t2 mixture make|show ... (t2 mixture make --help)";

double parse_weight(const std::string& text, const std::string& what) {
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  T2_CHECK(used == text.size() && used > 0, "%s: '%s' is not a number", what.c_str(),
           text.c_str());
  return v;
}

// Reads {"matrix name": [α_1, ..., α_K], ...} into mix.matrix_names / alpha_matrix.
void read_per_layer(const std::string& path, svf::Mixture& mix) {
  const nlohmann::json doc = io::parse_json(io::read_file(path), "--per-layer file '" + path + "'");
  T2_CHECK(doc.is_object() && !doc.empty(), "--per-layer file '%s': expected a JSON object "
           "{\"matrix name\": [one weight per expert], ...}", path.c_str());
  const size_t k = mix.experts.size();
  for (const auto& [name, w] : doc.items()) {
    T2_CHECK(w.is_array() && w.size() == k, "--per-layer file '%s', matrix '%s': expected a list "
             "of %zu weights (one per expert, in --experts order)", path.c_str(), name.c_str(), k);
    mix.matrix_names.push_back(name);
    for (const auto& x : w) {
      T2_CHECK(x.is_number(), "--per-layer file '%s', matrix '%s': weights must be numbers",
               path.c_str(), name.c_str());
      mix.alpha_matrix.push_back(x.get<double>());
    }
  }
}

int mixture_make(int argc, char** argv) {
  std::string experts_arg, alpha_arg, per_layer, out;
  bool normalise = false;
  po::options_description desc("t2 mixture make: a mixture of SVF experts");
  desc.add_options()("experts", po::value(&experts_arg)->required(),
                     "LABEL=FILE pairs, comma-separated (e.g. math=math.h5,code=code.h5)")(
      "alpha", po::value(&alpha_arg)->required(),
      "one weight per expert, comma-separated, in --experts order (finite, >= 0)")(
      "per-layer", po::value(&per_layer),
      "JSON file {\"matrix name\": [weights...]} overriding --alpha for those matrices")(
      "normalise", po::bool_switch(&normalise), "divide the weights by their sum per matrix")(
      "out", po::value(&out)->required(), "mixture file to write (HDF5)");
  const auto parsed = parse_options(
      "t2 mixture make --experts a=F,b=F --alpha 0.5,0.5 [--per-layer FILE] --out MIX.h5", desc,
      argc, argv);
  if (parsed.help) return 0;
  svf::Mixture mix;
  mix.normalise = normalise;
  const auto out_dir = std::filesystem::absolute(out).parent_path();
  std::map<std::string, size_t> first_params;  // matrix → length, of the first expert
  for (const auto& item : split_list(experts_arg)) {
    const size_t eq = item.find('=');
    T2_CHECK(eq != std::string::npos && eq > 0 && eq + 1 < item.size(),
             "--experts: '%s' is not LABEL=FILE", item.c_str());
    const std::string label = item.substr(0, eq), file = item.substr(eq + 1);
    const svf::Expert e = svf::load_expert(file);
    if (mix.experts.empty()) mix.base_fingerprint = e.meta.base_fingerprint;
    T2_CHECK(e.meta.base_fingerprint == mix.base_fingerprint,
             "--experts: '%s' (%s) was made for base fingerprint %s, '%s' for %s; experts of "
             "different base models cannot be mixed", label.c_str(), file.c_str(),
             e.meta.base_fingerprint.c_str(), mix.experts.front().label.c_str(),
             mix.base_fingerprint.c_str());
    if (!first_params.empty()) {
      bool same = first_params.size() == e.params.size();
      for (auto it = e.params.begin(); same && it != e.params.end(); ++it) {
        auto f = first_params.find(it->first);
        same = f != first_params.end() && f->second == it->second.size();
      }
      T2_CHECK(same, "--experts: '%s' and '%s' adapt different matrices (or lengths); experts "
               "of one mixture must cover the same matrices", mix.experts.front().label.c_str(),
               label.c_str());
    } else {
      for (const auto& [n, p] : e.params) first_params[n] = p.size();
    }
    // Stored relative to the mixture's folder, so the files can move together.
    const std::string rel =
        std::filesystem::relative(std::filesystem::absolute(file), out_dir).string();
    mix.experts.push_back({label, rel.empty() ? file : rel, e.checksum()});
  }
  for (const auto& a : split_list(alpha_arg)) mix.alpha.push_back(parse_weight(a, "--alpha"));
  if (!per_layer.empty()) read_per_layer(per_layer, mix);
  std::vector<std::string> adapted;
  for (const auto& [name, _] : first_params) adapted.push_back(name);
  svf::check_mixture_matrices(mix, adapted, out);
  svf::save_mixture(mix, out);  // validates sizes and weights
  std::printf("wrote %s: %zu experts, %zu matrices with their own weights%s\n", out.c_str(),
              mix.experts.size(), mix.matrix_names.size(), normalise ? ", normalised" : "");
  return 0;
}

int mixture_show(int argc, char** argv) {
  std::string file;
  po::options_description desc("t2 mixture show: print a mixture file");
  desc.add_options()("file", po::value(&file)->required(), "mixture file (also the first argument)");
  po::positional_options_description pos;
  pos.add("file", 1);
  const auto parsed = parse_options("t2 mixture show FILE", desc, argc, argv, &pos);
  if (parsed.help) return 0;
  const svf::Mixture mix = svf::load_mixture(file);
  std::printf("mixture          %s\nbase fingerprint %s\nnormalise        %s\n", file.c_str(),
              mix.base_fingerprint.c_str(), mix.normalise ? "yes" : "no");
  std::printf("\n%-12s %10s  %-22s %s\n", "expert", "alpha", "checksum", "file");
  for (size_t k = 0; k < mix.experts.size(); ++k) {
    std::printf("%-12s %10.6g  %-22s %s\n", mix.experts[k].label.c_str(), mix.alpha[k],
                mix.experts[k].checksum.c_str(), mix.experts[k].path.c_str());
  }
  if (!mix.matrix_names.empty()) {
    std::printf("\nper-matrix weights (%zu matrices):\n", mix.matrix_names.size());
    for (size_t i = 0; i < mix.matrix_names.size(); ++i) {
      std::printf("  %-44s", mix.matrix_names[i].c_str());
      for (double w : mix.weights_for(mix.matrix_names[i])) std::printf(" %8.4g", w);
      std::printf("\n");
    }
  }
  return 0;
}

}  // namespace

int run_mixture(int argc, char** argv) {
  const std::string sub = argc >= 2 ? argv[1] : "";
  if (sub == "make") return mixture_make(argc - 1, argv + 1);
  if (sub == "show") return mixture_show(argc - 1, argv + 1);
  if (sub == "--help" || sub == "-h" || sub.empty()) {
    std::printf("usage: %s\n\n  make   write a mixture file from experts and weights\n"
                "  show   print a mixture file\n", kUsage);
    return sub.empty() ? 2 : 0;
  }
  T2_FAIL("unknown subcommand '%s'; usage: %s", sub.c_str(), kUsage);
}

}  // namespace t2::cli

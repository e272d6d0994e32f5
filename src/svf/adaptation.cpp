// Adaptation options, loading and registration.
#include "svf/adaptation.h"

#include "base/error.h"
#include "base/log.h"
#include "svf/svd_store.h"

namespace t2::svf {

namespace po = boost::program_options;

void add_apply_options(po::options_description& desc, std::string& apply, int64_t& cache_mb) {
  desc.add_options()(
      "svf-apply", po::value(&apply)->default_value(apply),
      "how experts reach the model: auto (by estimated cost per batch), dense (compose W' once "
      "per expert, cached) or factored (U((s*z*c)*(V^T x)), every sequence its own expert)")(
      "svf-cache-mb", po::value(&cache_mb)->default_value(cache_mb),
      "memory for composed expert weights kept across batches, MiB (0: about two experts); "
      "with --device cuda the same budget bounds the device's copies");
}

void add_adaptation_options(po::options_description& desc, AdaptationOptions& o) {
  desc.add_options()("svd", po::value(&o.svd), "SVD store of the base model (t2 decompose)")(
      "expert", po::value(&o.expert), "SVF expert file to apply (needs --svd)")(
      "mixture", po::value(&o.mixture), "SVF mixture file to apply (needs --svd)");
  add_apply_options(desc, o.apply, o.cache_mb);
}

std::vector<std::string> validate_adaptation_options(const AdaptationOptions& o) {
  std::vector<std::string> problems;
  if (!o.expert.empty() && !o.mixture.empty())
    problems.push_back("give either --expert or --mixture, not both");
  if ((!o.expert.empty() || !o.mixture.empty()) && o.svd.empty())
    problems.push_back("--expert and --mixture need --svd (the SVD store of the base model)");
  if (!o.svd.empty() && o.expert.empty() && o.mixture.empty())
    problems.push_back("--svd given without --expert or --mixture");
  if (o.apply != "auto" && o.apply != "dense" && o.apply != "factored")
    problems.push_back("--svf-apply must be auto, dense or factored, got '" + o.apply + "'");
  if (o.cache_mb < 0) problems.push_back("--svf-cache-mb must be >= 0");
  return problems;
}

void check_adaptation_options(const AdaptationOptions& o) {
  const auto problems = validate_adaptation_options(o);
  if (problems.empty()) return;
  std::string msg;
  for (const auto& p : problems) msg += (msg.empty() ? "" : "; ") + p;
  T2_FAIL("%s", msg.c_str());
}

const ScalingSet* Adaptation::scaling() const {
  return bank.empty() ? nullptr : &bank.scaling(bank.labels().front());
}

Adaptation load_adaptation(const AdaptationOptions& o, const model::LlamaModel& model) {
  check_adaptation_options(o);
  Adaptation a;
  a.mode = parse_apply_mode(o.apply);
  a.cache_bytes = static_cast<size_t>(o.cache_mb) << 20;
  if (o.expert.empty() && o.mixture.empty()) return a;
  const SvdStore store = SvdStore::open(o.svd);
  if (!o.expert.empty()) {
    a.bank = ExpertBank::load(store, {{"expert", o.expert}});
    a.description = "expert '" + a.bank.experts().front().meta.task + "' (" + o.expert + ")";
  } else {
    a.bank = ExpertBank::load(store, {}, o.mixture);
    const Mixture mix = load_mixture(o.mixture);
    a.description = "mixture " + o.mixture + ":";
    for (size_t k = 0; k < mix.experts.size(); ++k)
      a.description += format(" %s=%g", mix.experts[k].label.c_str(), mix.alpha[k]);
    if (!mix.matrix_names.empty()) a.description += " (per-matrix weights)";
  }
  a.bank.load_factors(store, model);
  T2_LOG_INFO("svf: %s, %zu matrices, applied %s", a.description.c_str(),
              a.bank.matrices().size(), apply_mode_name(a.mode));
  return a;
}

Adapter make_adapter(const model::LlamaModel& model, const Adaptation& a) {
  return Adapter(model, a.bank.empty() ? nullptr : a.bank.factors(), a.mode, a.cache_bytes);
}

}  // namespace t2::svf

// Adaptation options, loading and registration.
#include "svf/adaptation.h"

#include "base/error.h"
#include "base/log.h"
#include "svf/svd_store.h"

namespace t2::svf {

namespace po = boost::program_options;

void add_adaptation_options(po::options_description& desc, AdaptationOptions& o) {
  desc.add_options()("svd", po::value(&o.svd), "SVD store of the base model (t2 decompose)")(
      "expert", po::value(&o.expert), "SVF expert file to apply (needs --svd)")(
      "mixture", po::value(&o.mixture), "SVF mixture file to apply (needs --svd)")(
      "svf-apply", po::value(&o.apply)->default_value(o.apply),
      "how to apply the expert: dense (recompose W' once) or factored (U((s*z*c)*(V^T x)))");
}

std::vector<std::string> validate_adaptation_options(const AdaptationOptions& o) {
  std::vector<std::string> problems;
  if (!o.expert.empty() && !o.mixture.empty())
    problems.push_back("give either --expert or --mixture, not both");
  if ((!o.expert.empty() || !o.mixture.empty()) && o.svd.empty())
    problems.push_back("--expert and --mixture need --svd (the SVD store of the base model)");
  if (!o.svd.empty() && o.expert.empty() && o.mixture.empty())
    problems.push_back("--svd given without --expert or --mixture");
  if (o.apply != "dense" && o.apply != "factored")
    problems.push_back("--svf-apply must be dense or factored, got '" + o.apply + "'");
  return problems;
}

void check_adaptation_options(const AdaptationOptions& o) {
  const auto problems = validate_adaptation_options(o);
  if (problems.empty()) return;
  std::string msg;
  for (const auto& p : problems) msg += (msg.empty() ? "" : "; ") + p;
  T2_FAIL("%s", msg.c_str());
}

Adaptation load_adaptation(const AdaptationOptions& o, const model::LlamaModel& model) {
  check_adaptation_options(o);
  Adaptation a;
  a.description = "base model";
  if (o.expert.empty() && o.mixture.empty()) return a;
  const SvdStore store = SvdStore::open(o.svd);
  a.active = true;
  a.factored = o.apply == "factored";
  if (!o.expert.empty()) {
    const Expert e = load_expert(o.expert, store);
    a.description = "expert '" + e.meta.task + "' (" + o.expert + ")";
    a.scaling = scaling_from_expert(e, a.description);
  } else {
    const Mixture mix = load_mixture(o.mixture);
    const std::vector<Expert> experts = load_mixture_experts(mix, o.mixture, store);
    a.description = "mixture " + o.mixture + ":";
    for (size_t k = 0; k < mix.experts.size(); ++k) {
      a.description += format(" %s=%g", mix.experts[k].label.c_str(), mix.alpha[k]);
    }
    if (!mix.matrix_names.empty()) a.description += " (per-matrix weights)";
    a.scaling = scaling_from_mixture(mix, experts, a.description);
  }
  std::vector<std::string> names;
  for (const auto& [n, _] : a.scaling.z) names.push_back(n);
  a.factors = std::make_shared<const FactorSet>(FactorSet::load(store, model, names));
  return a;
}

void apply_adaptation(model::RunContext& ctx, const Adaptation& a) {
  if (!a.active) return;
  if (a.factored) {
    register_factored_overrides(ctx, *a.factors, {}, &a.scaling);
  } else {
    register_dense_overrides(ctx, *a.factors, a.scaling);
  }
  T2_LOG_INFO("svf: %s applied %s to %zu matrices", a.description.c_str(),
              a.factored ? "factored" : "dense", a.scaling.z.size());
}

}  // namespace t2::svf

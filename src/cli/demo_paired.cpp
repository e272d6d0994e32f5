// Paired differences of per-sample verdicts; see demo_paired.h.
#include "cli/demo_paired.h"

#include <cmath>

#include "base/error.h"

namespace t2::cli::demo {

PairedDifference paired_difference(const std::vector<int>& base, const std::vector<int>& other) {
  T2_CHECK(base.size() == other.size(), "paired difference: %zu base verdicts but %zu of the other system",
           base.size(), other.size());
  PairedDifference r;
  r.n = static_cast<int64_t>(base.size());
  if (r.n == 0) return r;
  const double n = static_cast<double>(r.n);
  double sum_b = 0, sum_o = 0;
  for (size_t i = 0; i < base.size(); ++i) {
    sum_b += base[i] != 0;
    sum_o += other[i] != 0;
  }
  r.base = sum_b / n;
  r.other = sum_o / n;
  r.delta = r.other - r.base;
  if (r.n < 2) return r;
  double ss = 0;
  for (size_t i = 0; i < base.size(); ++i) {
    const double d = static_cast<double>(other[i] != 0) - static_cast<double>(base[i] != 0) - r.delta;
    ss += d * d;
  }
  r.se = std::sqrt(ss / (n - 1) / n);
  r.beyond_noise = r.delta > 2 * r.se;
  return r;
}

PairedDifference paired_difference(const std::map<int64_t, int>& base, const std::map<int64_t, int>& other,
                                   const std::set<int64_t>& skip, const char* what) {
  std::vector<int> b, o;
  for (const auto& [index, verdict] : base) {
    if (skip.count(index)) continue;
    const auto it = other.find(index);
    T2_CHECK(it != other.end(), "%s: sample %lld has a base verdict but none of the other system; "
             "both runs must cover the same samples", what, static_cast<long long>(index));
    b.push_back(verdict);
    o.push_back(it->second);
  }
  for (const auto& [index, verdict] : other)
    T2_CHECK(skip.count(index) || base.count(index), "%s: sample %lld has a verdict of the other system but "
             "no base verdict; both runs must cover the same samples", what, static_cast<long long>(index));
  return paired_difference(b, o);
}

nlohmann::json to_json(const PairedDifference& d) {
  return {{"n", d.n}, {"base", d.base}, {"other", d.other}, {"delta", d.delta}, {"se_paired", d.se},
          {"noise_2se", 2 * d.se}, {"beyond_noise", d.beyond_noise}};
}

std::string paired_columns_header(const char* other_name) {
  return format("%5s %8s %8s %8s %8s  %s", "n", "base", other_name, "delta", "2*SE", "beyond noise");
}

std::string paired_columns(const nlohmann::json& d) {
  return format("%5lld %8.3f %8.3f %+8.3f %8.3f  %s", static_cast<long long>(d.at("n").get<int64_t>()),
                d.at("base").get<double>(), d.at("other").get<double>(), d.at("delta").get<double>(),
                d.at("noise_2se").get<double>(), d.at("beyond_noise").get<bool>() ? "yes" : "no");
}

}  // namespace t2::cli::demo

// Paired comparison of two systems on the same samples, as `t2 demo` reports every base-vs-expert
// and base-vs-CEM difference: per sample d = correct(other) − correct(base) ∈ {−1, 0, 1}; the
// difference is the mean of d, its standard error the sample standard deviation of d (n − 1 in
// the denominator) over √n, and the difference is "beyond noise" when it exceeds twice that
// standard error. Pairing removes the variance both systems share (the samples that are easy or
// hard for both), so it is the right noise for "does the expert beat the base on these samples".
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace t2::cli::demo {

struct PairedDifference {
  int64_t n = 0;          // samples compared (both systems answered them)
  double base = 0;        // accuracy of the base over them
  double other = 0;       // accuracy of the other system over the same samples
  double delta = 0;       // other − base
  double se = 0;          // standard error of the per-sample difference (0 when n < 2)
  bool beyond_noise = false;  // delta > 2 se, and n >= 2
};

// base[i] and other[i] are the verdicts (0/1) of one sample; the vectors must have equal length.
PairedDifference paired_difference(const std::vector<int>& base, const std::vector<int>& other);

// Pairs two per-sample verdict maps (key: the sample's index in its data file) on the keys both
// hold, leaving out the keys in `skip` (e.g. CEM shots). A key in only one map is an error naming
// `what`: the two runs did not see the same samples.
PairedDifference paired_difference(const std::map<int64_t, int>& base, const std::map<int64_t, int>& other,
                                   const std::set<int64_t>& skip, const char* what);

// {"n", "base", "other", "delta", "se_paired", "noise_2se", "beyond_noise"}.
nlohmann::json to_json(const PairedDifference& d);

// The columns of a paired comparison in the demo's tables, from to_json's object: n, base, other,
// delta, 2*SE (paired), beyond noise; the header names the other system's column.
std::string paired_columns_header(const char* other_name);
std::string paired_columns(const nlohmann::json& d);

}  // namespace t2::cli::demo

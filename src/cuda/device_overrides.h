// The SVF overrides of a run on the device: what model::RoutedLinear describes (svf/override.h's
// SlotOverride: per sequence slot a dense matrix — a composed W' or the base weight — or the
// factored map U · (e ⊙ (Vᵀ x))) run with device copies of the matrices. Which slots go which
// way was decided on the host by svf/adapter.h; nothing here chooses. Rows of a batch are grouped
// by what serves them, as on the host: one group runs in place; several are gathered into
// contiguous rows, each group one product (all factored rows share the two factor products), and
// scattered back.
// Device copies, all in bf16 like the device's base weights (f32 / f16 host matrices converted on
// the device): a base route uses the model's own device weight; a dense W' is uploaded once and
// kept in an LRU cache by its content key (equal scalings share an entry), within the owner's byte
// budget (RoutedLinear::cache_bytes: --svf-cache-mb or the adapter's default) and at most half of
// the device memory free when the cache first fills; U and Vᵀ are uploaded once per factor set and
// kept for the run's lifetime; each description's scale rows are uploaded once.
// One per CudaRun; uses the run's stream and Blas, never synchronises except when a buffer grows.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cuda/blas.h"
#include "cuda/buffer.h"
#include "model/linear_override.h"
#include "model/llama/weights.h"

namespace t2::cuda {

class DeviceOverrides {
 public:
  explicit DeviceOverrides(Blas& blas) : blas_(blas) {}

  // y[n, w.rows] = rl(x[n, w.cols]) for rows of slots row_seq[n] (x, y device f32). base: the
  // device copy of w (bf16), used by base routes. Throws t2::Error when a matrix does not fit.
  void apply(const model::RoutedLinear& rl, const model::Weight& w, const void* base,
             const float* x, float* y, int64_t n, std::span<const int32_t> row_seq);

  // Frees every cached W' (e.g. to make room for key/value caches); factors stay.
  void drop_cache();
  size_t cached_bytes() const { return cache_used_; }
  size_t factor_bytes() const { return factor_bytes_; }

 private:
  using Shared = std::shared_ptr<DeviceBuffer>;
  // The device copy of a dense W' (LRU) or of a factor matrix (kept), uploading it when absent.
  Shared dense(const model::RoutedMatrix& m, size_t budget);
  Shared factor(const model::RoutedMatrix& m);
  // A fresh bf16 device copy of m; upload_or_drop frees the cache and tries once more when it does
  // not fit.
  DeviceBuffer upload(const model::RoutedMatrix& m);
  Shared upload_or_drop(const model::RoutedMatrix& m);
  // The description's scale rows [n_scales, r] on the device (uploaded once per description).
  const float* scales(const model::RoutedLinear& rl, int32_t weight_index);

  Blas& blas_;
  std::list<std::pair<std::string, Shared>> cache_;  // most recently used first
  size_t cache_used_ = 0;
  size_t cache_cap_ = 0;  // half the free device memory when the cache is first used (0: not yet)
  std::map<std::string, Shared> factors_;
  size_t factor_bytes_ = 0;
  struct Scales {
    uint64_t id = 0;
    DeviceBuffer buf;
  };
  std::map<int32_t, Scales> scales_;  // by weight index
  DeviceBuffer staging_, staging_f32_;  // uploads of non-bf16 matrices
  DeviceBuffer idx_;                    // [2n] i32: row order by group, then each row's scale
  DeviceBuffer xg_, yg_;                // [n, n_in], [n, n_out]: rows grouped
  std::vector<int32_t> h_group_, h_idx_;
  std::vector<int32_t> h_scale_, h_groups_;  // apply()'s grouping scratch, kept across calls
  std::vector<int64_t> h_offset_;
};

}  // namespace t2::cuda

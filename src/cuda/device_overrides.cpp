// Routed SVF overrides on the device (see device_overrides.h).
#include "cuda/device_overrides.h"

#include <algorithm>
#include <cstdint>

#include "base/error.h"
#include "cuda/check.h"
#include "cuda/kernels.h"

namespace t2::cuda {

namespace {

size_t bf16_bytes(const model::RoutedMatrix& m) {
  return static_cast<size_t>(m.rows * m.cols) * tensor::dtype_size(DType::bf16);
}

}  // namespace

DeviceBuffer DeviceOverrides::upload(const model::RoutedMatrix& m) {
  T2_CHECK(m.data != nullptr && m.rows > 0 && m.cols > 0,
           "device SVF: matrix '%s' has no host data to upload", m.key.c_str());
  const int64_t n = m.rows * m.cols;
  const cudaStream_t stream = blas_.stream();
  DeviceBuffer out(bf16_bytes(m), "an SVF matrix on the device (bf16)");
  // Host sources are pageable: each copy returns once the bytes are staged, so m.data is free
  // again on return, and the stream orders the conversions after it.
  if (m.dtype == DType::bf16) {
    T2_CUDA_CHECK(cudaMemcpyAsync(out.get(), m.data, bf16_bytes(m), cudaMemcpyHostToDevice, stream));
    return out;
  }
  staging_f32_.reserve(static_cast<size_t>(n) * sizeof(float), "SVF upload staging (f32)");
  if (m.dtype == DType::f32) {
    T2_CUDA_CHECK(cudaMemcpyAsync(staging_f32_.get(), m.data, static_cast<size_t>(n) * sizeof(float),
                                  cudaMemcpyHostToDevice, stream));
  } else {
    const size_t raw = static_cast<size_t>(n) * tensor::dtype_size(m.dtype);
    staging_.reserve(raw, "SVF upload staging");
    T2_CUDA_CHECK(cudaMemcpyAsync(staging_.get(), m.data, raw, cudaMemcpyHostToDevice, stream));
    convert_to_f32(staging_.get(), m.dtype, staging_f32_.as<float>(), n, stream);
  }
  convert_from_f32(staging_f32_.as<float>(), out.get(), DType::bf16, n, stream);
  return out;
}

DeviceOverrides::Shared DeviceOverrides::upload_or_drop(const model::RoutedMatrix& m) {
  try {
    return std::make_shared<DeviceBuffer>(upload(m));
  } catch (const Error&) {
    drop_cache();  // every cached W' goes before the run fails for want of memory
    return std::make_shared<DeviceBuffer>(upload(m));
  }
}

void DeviceOverrides::drop_cache() {
  cache_.clear();  // buffers still held by a call in flight are freed when it returns
  cache_used_ = 0;
}

DeviceOverrides::Shared DeviceOverrides::dense(const model::RoutedMatrix& m, size_t budget) {
  for (auto it = cache_.begin(); it != cache_.end(); ++it) {
    if (it->first != m.key) continue;
    cache_.splice(cache_.begin(), cache_, it);  // most recently used first
    return cache_.front().second;
  }
  if (cache_cap_ == 0) {
    size_t free_b = 0, total_b = 0;
    T2_CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
    cache_cap_ = std::max<size_t>(free_b / 2, 1);
  }
  const size_t limit = std::min(budget, cache_cap_), bytes = bf16_bytes(m);
  // Least recently used first out; the newest entry always stays, even when alone over the limit
  // (as the host cache does).
  while (!cache_.empty() && cache_used_ + bytes > limit) {
    cache_used_ -= cache_.back().second->bytes();
    cache_.pop_back();
  }
  Shared buf = upload_or_drop(m);
  cache_.emplace_front(m.key, buf);
  cache_used_ += buf->bytes();
  return buf;
}

DeviceOverrides::Shared DeviceOverrides::factor(const model::RoutedMatrix& m) {
  auto it = factors_.find(m.key);
  if (it != factors_.end()) return it->second;
  Shared buf = upload_or_drop(m);
  factor_bytes_ += buf->bytes();
  return factors_.emplace(m.key, std::move(buf)).first->second;
}

const float* DeviceOverrides::scales(const model::RoutedLinear& rl, int32_t weight_index) {
  Scales& s = scales_[weight_index];
  if (s.id != rl.id) {
    const size_t bytes = rl.scales.size() * sizeof(float);
    s.buf.reserve(std::max<size_t>(bytes, 1), "SVF scale rows");
    if (bytes)
      T2_CUDA_CHECK(cudaMemcpyAsync(s.buf.get(), rl.scales.data(), bytes, cudaMemcpyHostToDevice,
                                    blas_.stream()));
    s.id = rl.id;
  }
  return s.buf.as<float>();
}

void DeviceOverrides::apply(const model::RoutedLinear& rl, const model::Weight& w,
                            const void* base, const float* x, float* y, int64_t n,
                            std::span<const int32_t> row_seq) {
  if (n == 0) return;
  const int64_t n_in = w.cols, n_out = w.rows;
  const cudaStream_t stream = blas_.stream();
  const size_t budget = rl.cache_bytes > 0 ? rl.cache_bytes : SIZE_MAX;
  std::vector<Shared> held;  // keeps this call's matrices alive until its products are enqueued
  const auto run_group = [&](int32_t g, const float* xs, float* ys, int64_t m,
                             const int32_t* row_scale) {
    if (g >= 0) {
      const model::RoutedMatrix& d = rl.dense[static_cast<size_t>(g)];
      T2_CHECK(d.rows == n_out && d.cols == n_in, "device SVF: a dense matrix of '%s' is [%lld, "
               "%lld], the weight [%lld, %lld]", w.name.c_str(), static_cast<long long>(d.rows),
               static_cast<long long>(d.cols), static_cast<long long>(n_out),
               static_cast<long long>(n_in));
      const void* mat = base;
      if (d.data != w.data) {
        held.push_back(dense(d, budget));
        mat = held.back()->get();
      }
      blas_.linear(xs, mat, DType::bf16, ys, m, n_out, n_in);
      return;
    }
    T2_CHECK(rl.vt.data != nullptr && rl.u.data != nullptr && rl.r > 0,
             "device SVF: a slot of '%s' is routed to the factored path but no factors were given",
             w.name.c_str());
    held.push_back(factor(rl.vt));
    const void* vt = held.back()->get();
    held.push_back(factor(rl.u));
    const void* u = held.back()->get();
    blas_.factored(xs, u, vt, DType::bf16, scales(rl, w.index), row_scale, ys, m, n_out, n_in, rl.r);
  };

  // Route of every row (an empty row_seq: every row is slot 0's, as on the host).
  h_group_.resize(static_cast<size_t>(n));
  h_idx_.resize(static_cast<size_t>(2 * n));
  bool same = true;
  for (int64_t i = 0; i < n; ++i) {
    const model::LinearRoute rt = rl.route_of(row_seq.empty() ? 0 : row_seq[i]);
    h_group_[i] = rt.dense;
    h_idx_[n + i] = rt.scale;
    same = same && h_group_[i] == h_group_[0];
  }
  idx_.reserve(static_cast<size_t>(2 * n) * sizeof(int32_t), "SVF row routes");
  int32_t* d_idx = idx_.as<int32_t>();
  if (same) {
    if (h_group_[0] < 0)
      T2_CUDA_CHECK(cudaMemcpyAsync(d_idx + n, h_idx_.data() + n, static_cast<size_t>(n) * sizeof(int32_t),
                                    cudaMemcpyHostToDevice, stream));
    run_group(h_group_[0], x, y, n, d_idx + n);
    return;
  }
  // Rows ordered by group (factored first, then each dense matrix): h_idx_ = [order | scale].
  std::vector<int32_t>& scale = h_scale_;
  std::vector<int64_t>& offset = h_offset_;  // start of each group in the order; back() == n
  std::vector<int32_t>& groups = h_groups_;
  scale.assign(h_idx_.begin() + n, h_idx_.end());
  offset.clear();
  groups.clear();
  int64_t k = 0;
  for (int32_t g = -1; g < static_cast<int32_t>(rl.dense.size()); ++g) {
    const int64_t start = k;
    for (int64_t i = 0; i < n; ++i) {
      if (h_group_[i] != g) continue;
      h_idx_[k] = static_cast<int32_t>(i);
      h_idx_[n + k] = scale[i];
      ++k;
    }
    if (k > start) {
      groups.push_back(g);
      offset.push_back(start);
    }
  }
  offset.push_back(n);
  T2_CUDA_CHECK(cudaMemcpyAsync(d_idx, h_idx_.data(), static_cast<size_t>(2 * n) * sizeof(int32_t),
                                cudaMemcpyHostToDevice, stream));
  xg_.reserve(static_cast<size_t>(n * n_in) * sizeof(float), "SVF grouped rows");
  yg_.reserve(static_cast<size_t>(n * n_out) * sizeof(float), "SVF grouped rows");
  float* xg = xg_.as<float>();
  float* yg = yg_.as<float>();
  gather_rows(x, d_idx, xg, n, n_in, stream);
  for (size_t j = 0; j < groups.size(); ++j) {
    const int64_t o = offset[j], m = offset[j + 1] - o;
    run_group(groups[j], xg + o * n_in, yg + o * n_out, m, d_idx + n + o);
  }
  scatter_rows(yg, d_idx, y, n, n_out, stream);
}

}  // namespace t2::cuda

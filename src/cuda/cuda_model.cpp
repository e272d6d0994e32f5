// Weight upload of the CUDA backend and its installation behind the model's device seam (see
// cuda_model.h).
#include "cuda/cuda_model.h"

#include <cuda_runtime.h>

#include <optional>

#include "base/error.h"
#include "base/log.h"
#include "cuda/check.h"
#include "cuda/cuda_run.h"
#include "cuda/device.h"
#include "dist/comm/communicator.h"
#ifdef T2_HAVE_NCCL
#include "dist/comm/nccl_comm.h"  // make_nccl_comm
#endif

namespace t2::cuda {

namespace {

// The bytes of w as the device keeps it: matrices and tables in bf16, 1-D weights in f32.
tensor::DType device_dtype(const model::Weight& w) {
  return w.cols > 1 ? tensor::DType::bf16 : tensor::DType::f32;
}

}  // namespace

CudaModel::CudaModel(const model::LlamaModel& m) {
  const model::LlamaConfig& c = m.config();
  T2_CHECK(c.head_dim <= 256 && c.head_dim % 2 == 0,
           "--device cuda: head_dim %lld is not supported by the device attention (even, at most "
           "256); run this model with --device cpu", static_cast<long long>(c.head_dim));
  device_ = select_rank_device();
  description_ = format("cuda:%d %s", device_, describe_device(device_).c_str());
  const auto& all = m.weights().all();
  size_t total = 0;
  for (const model::Weight& w : all)
    total += static_cast<size_t>(w.rows * w.cols) * tensor::dtype_size(device_dtype(w));
  check_fits(total, "the model's weights (bf16 matrices, f32 norms)");
  weights_.resize(all.size());
  dtypes_.resize(all.size());
  std::vector<float> f32;
  std::vector<uint16_t> half;
  for (const model::Weight& w : all) {
    const tensor::DType dt = device_dtype(w);
    const size_t n = static_cast<size_t>(w.rows * w.cols);
    DeviceBuffer& buf = weights_[w.index];
    buf.reserve(n * tensor::dtype_size(dt), "a weight");
    dtypes_[w.index] = dt;
    if (w.dtype == dt) {
      buf.upload(w.data, n * tensor::dtype_size(dt));
    } else {
      f32.resize(n);
      tensor::convert_to_f32(w.data, w.dtype, f32.data(), n);
      if (dt == tensor::DType::f32) {
        buf.upload(f32.data(), n * sizeof(float));
      } else {
        half.resize(n);
        tensor::convert_from_f32(f32.data(), dt, half.data(), n);
        buf.upload(half.data(), n * sizeof(uint16_t));
      }
    }
    weight_bytes_ += buf.bytes();
  }
  inv_freq_.reserve(m.inv_freq().size() * sizeof(float), "the RoPE table");
  inv_freq_.upload(m.inv_freq().data(), m.inv_freq().size() * sizeof(float));
  T2_LOG_DEBUG("model on %s: %.1f MiB of weights", description_.c_str(),
              static_cast<double>(weight_bytes_) / 1048576.0);
}

std::unique_ptr<model::DeviceRun> CudaModel::make_run(const model::LlamaModel& m) const {
  return std::make_unique<CudaRun>(m, *this);
}

model::AllReduceFn CudaModel::group_all_reduce(const dist::Communicator& group) const {
#ifdef T2_HAVE_NCCL
  // The NCCL communicator is made on the first sum, which every rank of the group reaches in the
  // same forward step; made here, a rank whose setup failed would leave its peers waiting in the
  // id broadcast instead of reporting the failure.
  struct Group {
    dist::Communicator base;
    int device;
    std::optional<dist::Communicator> nccl;
  };
  auto g = std::make_shared<Group>(Group{group, device_, std::nullopt});
  return [g](float* data, size_t n) {
    if (!g->nccl) g->nccl = dist::make_nccl_comm(g->base, g->device);
    g->nccl->all_reduce_sum(std::span<float>(data, n));
  };
#else
  T2_FAIL("--device cuda with tensor parallelism (%d ranks per replica) sums shards over NCCL, "
          "but this t2 was built without it; rebuild with -DT2_WITH_NCCL=ON, or use --tp 1 (one "
          "GPU per replica) or --device cpu", group.size());
#endif
}

void install_cuda_backend() {
  model::set_device_model_factory([](const model::LlamaModel& m) {
    return std::make_shared<const CudaModel>(m);
  });
}

}  // namespace t2::cuda

// NCCL behind the Communicator interface (see nccl_comm.h). Only this file includes <nccl.h>.
#include "dist/comm/nccl_comm.h"

#include <cuda_runtime.h>
#include <nccl.h>

#include <cstring>

#include "base/error.h"

namespace t2::dist {

namespace {

#define T2_NCCL_CHECK(call)                                                                 \
  do {                                                                                      \
    const ncclResult_t t2_r_ = (call);                                                      \
    if (t2_r_ != ncclSuccess)                                                               \
      T2_FAIL("NCCL call %s failed at %s:%d: %s (%s); %s", #call, __FILE__, __LINE__,        \
              ncclGetErrorString(t2_r_), ncclGetLastError(nullptr), nccl_hint(t2_r_));      \
  } while (0)

#define T2_NCCL_CUDA_CHECK(call)                                                            \
  do {                                                                                      \
    const cudaError_t t2_e_ = (call);                                                       \
    if (t2_e_ != cudaSuccess)                                                               \
      T2_FAIL("CUDA call %s failed at %s:%d: %s (%s)", #call, __FILE__, __LINE__,            \
              cudaGetErrorName(t2_e_), cudaGetErrorString(t2_e_));                           \
  } while (0)

const char* nccl_hint(ncclResult_t r) {
  switch (r) {
    case ncclUnhandledCudaError: return "a CUDA call inside NCCL failed: check the device index of every rank";
    case ncclSystemError: return "a system call failed (sockets, shared memory): check NCCL_SOCKET_IFNAME and /dev/shm";
    case ncclInvalidUsage: return "ranks disagree on the group or the call order; every rank of a tensor-parallel group must make the same calls";
    case ncclRemoteError: return "a peer rank failed or left; see its log";
    default: return "rerun with NCCL_DEBUG=INFO for NCCL's own account";
  }
}

bool is_device_pointer(const void* p) {
  cudaPointerAttributes a{};
  if (cudaPointerGetAttributes(&a, p) != cudaSuccess) {
    cudaGetLastError();
    return false;
  }
  return a.type == cudaMemoryTypeDevice || a.type == cudaMemoryTypeManaged;
}

class NcclComm final : public CommImpl {
 public:
  NcclComm(Communicator base, int device) : base_(std::move(base)), device_(device) {
    T2_NCCL_CUDA_CHECK(cudaSetDevice(device_));
    ncclUniqueId id{};
    std::string bytes;
    if (base_.rank() == 0) {
      T2_NCCL_CHECK(ncclGetUniqueId(&id));
      bytes.assign(reinterpret_cast<const char*>(&id), sizeof id);
    }
    base_.broadcast(bytes, 0);
    T2_CHECK(bytes.size() == sizeof id, "NCCL unique id: expected %zu bytes from rank 0, got %zu",
             sizeof id, bytes.size());
    std::memcpy(&id, bytes.data(), sizeof id);
    T2_NCCL_CHECK(ncclCommInitRank(&comm_, base_.size(), id, base_.rank()));
    T2_NCCL_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  }
  ~NcclComm() override {
    if (stream_) cudaStreamDestroy(stream_);
    if (comm_) ncclCommDestroy(comm_);
  }

  const char* kind() const override { return "nccl"; }
  int rank() const override { return base_.rank(); }
  int size() const override { return base_.size(); }
  void barrier() const override { base_.barrier(); }
  void broadcast(std::string& bytes, int root) const override { base_.broadcast(bytes, root); }
  void all_reduce_sum(std::span<float> values) const override {
    if (values.empty()) return;
    if (!is_device_pointer(values.data())) {
      base_.all_reduce_sum(values);
      return;
    }
    T2_NCCL_CUDA_CHECK(cudaSetDevice(device_));
    T2_NCCL_CHECK(ncclAllReduce(values.data(), values.data(), values.size(), ncclFloat32, ncclSum,
                                comm_, stream_));
    T2_NCCL_CUDA_CHECK(cudaStreamSynchronize(stream_));
  }
  void all_reduce_sum(std::span<double> values) const override { base_.all_reduce_sum(values); }
  void all_reduce_sum(std::span<int64_t> values) const override { base_.all_reduce_sum(values); }
  std::vector<std::string> gather(std::string_view bytes, int root) const override {
    return base_.gather(bytes, root);
  }
  std::vector<std::string> all_gather(std::string_view bytes) const override {
    return base_.all_gather(bytes);
  }
  void send(std::string_view bytes, int dest, int tag) const override { base_.send(bytes, dest, tag); }
  Message recv(int source, int tag) const override { return base_.recv(source, tag); }
  MessageInfo probe(int source, int tag) const override { return base_.probe(source, tag); }
  std::optional<MessageInfo> iprobe(int source, int tag) const override {
    return base_.iprobe(source, tag);
  }
  std::shared_ptr<CommImpl> split(int color, int key) const override {
    // A sub-group gets its own NCCL communicator over the split base communicator.
    return std::make_shared<NcclComm>(base_.split(color, key), device_);
  }
  std::shared_ptr<CommImpl> split_node() const override {
    return std::make_shared<NcclComm>(base_.split_node(), device_);
  }
  [[noreturn]] void abort(int code) const override { base_.abort(code); }
  bool thread_multiple() const override { return base_.thread_multiple(); }

 private:
  Communicator base_;
  int device_;
  ncclComm_t comm_ = nullptr;
  cudaStream_t stream_ = nullptr;
};

}  // namespace

Communicator make_nccl_comm(const Communicator& group, int device) {
  return Communicator(std::make_shared<NcclComm>(group, device));
}

}  // namespace t2::dist

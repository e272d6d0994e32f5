// Communicator: the one door to inter-process communication (arbor-style value type). Algorithms
// receive a Communicator and never call MPI directly. Two implementations exist: local (one rank,
// always built) and MPI (comm/mpi_comm.h, only with T2_WITH_MPI); NCCL joins later behind the same
// interface. Messages are byte strings; typed helpers exist only for the float/double all-reduce
// that tensor parallelism needs and the int64 all-reduce of exact (fixed-point) sums.
//
// Contract: a Communicator is a cheap handle (shared ownership of the underlying MPI communicator,
// copying does not duplicate it). Collectives (barrier, broadcast, all_reduce_sum, gather,
// all_gather, split, split_node) must be called by every rank of the communicator in the same order.
// Thread-safety follows the MPI thread level the guard obtained (MPI_THREAD_MULTIPLE when available):
// concurrent point-to-point calls from several threads are then allowed; collectives on one
// communicator must not run concurrently. Every failure throws t2::Error naming the call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace t2::dist {

inline constexpr int kAnySource = -1;
inline constexpr int kAnyTag = -1;
// User tags are in [0, kMaxTag]; MPI guarantees at least 32767.
inline constexpr int kMaxTag = 32767;

// Envelope of a pending message (from probe).
struct MessageInfo {
  int source = 0;
  int tag = 0;
  std::size_t n_bytes = 0;
};

// A received message.
struct Message {
  int source = 0;
  int tag = 0;
  std::string bytes;
};

// The interface each implementation provides; users hold a Communicator, not this.
class CommImpl {
 public:
  virtual ~CommImpl() = default;
  virtual const char* kind() const = 0;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual void barrier() const = 0;
  virtual void broadcast(std::string& bytes, int root) const = 0;
  virtual void all_reduce_sum(std::span<float> values) const = 0;
  virtual void all_reduce_sum(std::span<double> values) const = 0;
  virtual void all_reduce_sum(std::span<int64_t> values) const = 0;
  virtual std::vector<std::string> gather(std::string_view bytes, int root) const = 0;
  virtual std::vector<std::string> all_gather(std::string_view bytes) const = 0;
  virtual void send(std::string_view bytes, int dest, int tag) const = 0;
  virtual Message recv(int source, int tag) const = 0;
  virtual MessageInfo probe(int source, int tag) const = 0;
  virtual std::optional<MessageInfo> iprobe(int source, int tag) const = 0;
  virtual std::shared_ptr<CommImpl> split(int color, int key) const = 0;
  virtual std::shared_ptr<CommImpl> split_node() const = 0;
  [[noreturn]] virtual void abort(int code) const = 0;
  virtual bool thread_multiple() const = 0;
};

class Communicator {
 public:
  // The local communicator: one rank. Point-to-point messages to self are queued in order.
  Communicator();
  explicit Communicator(std::shared_ptr<CommImpl> impl);

  // "local" or "mpi".
  const char* kind() const { return impl_->kind(); }
  int rank() const { return impl_->rank(); }
  int size() const { return impl_->size(); }

  void barrier() const { impl_->barrier(); }
  // Root's bytes replace every other rank's bytes (sizes may differ before the call).
  void broadcast(std::string& bytes, int root) const;
  // In-place element-wise sum over ranks. Every rank must pass the same length (an internal
  // invariant of the caller, checked in debug builds only: this sits on the tensor-parallel hot path).
  void all_reduce_sum(std::span<float> values) const;
  void all_reduce_sum(std::span<double> values) const;
  // Integer sums are exact, so the result does not depend on how ranks are combined (overflow
  // beyond int64 is the caller's to rule out).
  void all_reduce_sum(std::span<int64_t> values) const;
  // Variable-length gather: root receives size() strings in rank order, other ranks an empty vector.
  std::vector<std::string> gather(std::string_view bytes, int root) const;
  // Every rank receives size() strings in rank order.
  std::vector<std::string> all_gather(std::string_view bytes) const { return impl_->all_gather(bytes); }

  // Blocking send of a byte message (tag in [0, kMaxTag]).
  void send(std::string_view bytes, int dest, int tag) const;
  // Blocking receive; source may be kAnySource and tag kAnyTag.
  Message recv(int source, int tag) const;
  // Blocking probe and non-blocking probe for a matching message.
  MessageInfo probe(int source, int tag) const;
  std::optional<MessageInfo> iprobe(int source, int tag) const;

  // Collective: ranks with the same color form a new communicator ordered by (key, rank).
  // color must be >= 0 (every rank joins some communicator).
  Communicator split(int color, int key) const;
  // Collective: the ranks sharing this node's memory (node-local rank = split_node().rank()).
  Communicator split_node() const { return Communicator(impl_->split_node()); }

  // True when several threads may call point-to-point operations at once (MPI_THREAD_MULTIPLE).
  bool thread_multiple() const { return impl_->thread_multiple(); }

  // Ends the whole job with the given exit code (MPI_Abort; exit() for the local communicator).
  [[noreturn]] void abort(int code) const {
    impl_->abort(code);
    std::abort();  // not reached: both implementations end the process
  }

 private:
  void check_rank(int r, bool allow_any, const char* what) const;
  void check_tag(int tag, bool allow_any, const char* what) const;
  std::shared_ptr<CommImpl> impl_;
};

// The local (single-rank) implementation, exposed for tests and inline runs.
std::shared_ptr<CommImpl> make_local_comm();

// Collective: each rank passes its error ("" when fine). When any rank failed, every rank throws
// one t2::CollectiveError with the distinct messages (each prefixed "rank R: " when the world has
// several ranks), so that no rank is left waiting in a later collective for a peer that gave up.
void throw_if_any_failed(const Communicator& world, const std::string& error);

// Runs fn on this process's world and returns its result: MPI's world when an MPI launcher started
// the process (MPI is initialised for the call and finalised after it, mpi_comm.h), else the
// local communicator (always, in a build without MPI).
int run_on_world(int& argc, char**& argv, const std::function<int(const Communicator&)>& fn);

}  // namespace t2::dist

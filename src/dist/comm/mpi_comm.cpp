// The MPI implementation of the communicator and the MPI lifetime guard. Every MPI call goes through
// T2_MPI_CHECK, which turns a failing return code into a t2::Error naming the call, file and line and
// MPI's own error string. This is the only file of the project that includes <mpi.h>.
#include "dist/comm/mpi_comm.h"

#include <mpi.h>

#include <climits>
#include <cstdint>
#include <cstdlib>
#include <exception>

#include "base/error.h"

namespace t2::dist {
namespace {

bool g_thread_multiple = false;

[[noreturn]] void mpi_fail(int rc, const char* call, const char* file, int line) {
  char text[MPI_MAX_ERROR_STRING] = {0};
  int len = 0;
  if (MPI_Error_string(rc, text, &len) != MPI_SUCCESS) std::snprintf(text, sizeof text, "code %d", rc);
  T2_FAIL("MPI call %s failed at %s:%d: %s", call, file, line, text);
}

#define T2_MPI_CHECK(call)                                         \
  do {                                                             \
    const int t2_mpi_rc_ = (call);                                 \
    if (t2_mpi_rc_ != MPI_SUCCESS) mpi_fail(t2_mpi_rc_, #call, __FILE__, __LINE__); \
  } while (0)

int checked_count(std::size_t n, const char* what) {
  T2_CHECK(n <= static_cast<std::size_t>(INT_MAX),
           "%s: message of %zu bytes exceeds the 2 GiB limit of one MPI message; split it", what, n);
  return static_cast<int>(n);
}

int to_mpi_source(int source) { return source == kAnySource ? MPI_ANY_SOURCE : source; }
int to_mpi_tag(int tag) { return tag == kAnyTag ? MPI_ANY_TAG : tag; }

class MpiComm final : public CommImpl {
 public:
  // owned: the communicator was created by us (split) and is freed with the last handle.
  MpiComm(MPI_Comm comm, bool owned) : comm_(comm), owned_(owned) {
    T2_MPI_CHECK(MPI_Comm_rank(comm_, &rank_));
    T2_MPI_CHECK(MPI_Comm_size(comm_, &size_));
  }
  ~MpiComm() override {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (owned_ && !finalized) MPI_Comm_free(&comm_);
  }

  const char* kind() const override { return "mpi"; }
  int rank() const override { return rank_; }
  int size() const override { return size_; }

  void barrier() const override { T2_MPI_CHECK(MPI_Barrier(comm_)); }

  void broadcast(std::string& bytes, int root) const override {
    uint64_t n = bytes.size();
    T2_MPI_CHECK(MPI_Bcast(&n, 1, MPI_UINT64_T, root, comm_));
    bytes.resize(n);
    if (n > 0) T2_MPI_CHECK(MPI_Bcast(bytes.data(), checked_count(n, "broadcast"), MPI_BYTE, root, comm_));
  }

  void all_reduce_sum(std::span<float> v) const override { reduce(v.data(), v.size(), MPI_FLOAT); }
  void all_reduce_sum(std::span<double> v) const override { reduce(v.data(), v.size(), MPI_DOUBLE); }
  void all_reduce_sum(std::span<int64_t> v) const override { reduce(v.data(), v.size(), MPI_INT64_T); }

  std::vector<std::string> gather(std::string_view bytes, int root) const override {
    const int n = checked_count(bytes.size(), "gather");
    std::vector<int> counts(rank_ == root ? size_ : 0);
    T2_MPI_CHECK(MPI_Gather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, root, comm_));
    std::vector<int> displs(counts.size());
    std::size_t total = 0;
    for (std::size_t i = 0; i < counts.size(); ++i) {
      displs[i] = checked_count(total, "gather (total)");
      total += counts[i];
    }
    std::string all(rank_ == root ? total : 0, '\0');
    checked_count(total, "gather (total)");
    T2_MPI_CHECK(MPI_Gatherv(bytes.data(), n, MPI_BYTE, all.data(), counts.data(), displs.data(),
                             MPI_BYTE, root, comm_));
    return split_parts(all, counts, displs);
  }

  std::vector<std::string> all_gather(std::string_view bytes) const override {
    const int n = checked_count(bytes.size(), "all_gather");
    std::vector<int> counts(size_);
    T2_MPI_CHECK(MPI_Allgather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, comm_));
    std::vector<int> displs(size_);
    std::size_t total = 0;
    for (int i = 0; i < size_; ++i) {
      displs[i] = checked_count(total, "all_gather (total)");
      total += counts[i];
    }
    std::string all(total, '\0');
    checked_count(total, "all_gather (total)");
    T2_MPI_CHECK(MPI_Allgatherv(bytes.data(), n, MPI_BYTE, all.data(), counts.data(), displs.data(),
                                MPI_BYTE, comm_));
    return split_parts(all, counts, displs);
  }

  void send(std::string_view bytes, int dest, int tag) const override {
    T2_MPI_CHECK(MPI_Send(bytes.data(), checked_count(bytes.size(), "send"), MPI_BYTE, dest, tag,
                          comm_));
  }

  Message recv(int source, int tag) const override {
    // Matched probe + receive: safe when several threads receive on the same communicator.
    MPI_Message handle;
    MPI_Status status;
    T2_MPI_CHECK(MPI_Mprobe(to_mpi_source(source), to_mpi_tag(tag), comm_, &handle, &status));
    int count = 0;
    T2_MPI_CHECK(MPI_Get_count(&status, MPI_BYTE, &count));
    Message m{status.MPI_SOURCE, status.MPI_TAG, std::string(count, '\0')};
    T2_MPI_CHECK(MPI_Mrecv(m.bytes.data(), count, MPI_BYTE, &handle, &status));
    return m;
  }

  MessageInfo probe(int source, int tag) const override {
    MPI_Status status;
    T2_MPI_CHECK(MPI_Probe(to_mpi_source(source), to_mpi_tag(tag), comm_, &status));
    return info(status);
  }

  std::optional<MessageInfo> iprobe(int source, int tag) const override {
    MPI_Status status;
    int flag = 0;
    T2_MPI_CHECK(MPI_Iprobe(to_mpi_source(source), to_mpi_tag(tag), comm_, &flag, &status));
    if (!flag) return std::nullopt;
    return info(status);
  }

  std::shared_ptr<CommImpl> split(int color, int key) const override {
    MPI_Comm out = MPI_COMM_NULL;
    T2_MPI_CHECK(MPI_Comm_split(comm_, color, key, &out));
    return std::make_shared<MpiComm>(out, true);
  }

  std::shared_ptr<CommImpl> split_node() const override {
    MPI_Comm out = MPI_COMM_NULL;
    T2_MPI_CHECK(MPI_Comm_split_type(comm_, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &out));
    return std::make_shared<MpiComm>(out, true);
  }

  [[noreturn]] void abort(int code) const override {
    MPI_Abort(comm_, code);
    std::_Exit(code);  // MPI_Abort does not return; this keeps [[noreturn]] honest.
  }

 bool thread_multiple() const override { return g_thread_multiple; }

 private:
  void reduce(void* data, std::size_t n, MPI_Datatype type) const {
#ifndef NDEBUG
    long long mine[2] = {static_cast<long long>(n), -static_cast<long long>(n)};
    T2_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, mine, 2, MPI_LONG_LONG, MPI_MAX, comm_));
    T2_ASSERT(mine[0] == -mine[1] && "all_reduce_sum: ranks passed different lengths");
#endif
    const std::size_t elem = type == MPI_FLOAT ? sizeof(float) : 8;  // double or int64
    auto* p = static_cast<char*>(data);
    // Chunks of at most INT_MAX elements (MPI counts are int).
    while (n > 0) {
      const std::size_t chunk = n < static_cast<std::size_t>(INT_MAX) ? n : INT_MAX;
      T2_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, p, static_cast<int>(chunk), type, MPI_SUM, comm_));
      p += chunk * elem;
      n -= chunk;
    }
  }

  static MessageInfo info(const MPI_Status& status) {
    int count = 0;
    T2_MPI_CHECK(MPI_Get_count(&status, MPI_BYTE, &count));
    return MessageInfo{status.MPI_SOURCE, status.MPI_TAG, static_cast<std::size_t>(count)};
  }

  static std::vector<std::string> split_parts(const std::string& all, const std::vector<int>& counts,
                                              const std::vector<int>& displs) {
    std::vector<std::string> parts(counts.size());
    for (std::size_t i = 0; i < counts.size(); ++i) parts[i] = all.substr(displs[i], counts[i]);
    return parts;
  }

  MPI_Comm comm_;
  bool owned_;
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace

bool launched_by_mpi() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE",
                          "MPI_LOCALNRANKS", "MV2_COMM_WORLD_SIZE"}) {
    if (std::getenv(var) != nullptr) return true;
  }
  return false;
}

MpiGuard::MpiGuard(int& argc, char**& argv) : uncaught_at_start_(std::uncaught_exceptions()) {
  int initialized = 0;
  T2_MPI_CHECK(MPI_Initialized(&initialized));
  int provided = MPI_THREAD_SINGLE;
  if (!initialized) {
    T2_MPI_CHECK(MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided));
    owns_ = true;
  } else {
    T2_MPI_CHECK(MPI_Query_thread(&provided));
  }
  thread_multiple_ = provided >= MPI_THREAD_MULTIPLE;
  g_thread_multiple = thread_multiple_;
  T2_MPI_CHECK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
}

MpiGuard::~MpiGuard() {
  if (!owns_) return;
  // Finalizing while an exception unwinds could wait forever for ranks that will not arrive.
  if (std::uncaught_exceptions() > uncaught_at_start_) return;
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

Communicator mpi_world() {
  int initialized = 0;
  T2_MPI_CHECK(MPI_Initialized(&initialized));
  T2_CHECK(initialized, "mpi_world(): MPI is not initialised (create an MpiGuard first)");
  return Communicator(std::make_shared<MpiComm>(MPI_COMM_WORLD, false));
}


}  // namespace t2::dist

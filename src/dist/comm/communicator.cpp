// Argument validation shared by every Communicator implementation: ranks, tags and roots are
// checked here once, so implementations receive valid arguments and report only transport errors.
// Also the two helpers every job uses: agreeing on errors, and choosing the world (MPI or local).
#include "dist/comm/communicator.h"

#include <set>

#include "base/error.h"
#ifdef T2_HAVE_MPI
#include "dist/comm/mpi_comm.h"
#endif

namespace t2::dist {

Communicator::Communicator() : impl_(make_local_comm()) {}

Communicator::Communicator(std::shared_ptr<CommImpl> impl) : impl_(std::move(impl)) {
  T2_CHECK(impl_ != nullptr, "Communicator: null implementation");
}

void Communicator::check_rank(int r, bool allow_any, const char* what) const {
  if (allow_any && r == kAnySource) return;
  T2_CHECK(r >= 0 && r < size(), "%s: rank %d out of range for a %s communicator of size %d", what,
           r, kind(), size());
}

void Communicator::check_tag(int tag, bool allow_any, const char* what) const {
  if (allow_any && tag == kAnyTag) return;
  T2_CHECK(tag >= 0 && tag <= kMaxTag, "%s: tag %d out of range [0, %d]", what, tag, kMaxTag);
}

void Communicator::broadcast(std::string& bytes, int root) const {
  check_rank(root, false, "broadcast root");
  impl_->broadcast(bytes, root);
}

void Communicator::all_reduce_sum(std::span<float> values) const { impl_->all_reduce_sum(values); }
void Communicator::all_reduce_sum(std::span<double> values) const { impl_->all_reduce_sum(values); }
void Communicator::all_reduce_sum(std::span<int64_t> values) const { impl_->all_reduce_sum(values); }

std::vector<std::string> Communicator::gather(std::string_view bytes, int root) const {
  check_rank(root, false, "gather root");
  return impl_->gather(bytes, root);
}

void Communicator::send(std::string_view bytes, int dest, int tag) const {
  check_rank(dest, false, "send destination");
  check_tag(tag, false, "send");
  impl_->send(bytes, dest, tag);
}

Message Communicator::recv(int source, int tag) const {
  check_rank(source, true, "recv source");
  check_tag(tag, true, "recv");
  return impl_->recv(source, tag);
}

MessageInfo Communicator::probe(int source, int tag) const {
  check_rank(source, true, "probe source");
  check_tag(tag, true, "probe");
  return impl_->probe(source, tag);
}

std::optional<MessageInfo> Communicator::iprobe(int source, int tag) const {
  check_rank(source, true, "iprobe source");
  check_tag(tag, true, "iprobe");
  return impl_->iprobe(source, tag);
}

Communicator Communicator::split(int color, int key) const {
  T2_CHECK(color >= 0, "split: color must be >= 0, found %d", color);
  return Communicator(impl_->split(color, key));
}

void throw_if_any_failed(const Communicator& world, const std::string& error) {
  const auto all = world.all_gather(error);
  std::string msg;
  std::set<std::string> seen;
  for (size_t r = 0; r < all.size(); ++r) {
    if (all[r].empty() || !seen.insert(all[r]).second) continue;
    msg += (msg.empty() ? "" : "\n") +
           (world.size() > 1 ? t2::format("rank %zu: ", r) : std::string()) + all[r];
  }
  if (!msg.empty()) throw t2::CollectiveError(msg);
}

int run_on_world(int& argc, char**& argv, const std::function<int(const Communicator&)>& fn) {
#ifdef T2_HAVE_MPI
  if (launched_by_mpi()) {
    MpiGuard guard(argc, argv);
    return fn(mpi_world());
  }
#endif
  return fn(Communicator());
}

}  // namespace t2::dist

// The local communicator: a world of one rank. Collectives are identities, and point-to-point
// messages to self go through an in-order queue, so code written for N ranks runs unchanged inline.
// A receive that no queued message can satisfy would block forever; it throws instead.
#include <cstdlib>
#include <deque>
#include <mutex>

#include "base/error.h"
#include "dist/comm/communicator.h"

namespace t2::dist {
namespace {

class LocalComm final : public CommImpl {
 public:
  const char* kind() const override { return "local"; }
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void barrier() const override {}
  void broadcast(std::string&, int) const override {}
  void all_reduce_sum(std::span<float>) const override {}
  void all_reduce_sum(std::span<double>) const override {}
  void all_reduce_sum(std::span<int64_t>) const override {}
  std::vector<std::string> gather(std::string_view bytes, int) const override {
    return {std::string(bytes)};
  }
  std::vector<std::string> all_gather(std::string_view bytes) const override {
    return {std::string(bytes)};
  }
  void send(std::string_view bytes, int, int tag) const override {
    std::lock_guard lock(mutex_);
    queue_.push_back(Message{0, tag, std::string(bytes)});
  }
  Message recv(int, int tag) const override {
    std::lock_guard lock(mutex_);
    for (auto it = queue_.begin(); it != queue_.end(); ++it) {
      if (tag == kAnyTag || it->tag == tag) {
        Message m = std::move(*it);
        queue_.erase(it);
        return m;
      }
    }
    T2_FAIL("recv on the local communicator: no queued message with tag %d (it would block forever)",
            tag);
  }
  MessageInfo probe(int source, int tag) const override {
    auto info = iprobe(source, tag);
    T2_CHECK(info.has_value(),
             "probe on the local communicator: no queued message with tag %d (it would block forever)",
             tag);
    return *info;
  }
  std::optional<MessageInfo> iprobe(int, int tag) const override {
    std::lock_guard lock(mutex_);
    for (const auto& m : queue_) {
      if (tag == kAnyTag || m.tag == tag) return MessageInfo{0, m.tag, m.bytes.size()};
    }
    return std::nullopt;
  }
  std::shared_ptr<CommImpl> split(int, int) const override { return std::make_shared<LocalComm>(); }
  std::shared_ptr<CommImpl> split_node() const override { return std::make_shared<LocalComm>(); }
  [[noreturn]] void abort(int code) const override { std::_Exit(code); }
  bool thread_multiple() const override { return true; }

 private:
  mutable std::mutex mutex_;
  mutable std::deque<Message> queue_;
};

}  // namespace

std::shared_ptr<CommImpl> make_local_comm() { return std::make_shared<LocalComm>(); }

}  // namespace t2::dist

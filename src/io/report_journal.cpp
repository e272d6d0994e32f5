// Journal file format:
//   magic "T2JOURNAL2\n" (11 bytes; version 1 journals, from before the per-sample pass times,
//   are refused with advice), then frames: u32 body length | u32 CRC-32 of body | body,
//   body = one type byte ('R' run information as JSON, 'C' committed records as encode_records).
// The first frame is always 'R'; each resume appends another 'R' (a new segment).
#include "io/report_journal.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>  // crc32

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "base/error.h"
#include "base/log.h"
#include "io/file.h"

namespace t2::io {
namespace {

constexpr char kMagic[] = "T2JOURNAL2\n";
constexpr char kMagicV1[] = "T2JOURNAL1\n";
constexpr std::size_t kMagicLen = sizeof kMagic - 1;

uint32_t crc_of(std::string_view s) {
  return static_cast<uint32_t>(
      ::crc32(0L, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size())));
}

std::string run_to_json(const RunInfo& r) {
  nlohmann::json j;
  j["command"] = r.command;
  j["config"] = r.config;
  j["version"] = r.version;
  j["git_revision"] = r.git_revision;
  j["fingerprints"] = r.fingerprints;
  j["world_size"] = r.world_size;
  j["tp"] = r.tp;
  j["hosts"] = r.hosts;
  j["start_time"] = r.start_time;
  return j.dump();
}

RunInfo run_from_json(const std::string& text, const std::string& path) {
  try {
    const auto j = nlohmann::json::parse(text);
    RunInfo r;
    r.command = j.at("command").get<std::string>();
    r.config = j.at("config").get<std::string>();
    r.version = j.at("version").get<std::string>();
    r.git_revision = j.at("git_revision").get<std::string>();
    r.fingerprints = j.at("fingerprints").get<std::map<std::string, std::string>>();
    r.world_size = j.at("world_size").get<int>();
    r.tp = j.at("tp").get<int>();
    r.hosts = j.at("hosts").get<std::vector<std::string>>();
    r.start_time = j.at("start_time").get<std::string>();
    return r;
  } catch (const nlohmann::json::exception& e) {
    T2_FAIL("journal '%s': malformed run frame: %s", path.c_str(), e.what());
  }
}

void write_all(int fd, const char* p, std::size_t n, const std::string& path) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    T2_CHECK(w > 0, "journal '%s': write failed: %s", path.c_str(), std::strerror(errno));
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

void sync_fd(int fd, const std::string& path) {
  T2_CHECK(::fdatasync(fd) == 0, "journal '%s': fdatasync failed: %s", path.c_str(),
           std::strerror(errno));
}

}  // namespace

JournalContents read_journal(const std::string& path) {
  const std::string data = read_file(path);
  T2_CHECK(data.compare(0, kMagicLen, kMagicV1) != 0,
           "'%s' is a journal of an older t2 (format 1, without per-sample pass times): finish the "
           "run with the t2 version that started it, or start it again without --resume",
           path.c_str());
  T2_CHECK(data.size() >= kMagicLen && data.compare(0, kMagicLen, kMagic) == 0,
           "'%s' is not a t2 report journal (missing the T2JOURNAL2 header)", path.c_str());
  JournalContents c;
  std::size_t off = kMagicLen;
  bool have_run = false;
  while (off < data.size()) {
    uint32_t len = 0, crc = 0;
    if (data.size() - off < 8) break;
    std::memcpy(&len, data.data() + off, 4);
    std::memcpy(&crc, data.data() + off + 4, 4);
    if (len == 0 || data.size() - off - 8 < len) break;
    const std::string_view body(data.data() + off + 8, len);
    if (crc_of(body) != crc) break;
    const char type = body[0];
    if (type == 'R') {
      const RunInfo r = run_from_json(std::string(body.substr(1)), path);
      if (!have_run) c.run = r; else ++c.n_segments;
      have_run = true;
    } else if (type == 'C') {
      T2_CHECK(have_run, "journal '%s': records before the run frame", path.c_str());
      auto recs = decode_records(body.substr(1), "journal frame");
      for (auto& r : recs) c.records.push_back(std::move(r));
    } else {
      T2_FAIL("journal '%s': unknown frame type 0x%02x at byte %zu", path.c_str(),
              static_cast<unsigned>(static_cast<unsigned char>(type)), off);
    }
    off += 8 + len;
  }
  T2_CHECK(have_run, "journal '%s': the run frame is missing or damaged; the journal is unusable",
           path.c_str());
  c.valid_bytes = static_cast<int64_t>(off);
  c.torn_bytes = static_cast<int64_t>(data.size() - off);
  return c;
}

bool is_journal(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char head[kMagicLen];
  const ssize_t n = ::read(fd, head, kMagicLen);
  ::close(fd);
  return n == static_cast<ssize_t>(kMagicLen) && std::memcmp(head, kMagic, kMagicLen) == 0;
}

void sync_parent_dir(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  T2_CHECK(fd >= 0, "cannot open directory '%s' to sync it: %s", dir.c_str(), std::strerror(errno));
  const int rc = ::fsync(fd);
  ::close(fd);
  T2_CHECK(rc == 0, "cannot sync directory '%s': %s", dir.c_str(), std::strerror(errno));
}

Journal Journal::create(const std::string& path, const RunInfo& run) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  T2_CHECK(fd >= 0, "cannot create journal '%s': %s", path.c_str(), std::strerror(errno));
  Journal j(fd, path);
  write_all(fd, kMagic, kMagicLen, path);
  j.write_frame('R', run_to_json(run));
  sync_parent_dir(path);
  return j;
}

Journal Journal::append_to(const std::string& path, int64_t valid_bytes, const RunInfo& run) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  T2_CHECK(fd >= 0, "cannot open journal '%s': %s", path.c_str(), std::strerror(errno));
  Journal j(fd, path);
  T2_CHECK(::ftruncate(fd, valid_bytes) == 0, "cannot truncate journal '%s': %s", path.c_str(),
           std::strerror(errno));
  T2_CHECK(::lseek(fd, valid_bytes, SEEK_SET) == valid_bytes, "cannot seek in journal '%s'",
           path.c_str());
  j.write_frame('R', run_to_json(run));
  return j;
}

Journal::~Journal() { close(); }

Journal::Journal(Journal&& other) noexcept : fd_(other.fd_), path_(std::move(other.path_)) {
  other.fd_ = -1;
}

Journal& Journal::operator=(Journal&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = other.fd_;
    path_ = std::move(other.path_);
    other.fd_ = -1;
  }
  return *this;
}

void Journal::commit(const std::vector<SampleRecord>& records, bool sync) {
  write_frame('C', encode_records(records), sync);
}

void Journal::sync() {
  T2_CHECK(fd_ >= 0, "journal '%s' is closed", path_.c_str());
  sync_fd(fd_, path_);
}

void Journal::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void Journal::write_frame(char type, const std::string& body_text, bool sync) {
  T2_CHECK(fd_ >= 0, "journal '%s' is closed", path_.c_str());
  std::string body(1, type);
  body += body_text;
  T2_CHECK(body.size() < 0xffffffffu, "journal frame of %zu bytes is too large", body.size());
  std::string frame;
  put_bytes<uint32_t>(frame, static_cast<uint32_t>(body.size()));
  put_bytes<uint32_t>(frame, crc_of(body));
  frame += body;
  write_all(fd_, frame.data(), frame.size(), path_);
  if (sync) sync_fd(fd_, path_);
}

}  // namespace t2::io

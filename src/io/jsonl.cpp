// Implementation of the JSONL reader and the transparent gzip inflation it uses.
#include "io/jsonl.h"

#include <zlib.h>

#include <cstring>

#include "base/error.h"
#include "io/file.h"

namespace t2::io {
namespace {

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Inflates a gzip stream (possibly several concatenated members).
std::string gunzip(const std::string& data, const std::string& path) {
  z_stream zs{};
  T2_CHECK(inflateInit2(&zs, 16 + MAX_WBITS) == Z_OK, "zlib init failed for '%s'", path.c_str());
  std::string out;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  char buf[1 << 16];
  int rc = Z_OK;
  while (true) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof(buf) - zs.avail_out);
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      inflateReset(&zs);  // next gzip member
      continue;
    }
    if (rc != Z_OK) break;
    if (zs.avail_in == 0 && zs.avail_out != 0) break;  // truncated input
  }
  inflateEnd(&zs);
  T2_CHECK(rc == Z_STREAM_END, "'%s': not a valid gzip stream (zlib code %d%s); expected a .gz file",
           path.c_str(), rc, rc == Z_OK ? ", data truncated" : "");
  return out;
}

}  // namespace

std::string read_text_maybe_gz(const std::string& path) {
  std::string data = read_file(path);
  const bool magic = data.size() >= 2 && static_cast<unsigned char>(data[0]) == 0x1f &&
                     static_cast<unsigned char>(data[1]) == 0x8b;
  if (ends_with(path, ".gz") || magic) return gunzip(data, path);
  return data;
}

std::vector<JsonlRecord> parse_jsonl(std::string_view text, const std::string& source_name) {
  std::vector<JsonlRecord> out;
  size_t pos = 0;
  size_t line_no = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    JsonlRecord rec;
    rec.line = line_no;
    try {
      rec.value = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      rec.error = format("%s:%zu: invalid JSON line: %s", source_name.c_str(), line_no, e.what());
    }
    out.push_back(std::move(rec));
  }
  return out;
}

std::vector<JsonlRecord> read_jsonl(const std::string& path) {
  return parse_jsonl(read_text_maybe_gz(path), path);
}

}  // namespace t2::io

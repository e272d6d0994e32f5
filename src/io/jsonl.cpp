// Implementation of the JSONL reader and the transparent gzip inflation it uses.
#include "io/jsonl.h"

#include <zlib.h>

#include <cstring>

#include "base/error.h"
#include "io/file.h"

namespace t2::io {
namespace {

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

bool gzip_magic(std::string_view data) {
  return data.size() >= 2 && static_cast<unsigned char>(data[0]) == 0x1f &&
         static_cast<unsigned char>(data[1]) == 0x8b;
}

// Appends the record of one line (CR already removed) unless the line is blank.
void add_line(std::vector<JsonlRecord>& out, std::string_view line, size_t line_no,
              const std::string& source_name) {
  if (line.find_first_not_of(" \t") == std::string_view::npos) return;
  JsonlRecord rec;
  rec.line = line_no;
  try {
    rec.value = nlohmann::json::parse(line);
  } catch (const nlohmann::json::exception& e) {
    rec.error = format("%s:%zu: invalid JSON line: %s", source_name.c_str(), line_no, e.what());
  }
  out.push_back(std::move(rec));
}

}  // namespace

std::string read_text_maybe_gz(const std::string& path) {
  std::string data = read_file(path);
  if (path.ends_with(".gz") || gzip_magic(data)) return gunzip(data, path);
  return data;
}

nlohmann::json parse_json(const std::string& text, const std::string& source) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    T2_FAIL("%s: not valid JSON: %s", source.c_str(), e.what());
  }
}

std::vector<JsonlRecord> parse_jsonl(std::string_view text, const std::string& source_name,
                                     size_t max_line_bytes) {
  std::vector<JsonlRecord> out;
  size_t pos = 0;
  size_t line_no = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    T2_CHECK(line.size() <= max_line_bytes,
             "%s:%zu: line longer than %zu bytes (raise the limit with --max-line-bytes if the "
             "line is meant to be this long)", source_name.c_str(), line_no, max_line_bytes);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    add_line(out, line, line_no, source_name);
  }
  return out;
}

std::vector<JsonlRecord> read_jsonl(const std::string& path, size_t max_line_bytes) {
  LineReader in(path, max_line_bytes);
  if (path.ends_with(".gz") || gzip_magic(in.peek(2)))
    return parse_jsonl(gunzip(in.read_rest(), path), path, max_line_bytes);
  std::vector<JsonlRecord> out;
  for (std::string line; in.next(line);) add_line(out, line, in.line_number(), path);
  return out;
}

void require_records(const std::vector<JsonlRecord>& records, const std::string& path) {
  T2_CHECK(!records.empty(), "'%s' holds no records (it is empty or has only blank lines)",
           path.c_str());
}

}  // namespace t2::io

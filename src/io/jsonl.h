// JSON Lines reading: one JSON value per line, with a per-line error instead of an exception so that
// one bad record does not stop a whole dataset. Files ending in ".gz" (or starting with the gzip
// magic) are inflated transparently with zlib. Lines are bounded (io/line_reader.h): a longer line
// stops the read with its line number. Writing JSONL is left to callers (one json.dump() per line
// is all it takes).
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "io/line_reader.h"  // kDefaultMaxLineBytes

namespace t2::io {

// One line of a JSONL file. Exactly one of value/error is meaningful: error is empty on success.
struct JsonlRecord {
  size_t line = 0;       // 1-based line number in the (inflated) file
  nlohmann::json value;  // the parsed value when error is empty
  std::string error;     // "FILE:LINE: what went wrong" when the line could not be parsed
  bool ok() const { return error.empty(); }
};

// Parses one JSON document; throws t2::Error "SOURCE: not valid JSON: ..." on a syntax error.
nlohmann::json parse_json(const std::string& text, const std::string& source);

// Reads the whole file (inflating it when the name ends in ".gz" or the data starts with the gzip
// magic). Throws t2::Error only when the file cannot be read or inflated at all.
std::string read_text_maybe_gz(const std::string& path);

// Splits text into lines (LF or CRLF; a final newline is optional) and parses each non-blank line.
// Blank lines are skipped. Invalid JSON and invalid UTF-8 become error records naming
// source_name and the line; a line longer than max_line_bytes throws t2::Error naming it. Cost:
// one pass, one json value per line held in memory.
std::vector<JsonlRecord> parse_jsonl(std::string_view text, const std::string& source_name,
                                     size_t max_line_bytes = kDefaultMaxLineBytes);

// Reads and parses a JSONL file (gzip inflated as above; "-" is standard input). Throws t2::Error
// when the file cannot be read, is a directory, or has a line longer than max_line_bytes.
std::vector<JsonlRecord> read_jsonl(const std::string& path,
                                    size_t max_line_bytes = kDefaultMaxLineBytes);

// The number of records (non-blank lines) in what read_jsonl returned is records.size(); this says
// so in words for an empty input: "'PATH' holds no records (it is empty or has only blank lines)".
void require_records(const std::vector<JsonlRecord>& records, const std::string& path);

}  // namespace t2::io

// Summaries and the binary record codec. Layout of encode_records:
//   u32 count, then per record: str task, then the fields of for_each_column in order:
//   i64 index | str id | str label | str expert | str prediction | u8 correct | str status |
//   i32 prompt_tokens | i32 generated_tokens | f64 pass1_s | f64 pass2_s | str text |
//   f64 pass1_wall_s | f64 pass2_wall_s | f64 adapt_s | f64 vision_s (str = u32 length + bytes)
#include "io/report_record.h"

#include <ctime>

#include "base/bytes.h"
#include "base/error.h"

namespace t2::io {

void accumulate(TaskSummary& s, const SampleRecord& r) {
  ++s.n;
  s.n_correct += r.correct ? 1 : 0;
  s.n_errors += r.ok() ? 0 : 1;
  s.pass1_s += r.pass1_s;
  s.pass2_s += r.pass2_s;
  s.pass1_wall_s += r.pass1_wall_s;
  s.pass2_wall_s += r.pass2_wall_s;
  s.adapt_s += r.adapt_s;
  s.vision_s += r.vision_s;
  s.prompt_tokens += r.prompt_tokens;
  s.generated_tokens += r.generated_tokens;
  auto& l = s.by_label[r.label];
  ++l.n;
  l.n_correct += r.correct ? 1 : 0;
}

void finalize(TaskSummary& s) {
  s.accuracy = s.n > 0 ? static_cast<double>(s.n_correct) / static_cast<double>(s.n) : 0.0;
  s.pass_ratio = s.pass2_wall_s > 0 ? s.pass1_wall_s / s.pass2_wall_s : 0.0;
  const double t = s.pass1_wall_s + s.pass2_wall_s;
  s.tokens_per_s = t > 0 ? static_cast<double>(s.generated_tokens) / t : 0.0;
}

TaskSummary summarize(const std::vector<SampleRecord>& records) {
  TaskSummary s;
  for (const auto& r : records) accumulate(s, r);
  finalize(s);
  return s;
}

std::string utc_now_iso8601() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string encode_records(const std::vector<SampleRecord>& records) {
  std::string out;
  put_bytes<uint32_t>(out, static_cast<uint32_t>(records.size()));
  for (const auto& r : records) {
    put_string(out, r.task);
    for_each_column([&](const char*, auto field) {
      using T = column_type<decltype(field)>;
      if constexpr (std::is_same_v<T, std::string>)
        put_string(out, r.*field);
      else if constexpr (std::is_same_v<T, bool>)
        put_bytes<uint8_t>(out, r.*field ? 1 : 0);
      else
        put_bytes<T>(out, r.*field);
    });
  }
  return out;
}

std::vector<SampleRecord> decode_records(std::string_view bytes, const char* what) {
  ByteReader in(bytes, what);
  const uint32_t n = in.get<uint32_t>();
  std::vector<SampleRecord> out;
  out.reserve(std::min<uint32_t>(n, 1u << 16));
  for (uint32_t i = 0; i < n; ++i) {
    SampleRecord r;
    r.task = in.get_string();
    for_each_column([&](const char*, auto field) {
      using T = column_type<decltype(field)>;
      if constexpr (std::is_same_v<T, std::string>) {
        r.*field = in.get_string();
      } else if constexpr (std::is_same_v<T, bool>) {
        const uint8_t c = in.get<uint8_t>();
        T2_CHECK(c <= 1, "%s: record %u has correct = %u (expected 0 or 1)", what, i, c);
        r.*field = c == 1;
      } else {
        r.*field = in.get<T>();
      }
    });
    T2_CHECK(!r.task.empty() && r.index >= 0,
             "%s: record %u has task '%s' and index %lld (expected a task name and index >= 0)",
             what, i, r.task.c_str(), static_cast<long long>(r.index));
    out.push_back(std::move(r));
  }
  T2_CHECK(in.done(), "%s: %zu trailing bytes after %u records", what, bytes.size() - in.offset(), n);
  return out;
}

}  // namespace t2::io

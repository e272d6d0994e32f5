// The data a report holds, as plain structs: per-sample records, run information and per-task
// summaries, plus the compact binary encoding of record lists that travels from workers to rank 0
// and is appended to the crash journal. No HDF5 here (see report.h for the file itself).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>  // std::declval
#include <vector>

namespace t2::io {

// One evaluated sample. (task, index) identifies it within a run: committed exactly once.
struct SampleRecord {
  std::string task;        // task name, e.g. "gsm8k"; the report group /tasks/<task>
  int64_t index = 0;       // position of the sample in the task's data (>= 0)
  std::string id;          // the dataset's own sample id (may be empty)
  std::string label;       // pass-1 label (math / code / reasoning / other) or "" without pass 1
  std::string expert;      // expert or mixture used in pass 2, "base" for none
  std::string prediction;  // extracted answer
  bool correct = false;
  std::string status = "ok";  // "ok", or an error text (the sample counts as an error)
  int32_t prompt_tokens = 0;
  int32_t generated_tokens = 0;
  // Seconds of this sample in the first (dispatch) pass and the second (answer) pass: wall time
  // from its admission into the generation batch to its finish (0 for a pass it did not run).
  double pass1_s = 0.0;
  double pass2_s = 0.0;
  std::string text;      // generated text of pass 2
  // The sample's share of its batches' wall times (batch time / samples in the batch): summed
  // over a task they give exactly the time the replica spent on each pass, and on attaching the
  // adaptation (composing expert weights) before pass-2 batches.
  double pass1_wall_s = 0.0;
  double pass2_wall_s = 0.0;
  double adapt_s = 0.0;
  // Image tasks: the sample's share of the vision pass (decode, preprocessing, vision tower and
  // projector) of its image, in seconds; 0 for text samples.
  double vision_s = 0.0;

  bool ok() const { return status == "ok"; }
  friend bool operator==(const SampleRecord&, const SampleRecord&) = default;
};

// The fields of a record after `task`, in schema order: the report's sample columns
// (docs/report.md) and the journal's record layout. Calls f(column name, member pointer) for each.
template <class F>
void for_each_column(F&& f) {
  f("index", &SampleRecord::index);
  f("id", &SampleRecord::id);
  f("label", &SampleRecord::label);
  f("expert", &SampleRecord::expert);
  f("prediction", &SampleRecord::prediction);
  f("correct", &SampleRecord::correct);
  f("status", &SampleRecord::status);
  f("prompt_tokens", &SampleRecord::prompt_tokens);
  f("generated_tokens", &SampleRecord::generated_tokens);
  f("pass1_s", &SampleRecord::pass1_s);
  f("pass2_s", &SampleRecord::pass2_s);
  f("text", &SampleRecord::text);
  f("pass1_wall_s", &SampleRecord::pass1_wall_s);
  f("pass2_wall_s", &SampleRecord::pass2_wall_s);
  f("adapt_s", &SampleRecord::adapt_s);
  f("vision_s", &SampleRecord::vision_s);
}
// The type of a record field, given the member pointer for_each_column passes.
template <class Member>
using column_type = std::remove_cvref_t<decltype(std::declval<SampleRecord&>().*Member{})>;

// Who ran what: stored as attributes of the report's root.
struct RunInfo {
  std::string command;  // the producing command, e.g. "eval"
  std::string config;   // effective configuration (INI text); resume requires it unchanged
  std::string version;
  std::string git_revision;
  std::map<std::string, std::string> fingerprints;  // e.g. model -> sha256 hex
  int world_size = 1;
  int tp = 1;
  std::vector<std::string> hosts;
  std::string start_time;  // ISO 8601 UTC of the first segment
  friend bool operator==(const RunInfo&, const RunInfo&) = default;
};

// Per label group inside a task (PROTOCOL §4: accuracy per label and the weighted total).
struct LabelSummary {
  int64_t n = 0;
  int64_t n_correct = 0;
  friend bool operator==(const LabelSummary&, const LabelSummary&) = default;
};

struct TaskSummary {
  int64_t n = 0;          // records (errors included)
  int64_t n_correct = 0;
  int64_t n_errors = 0;   // status != "ok"
  double accuracy = 0.0;  // n_correct / n (errors count as wrong), 0 when n == 0
  double pass1_s = 0.0;   // sums of the per-sample pass times
  double pass2_s = 0.0;
  double pass1_wall_s = 0.0;  // sums of the batch shares: replica time per pass
  double pass2_wall_s = 0.0;
  double adapt_s = 0.0;       // replica time attaching adaptations (compositions)
  double vision_s = 0.0;      // replica time in vision passes (image tasks)
  double pass_ratio = 0.0;  // pass1_wall_s / pass2_wall_s, 0 when pass2_wall_s == 0
  int64_t prompt_tokens = 0;
  int64_t generated_tokens = 0;
  double tokens_per_s = 0.0;  // generated_tokens / (pass1_wall_s + pass2_wall_s), per replica
  std::map<std::string, LabelSummary> by_label;
};

// Summaries: add records one by one, then finalize the derived fields (accuracy, ratio, tokens/s);
// summarize does both for a list of one task's records.
void accumulate(TaskSummary& s, const SampleRecord& r);
void finalize(TaskSummary& s);
TaskSummary summarize(const std::vector<SampleRecord>& records);

// Current UTC time as "YYYY-MM-DDTHH:MM:SSZ".
std::string utc_now_iso8601();

// Binary encoding of a record list (little-endian, length-prefixed strings).
std::string encode_records(const std::vector<SampleRecord>& records);
// Throws t2::Error on truncated or malformed bytes, naming `what` and the offset.
std::vector<SampleRecord> decode_records(std::string_view bytes, const char* what = "records");

}  // namespace t2::io

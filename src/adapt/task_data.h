// The samples of one evaluated task: the task object (prompt template, scorer) and the items of its
// data file in file order. An item is a parsed sample or a record that failed to parse; both have an
// index (their position in the file's records) and both become exactly one result record, so a bad
// record shows up in the report as an error instead of vanishing. Every rank loads the same data,
// so work units only carry indices.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tasks/task.h"

namespace t2::adapt {

struct TaskItem {
  const tasks::Sample* sample = nullptr;  // nullptr: the record could not be parsed
  std::string load_error;                 // "FILE:LINE: message" when sample is nullptr
};

struct TaskData {
  std::string name;
  std::string path;
  std::unique_ptr<tasks::Task> task;
  tasks::Dataset dataset;
  std::vector<TaskItem> items;  // index = position among the kept records (--limit, --subset-seed)
};

// Loads the file with the task's loader. limit > 0 keeps the first `limit` records; with
// subset_seed >= 0 it keeps instead the records at the first `limit` positions of
// tasks::seeded_permutation(records, subset_seed) (the shuffle few-shot selection uses), in file
// order. image_dir: the folder of an image task's pictures ("" = the task's usual folders beside
// the data file). Throws t2::Error when the file cannot be read at all, or image_dir is given for
// a text task.
TaskData load_task_data(const std::string& name, const std::string& path, int64_t limit,
                        const std::string& image_dir = "", int64_t subset_seed = -1);

}  // namespace t2::adapt

// Loading a task's items in file order; see task_data.h.
#include "adapt/task_data.h"

#include <algorithm>

#include "tasks/splits.h"
#include "tasks/vqa.h"  // set_image_dir

namespace t2::adapt {

TaskData load_task_data(const std::string& name, const std::string& path, int64_t limit,
                        const std::string& image_dir, int64_t subset_seed) {
  TaskData d;
  d.name = name;
  d.path = path;
  d.task = tasks::make_task(name);
  if (!image_dir.empty()) tasks::set_image_dir(*d.task, image_dir);
  d.dataset = d.task->load(path);
  // Merge samples and load errors by line: the position among the file's records is the index.
  struct Entry {
    size_t line;
    TaskItem item;
  };
  std::vector<Entry> entries;
  entries.reserve(d.dataset.samples.size() + d.dataset.errors.size());
  for (const auto& s : d.dataset.samples) entries.push_back({s.line, TaskItem{&s, {}}});
  for (const auto& e : d.dataset.errors) {
    std::string msg = e.message;
    if (msg.rfind(path, 0) != 0) msg = path + ":" + std::to_string(e.line) + ": " + msg;
    entries.push_back({e.line, TaskItem{nullptr, msg}});
  }
  std::stable_sort(entries.begin(), entries.end(),
                   [](const Entry& a, const Entry& b) { return a.line < b.line; });
  if (limit > 0 && static_cast<int64_t>(entries.size()) > limit) {
    if (subset_seed >= 0) {  // the first `limit` of a seeded shuffle, kept in file order
      auto keep = tasks::seeded_permutation(entries.size(), static_cast<uint64_t>(subset_seed));
      keep.resize(static_cast<size_t>(limit));
      std::sort(keep.begin(), keep.end());
      std::vector<Entry> kept;
      kept.reserve(keep.size());
      for (size_t i : keep) kept.push_back(std::move(entries[i]));
      entries = std::move(kept);
    } else {
      entries.resize(limit);
    }
  }
  for (auto& e : entries) d.items.push_back(std::move(e.item));
  return d;
}

}  // namespace t2::adapt

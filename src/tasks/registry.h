// Factories of the concrete tasks, one per benchmark file; make_task() in task.h is the public door.
#pragma once

#include <memory>

#include "tasks/task.h"

namespace t2::tasks {

std::unique_ptr<Task> make_gsm8k_task();
std::unique_ptr<Task> make_math_task();
std::unique_ptr<Task> make_arc_task();
std::unique_ptr<Task> make_mbpp_task();
std::unique_ptr<Task> make_humaneval_task();
std::unique_ptr<Task> make_cls_task();
std::unique_ptr<Task> make_textvqa_task();
std::unique_ptr<Task> make_okvqa_task();

}  // namespace t2::tasks

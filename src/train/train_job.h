// `t2 train` as a library call, like adapt::run_eval: the settings (TrainConfig, its option group
// and the valid range of every value, checked before any work), and run_train, which sets up the
// run — MPI ranks, the model, the SVD store (decomposed on rank 0 first when the file does not
// exist), the task's samples and splits (tasks/splits.h training_split; cls from the training tasks'
// train splits), the sample runner and the trainer — and runs REINFORCE with its history,
// checkpoints and expert files (train_run.h). The command line only parses options into the struct.
#pragma once

#include <boost/program_options.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "dist/comm/communicator.h"
#include "tasks/task_options.h"
#include "train/reinforce.h"
#include "train/train_run.h"

namespace t2::train {

struct TrainConfig {
  std::string model;          // checkpoint (Hugging Face folder)
  std::string chat_template;  // built-in template name for a checkpoint without one
  std::string svd;            // SVD store; decomposed there first when absent
  std::string matrices = "mlp";
  std::string task;           // gsm8k, arc, mbpp, math, humaneval, cls, textvqa, okvqa
  std::string data;           // the task's training file (not for cls)
  std::string images;         // image tasks: folder of the pictures ("" = beside the data file)
  std::string cls_sources;    // cls: TASK=FILE,... of the training tasks
  std::string test_data;      // test file (GSM8K, ARC)
  ReinforceOptions reinforce;
  TrainRunOptions run;        // iters, test interval, evaluation limits, out, resume
  int64_t max_new_tokens = 0;  // 0: the task's own
  std::string logprob_tokens = "retokenized";
  std::string svf_apply = "auto";
  tasks::TaskOptions task_options;
  int threads = 0;
};

// Registers every option of `t2 train` on desc, bound to c (defaults from the struct).
void add_train_options(boost::program_options::options_description& desc, TrainConfig& c);
// Every problem with the settings, one line each (empty: valid). Checks files for existence and
// every number against its range; loads nothing.
std::vector<std::string> train_problems(const TrainConfig& c);

// Collective over comm. Returns 0; throws t2::Error on bad settings or data (before any output
// file is created) and on failures during the run (checkpoints written so far stay).
int run_train(TrainConfig c, const dist::Communicator& comm);

}  // namespace t2::train

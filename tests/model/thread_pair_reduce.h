// Test helper: two tensor-parallel ranks run as two threads of one test. hook(rank) is the
// RunContext all-reduce of that rank: both ranks' partial outputs are summed through a shared
// buffer and every rank gets the sum.
#pragma once

#include <algorithm>
#include <barrier>
#include <vector>

#include "model/run_context.h"

namespace t2::test {

class ThreadPairReduce {
 public:
  model::AllReduceFn hook(int rank) {
    return [this, rank](float* data, size_t n) {
      parts_[rank] = data;
      sync_.arrive_and_wait();
      if (rank == 0) {
        shared_.assign(n, 0.0f);
        for (size_t i = 0; i < n; ++i) shared_[i] = parts_[0][i] + parts_[1][i];
      }
      sync_.arrive_and_wait();
      std::copy(shared_.begin(), shared_.end(), data);
      sync_.arrive_and_wait();
    };
  }

 private:
  std::vector<float> shared_;
  float* parts_[2] = {nullptr, nullptr};
  std::barrier<> sync_{2};
};

}  // namespace t2::test

// Shape-checked tensor access for the vision side (see tensor_reader.h).
#include "model/llava/tensor_reader.h"

#include "base/error.h"

namespace t2::model::llava {

namespace {

std::string shape_str(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

}  // namespace

const io::TensorEntry& TensorReader::entry(const std::string& name,
                                           const std::vector<int64_t>& shape,
                                           const char* what) const {
  const io::TensorEntry& e = files_.get(prefix_ + name);
  T2_CHECK(e.shape == shape,
           "%s: tensor '%s' has shape %s but config.json implies %s (%s); the checkpoint does not "
           "match its config.json", e.file.c_str(), e.name.c_str(), e.shape_str().c_str(),
           shape_str(shape).c_str(), what);
  return e;
}

Weight TensorReader::matrix(const std::string& name, const std::vector<int64_t>& shape,
                            const char* what) const {
  const io::TensorEntry& e = entry(name, shape, what);
  int64_t cols = 1;
  for (size_t i = 1; i < shape.size(); ++i) cols *= shape[i];
  return Weight{prefix_ + name, e.dtype, shape.at(0), cols, e.data, -1};
}

std::vector<float> TensorReader::floats(const std::string& name, const std::vector<int64_t>& shape,
                                        const char* what) const {
  const io::TensorEntry& e = entry(name, shape, what);
  std::vector<float> out(static_cast<size_t>(e.n_elements()));
  tensor::convert_to_f32(e.data, e.dtype, out.data(), out.size());
  return out;
}

}  // namespace t2::model::llava

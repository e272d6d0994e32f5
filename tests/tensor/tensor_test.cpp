// Tensor view and Storage: shapes, strides, sub-views, alignment, ownership and error messages.
#include "tensor/tensor.h"

#include <gtest/gtest.h>

#include <cstdint>

#include "base/error.h"

namespace t2::tensor {
namespace {

TEST(Tensor, ContiguousShapeAndStrides) {
  float buf[24];
  Tensor t(buf, DType::f32, {2, 3, 4});
  EXPECT_EQ(t.rank(), 3);
  EXPECT_EQ(t.numel(), 24);
  EXPECT_EQ(t.nbytes(), 96u);
  EXPECT_EQ(t.stride(0), 12);
  EXPECT_EQ(t.stride(1), 4);
  EXPECT_EQ(t.stride(-1), 1);
  EXPECT_EQ(t.dim(-1), 4);
  EXPECT_TRUE(t.is_contiguous());
  EXPECT_EQ(t.describe(), "[2, 3, 4] f32");
  EXPECT_THROW(t.dim(3), Error);
}

TEST(Tensor, SubViews) {
  float buf[24];
  for (int i = 0; i < 24; ++i) buf[i] = float(i);
  Tensor t(buf, DType::f32, {2, 3, 4});
  Tensor r = t.index(1);
  EXPECT_EQ(r.rank(), 2);
  EXPECT_EQ(r.data_as<float>()[0], 12.0f);
  Tensor c = t.narrow(2, 1, 2);  // columns 1..2 of each row: not contiguous
  EXPECT_FALSE(c.is_contiguous());
  EXPECT_EQ(c.dim(2), 2);
  EXPECT_EQ(c.data_as<float>()[0], 1.0f);
  EXPECT_THROW(c.reshape({12}), Error);
  Tensor flat = t.reshape({6, 4});
  EXPECT_EQ(flat.dim(0), 6);
  EXPECT_THROW(t.reshape({5, 5}), Error);
  EXPECT_THROW(t.index(2), Error);
  EXPECT_THROW(t.narrow(1, 2, 2), Error);
}

TEST(Tensor, TypedAccessChecksDtype) {
  uint16_t buf[4];
  Tensor t(buf, DType::bf16, {4});
  EXPECT_EQ(t.data_as<uint16_t>(), buf);
  try {
    t.data_as<float>();
    FAIL() << "expected a dtype error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("expected f32"), std::string::npos) << e.what();
  }
}

TEST(Tensor, NegativeDimensionRejected) {
  EXPECT_THROW(Tensor(nullptr, DType::f32, {2, -1}), Error);
}

TEST(Storage, AlignedZeroedMoveOnly) {
  Storage s(DType::bf16, {3, 5});
  EXPECT_EQ(reinterpret_cast<uintptr_t>(s.data()) % 64, 0u);
  EXPECT_EQ(s.nbytes(), 30u);
  for (int i = 0; i < 15; ++i) EXPECT_EQ(s.data_as<uint16_t>()[i], 0);
  s.data_as<uint16_t>()[7] = 42;
  Storage c = s.clone();
  EXPECT_NE(c.data(), s.data());
  EXPECT_EQ(c.data_as<uint16_t>()[7], 42);
  void* p = s.data();
  Storage moved = std::move(s);
  EXPECT_EQ(moved.data(), p);
  EXPECT_EQ(s.data(), nullptr);  // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_EQ(moved.view().describe(), "[3, 5] bf16");
}

}  // namespace
}  // namespace t2::tensor

#include <gtest/gtest.h>

#include "codecflow/Error.h"
#include "codecflow/Tensor.h"

using namespace codecflow;

TEST(TensorTest, EmptyIsContiguousAndAligned) {
  Tensor t = Tensor::empty({2, 3, 4}, DType::Float32);
  EXPECT_EQ(t.numel(), 24);
  EXPECT_EQ(t.nbytes(), 96);
  EXPECT_EQ(t.strides(), (std::vector<int64_t>{12, 4, 1}));
  EXPECT_TRUE(t.isContiguous());
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data()) % 64, 0u);
}

TEST(TensorTest, DLPackRoundTripAliasesMemory) {
  Tensor t = Tensor::empty({4, 5}, DType::UInt8);
  DLManagedTensor* managed = t.toDLPack();
  EXPECT_EQ(managed->dl_tensor.data, t.data());
  EXPECT_EQ(managed->dl_tensor.ndim, 2);
  EXPECT_EQ(managed->dl_tensor.shape[1], 5);
  Tensor back = Tensor::fromDLPack(managed);
  EXPECT_EQ(back.data(), t.data());
  EXPECT_EQ(back.shape(), t.shape());
  EXPECT_EQ(back.dtype(), DType::UInt8);
}

TEST(TensorTest, ExportKeepsStorageAlive) {
  DLManagedTensor* managed = nullptr;
  {
    Tensor t = Tensor::empty({1024}, DType::UInt8);
    static_cast<uint8_t*>(t.data())[1023] = 42;
    managed = t.toDLPack();
  }
  EXPECT_EQ(static_cast<uint8_t*>(managed->dl_tensor.data)[1023], 42);
  managed->deleter(managed);
}

TEST(TensorTest, SliceFirstIsAView) {
  Tensor t = Tensor::empty({4, 2}, DType::Int32);
  Tensor s = t.sliceFirst(1, 3);
  EXPECT_EQ(s.shape()[0], 2);
  EXPECT_EQ(s.dataAs<int32_t>(), t.dataAs<int32_t>() + 2);
  EXPECT_THROW(t.sliceFirst(3, 5), Error);
}

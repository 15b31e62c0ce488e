#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <string>

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

// Restores the frame cache's limit when a test ends.
class FrameCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    saved_ = frameCacheLimit();
    setFrameCacheLimit(0);  // start empty
  }
  void TearDown() override { setFrameCacheLimit(saved_); }

 private:
  size_t saved_ = 0;
};

TEST_F(FrameCacheTest, FreedLargeBlockIsReusedWithItsContentsWritable) {
  setFrameCacheLimit(size_t{64} << 20);
  void* first = nullptr;
  {
    Tensor t = Tensor::empty({8, 1 << 20}, DType::UInt8);
    std::memset(t.data(), 7, static_cast<size_t>(t.nbytes()));
    first = t.data();
  }
  EXPECT_GE(frameCacheBytes(), size_t{8} << 20);
  Tensor again = Tensor::empty({8, 1 << 20}, DType::UInt8);
  EXPECT_EQ(again.data(), first);
  EXPECT_EQ(frameCacheBytes(), 0u);
  // The pages were marked reclaimable while kept; writing makes them ours.
  std::memset(again.data(), 9, static_cast<size_t>(again.nbytes()));
  const auto* bytes = again.dataAs<uint8_t>();
  EXPECT_EQ(bytes[0], 9);
  EXPECT_EQ(bytes[again.nbytes() - 1], 9);
}

// The process's pages marked reclaimable and not written since (kB).
static long lazyFreeKb() {
  std::ifstream in("/proc/self/smaps_rollup");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("LazyFree:", 0) == 0) {
      return std::stol(line.substr(9));
    }
  }
  ADD_FAILURE() << "no LazyFree in /proc/self/smaps_rollup";
  return -1;
}

// The block freed last waits unmarked (a loop takes it back at once); it is
// marked once another block is freed after it.
TEST_F(FrameCacheTest, TheLastBlockFreedIsMarkedOnlyOnceAnotherFollows) {
  setFrameCacheLimit(size_t{64} << 20);
  auto filled = [](int64_t mib) {
    Tensor t = Tensor::empty({mib << 20}, DType::UInt8);
    std::memset(t.data(), 1, static_cast<size_t>(t.nbytes()));
    return t;
  };
  long before = lazyFreeKb();
  void* first = nullptr;
  {
    Tensor t = filled(8);
    first = t.data();
  }
  EXPECT_LT(lazyFreeKb() - before, 4 << 10) << "the last block freed was marked";
  {
    // Taken back as it was, and freed again: still the last one.
    Tensor t = filled(8);
    EXPECT_EQ(t.data(), first);
  }
  EXPECT_LT(lazyFreeKb() - before, 4 << 10);
  { Tensor other = filled(6); }  // another size: the 8 MiB block waits on
  EXPECT_GE(lazyFreeKb() - before, 7 << 10) << "the block freed before the last was not marked";
  EXPECT_GE(frameCacheBytes(), size_t{14} << 20);
  // A marked block comes back writable.
  Tensor again = filled(8);
  EXPECT_EQ(again.data(), first);
  EXPECT_EQ(again.dataAs<uint8_t>()[again.nbytes() - 1], 1);
}

TEST_F(FrameCacheTest, SmallBlocksAreNotKept) {
  setFrameCacheLimit(size_t{64} << 20);
  { Tensor t = Tensor::empty({1000}, DType::UInt8); }
  EXPECT_EQ(frameCacheBytes(), 0u);
}

TEST_F(FrameCacheTest, OldestBlockIsEvictedFirst) {
  setFrameCacheLimit(size_t{5} << 20);  // room for two 2 MiB blocks
  void* a = nullptr;
  void* c = nullptr;
  {
    Tensor ta = Tensor::empty({2 << 20}, DType::UInt8);
    Tensor tb = Tensor::empty({2 << 20}, DType::UInt8);
    Tensor tc = Tensor::empty({2 << 20}, DType::UInt8);
    a = ta.data();
    c = tc.data();
    ta = Tensor();  // freed first: evicted when the third arrives
  }
  EXPECT_LE(frameCacheBytes(), size_t{5} << 20);
  Tensor x = Tensor::empty({2 << 20}, DType::UInt8);
  Tensor y = Tensor::empty({2 << 20}, DType::UInt8);
  EXPECT_NE(x.data(), a);
  EXPECT_NE(y.data(), a);
  EXPECT_TRUE(x.data() == c || y.data() == c);
}

TEST_F(FrameCacheTest, LoweringTheLimitFreesWhatNoLongerFits) {
  setFrameCacheLimit(size_t{64} << 20);
  { Tensor t = Tensor::empty({4 << 20}, DType::UInt8); }
  EXPECT_GT(frameCacheBytes(), 0u);
  setFrameCacheLimit(0);
  EXPECT_EQ(frameCacheBytes(), 0u);
  EXPECT_EQ(frameCacheLimit(), 0u);
}

TEST_F(FrameCacheTest, BlockLargerThanTheLimitIsNotKept) {
  setFrameCacheLimit(size_t{2} << 20);
  { Tensor t = Tensor::empty({3 << 20}, DType::UInt8); }
  EXPECT_EQ(frameCacheBytes(), 0u);
}

TEST_F(FrameCacheTest, DefaultCapIsAnEighthOfMemoryWithinItsBounds) {
  size_t memory = static_cast<size_t>(sysconf(_SC_PHYS_PAGES)) *
                  static_cast<size_t>(sysconf(_SC_PAGESIZE));
  EXPECT_EQ(defaultFrameCacheCap(),
            std::clamp(memory / 8, kDefaultFrameCacheCapMin, kDefaultFrameCacheCapMax));
}

// A loop over 100-frame 1080p batches (622 MB each) reuses its memory under the
// default limit wherever the machine allows it: a bound below one such batch
// made every batch fault in fresh pages.
TEST_F(FrameCacheTest, DefaultLimitKeepsABatchLargerThanTheMinimumCap) {
  useDefaultFrameCacheLimit();
  const int64_t rows = static_cast<int64_t>(kDefaultFrameCacheCapMin / (1 << 20)) + 64;  // 320 MiB
  if (defaultFrameCacheCap() < 2 * static_cast<size_t>(rows << 20)) {
    FAIL() << "this machine's memory (cap " << defaultFrameCacheCap()
                 << " bytes) is too small for the test";
  }
  void* first = nullptr;
  {
    Tensor t = Tensor::empty({rows, 1 << 20}, DType::UInt8);
    std::memset(t.data(), 1, static_cast<size_t>(t.nbytes()));
    first = t.data();
  }
  EXPECT_GE(frameCacheLimit(), static_cast<size_t>(rows) << 21);
  EXPECT_GE(frameCacheBytes(), static_cast<size_t>(rows) << 20);
  Tensor again = Tensor::empty({rows, 1 << 20}, DType::UInt8);
  EXPECT_EQ(again.data(), first);
}

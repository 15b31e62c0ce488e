// The host-side logic of CUDA memory: the NVDEC cache's accounting and
// eviction (ContextLru), and the choice of device allocator for output
// batches. Both run on every machine; what needs a GPU is in
// tests/python/test_cuda_memory.py.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "codecflow/DeviceAllocator.h"
#include "codecflow/Error.h"
#include "device/cuda/ContextLru.h"

using namespace codecflow;

namespace {

// A value that counts its destructions, like a codec context freeing its
// surfaces.
struct Tracked {
  Tracked() = default;
  Tracked(int id, std::shared_ptr<std::vector<int>> log) : id(id), log(std::move(log)) {}
  Tracked(Tracked&& other) noexcept : id(other.id), log(std::move(other.log)) { other.id = -1; }
  Tracked& operator=(Tracked&& other) noexcept {
    destroy();
    id = other.id;
    log = std::move(other.log);
    other.id = -1;
    return *this;
  }
  ~Tracked() { destroy(); }
  void destroy() {
    if (log && id >= 0) {
      log->push_back(id);
    }
    log.reset();
  }
  int id = -1;
  std::shared_ptr<std::vector<int>> log;
};

std::vector<int> ids(const std::vector<Tracked>& values) {
  std::vector<int> out;
  for (const auto& v : values) {
    out.push_back(v.id);
  }
  return out;
}

}  // namespace

TEST(ContextLruTest, SurfaceBytesFollowSizeDepthAndCount) {
  // 4K 10-bit, 20 surfaces: 4096x2160 (2160 is a multiple of 16) * 1.5 * 2
  // bytes, twice (decode surfaces and output frames) per surface.
  EXPECT_EQ(nvdecSurfaceBytes(4096, 2160, 10, 20), size_t{4096} * 2160 * 3 / 2 * 2 * 20 * 2);
  EXPECT_GT(nvdecSurfaceBytes(4096, 2160, 10, 20), size_t{1000} * 1000 * 1000);
  // 1080p rounds up to 1088 rows; 8-bit is one byte per sample.
  EXPECT_EQ(nvdecSurfaceBytes(1920, 1080, 8, 20), size_t{1920} * 1088 * 3 / 2 * 20 * 2);
  EXPECT_EQ(nvdecSurfaceBytes(1920, 1080, 12, 1), size_t{1920} * 1088 * 3 / 2 * 2 * 2);
  EXPECT_EQ(nvdecSurfaceBytes(0, 1080, 8, 20), 0u);
  EXPECT_EQ(nvdecSurfaceBytes(1920, 1080, 8, 0), 0u);
}

TEST(ContextLruTest, EvictsTheLeastRecentlyPutBeyondTheBytesOfThatDevice) {
  auto log = std::make_shared<std::vector<int>>();
  ContextLru<Tracked> lru(20, 100);
  EXPECT_TRUE(lru.put("a", 0, 40, Tracked(1, log)).empty());
  EXPECT_TRUE(lru.put("b", 0, 40, Tracked(2, log)).empty());
  EXPECT_TRUE(lru.put("c", 1, 90, Tracked(3, log)).empty());  // another device's bound
  EXPECT_EQ(lru.bytes(0), 80u);
  EXPECT_EQ(lru.bytes(1), 90u);
  // 40 + 40 + 30 > 100 on device 0: the oldest there (1) goes, not device 1's.
  std::vector<Tracked> evicted = lru.put("d", 0, 30, Tracked(4, log));
  EXPECT_EQ(ids(evicted), std::vector<int>{1});
  EXPECT_TRUE(log->empty()) << "evicted values are destroyed by the caller, not inside";
  evicted.clear();
  EXPECT_EQ(*log, std::vector<int>{1});
  EXPECT_EQ(lru.bytes(0), 70u);
  EXPECT_EQ(lru.bytes(1), 90u);
  EXPECT_EQ(lru.size(), 3u);
}

TEST(ContextLruTest, TakeRemovesTheEntryAndItsBytes) {
  auto log = std::make_shared<std::vector<int>>();
  ContextLru<Tracked> lru(20, 100);
  lru.put("k", 0, 40, Tracked(1, log));
  lru.put("k", 0, 50, Tracked(2, log));
  bool found = false;
  Tracked got = lru.take("k", found);
  EXPECT_TRUE(found);
  EXPECT_EQ(got.id, 2);  // the most recent of that key
  EXPECT_EQ(lru.bytes(0), 40u);
  Tracked none = lru.take("other", found);
  EXPECT_FALSE(found);
  EXPECT_EQ(none.id, -1);
  // Taking refreshes nothing: putting back makes it the most recent.
  lru.put("k", 0, 50, std::move(got));
  std::vector<Tracked> evicted = lru.put("x", 0, 20, Tracked(3, log));
  EXPECT_EQ(ids(evicted), std::vector<int>{1});
}

TEST(ContextLruTest, CountBoundAndOversizedEntries) {
  auto log = std::make_shared<std::vector<int>>();
  ContextLru<Tracked> lru(2, 100);
  lru.put("a", 0, 1, Tracked(1, log));
  lru.put("b", 1, 1, Tracked(2, log));
  EXPECT_EQ(ids(lru.put("c", 0, 1, Tracked(3, log))), std::vector<int>{1});
  // One entry above the bound alone is not kept (and evicts nothing).
  EXPECT_EQ(ids(lru.put("big", 0, 101, Tracked(4, log))), std::vector<int>{4});
  EXPECT_EQ(lru.size(), 2u);
  EXPECT_EQ(lru.bytes(0), 1u);
}

TEST(ContextLruTest, LoweringTheBoundsEvictsAtOnceOldestFirst) {
  auto log = std::make_shared<std::vector<int>>();
  ContextLru<Tracked> lru(20, 100);
  for (int i = 0; i < 5; ++i) {
    lru.put("k" + std::to_string(i), i % 2, 20, Tracked(i, log));
  }
  // Device 0 holds 0, 2, 4 (60 bytes), device 1 holds 1, 3 (40 bytes).
  EXPECT_EQ(ids(lru.setLimits(20, 40)), std::vector<int>{0});
  EXPECT_EQ(lru.bytes(0), 40u);
  EXPECT_EQ(ids(lru.setLimits(1, 40)), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(lru.size(), 1u);
  EXPECT_EQ(ids(lru.setLimits(0, 40)), std::vector<int>{4});
  EXPECT_EQ(lru.size(), 0u);
  EXPECT_EQ(lru.bytes(0), 0u);
  EXPECT_EQ(ids(lru.put("z", 0, 1, Tracked(9, log))), std::vector<int>{9});  // capacity 0
}

namespace {

class FakeAllocator final : public DeviceAllocator {
 public:
  void* allocate(size_t bytes, int device, void* stream) override {
    if (bytes > limit) {
      throw std::bad_alloc();
    }
    lastDevice = device;
    lastStream = stream;
    live.fetch_add(1);
    return new char[bytes];
  }
  void release(void* pointer, int device, void* stream) noexcept override {
    EXPECT_EQ(device, lastDevice);
    EXPECT_EQ(stream, lastStream);
    live.fetch_sub(1);
    released.fetch_add(1);
    delete[] static_cast<char*>(pointer);
  }
  size_t limit = 1 << 20;
  std::atomic<int> live{0};
  std::atomic<int> released{0};
  std::atomic<int> lastDevice{-1};
  std::atomic<void*> lastStream{nullptr};
};

struct InstalledReset {
  ~InstalledReset() { setDeviceAllocator(nullptr); }
};

}  // namespace

TEST(DeviceAllocatorTest, TheInstalledAllocatorGoesFirstThenTheFallback) {
  InstalledReset reset;
  auto installed = std::make_shared<FakeAllocator>();
  auto fallback = std::make_shared<FakeAllocator>();
  int stream = 0;
  {
    std::shared_ptr<void> memory = allocateDeviceMemory(64, 1, &stream, fallback);
    EXPECT_EQ(fallback->live.load(), 1);
    EXPECT_EQ(fallback->lastDevice.load(), 1);
    EXPECT_EQ(fallback->lastStream.load(), &stream);
  }
  EXPECT_EQ(fallback->live.load(), 0);
  setDeviceAllocator(installed);
  EXPECT_EQ(installedDeviceAllocator(), installed);
  std::shared_ptr<void> fromInstalled = allocateDeviceMemory(64, 2, &stream, fallback);
  EXPECT_EQ(installed->live.load(), 1);
  EXPECT_EQ(fallback->live.load(), 0);
  // Memory goes back to the allocator that gave it, even once another is in.
  setDeviceAllocator(nullptr);
  std::shared_ptr<void> fromFallback = allocateDeviceMemory(64, 2, &stream, fallback);
  EXPECT_EQ(fallback->live.load(), 1);
  fromInstalled.reset();
  EXPECT_EQ(installed->live.load(), 0);
  EXPECT_EQ(installed->released.load(), 1);
  fromFallback.reset();
  EXPECT_EQ(fallback->live.load(), 0);
}

TEST(DeviceAllocatorTest, ErrorsComeThroughUnchanged) {
  InstalledReset reset;
  auto installed = std::make_shared<FakeAllocator>();
  installed->limit = 10;
  setDeviceAllocator(installed);
  EXPECT_THROW(allocateDeviceMemory(11, 0, nullptr, nullptr), std::bad_alloc);
  EXPECT_EQ(installed->live.load(), 0);
  setDeviceAllocator(nullptr);
  try {
    allocateDeviceMemory(1, 3, nullptr, nullptr);
    FAIL() << "no allocator at all must throw";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::Runtime);
    EXPECT_NE(std::string(error.what()).find("cuda:3"), std::string::npos) << error.what();
  }
}

TEST(DeviceAllocatorTest, ConcurrentAllocationsAndSwaps) {
  InstalledReset reset;
  auto a = std::make_shared<FakeAllocator>();
  auto b = std::make_shared<FakeAllocator>();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        if (t == 0 && i % 10 == 0) {
          setDeviceAllocator(i % 20 == 0 ? a : b);
        }
        std::shared_ptr<void> memory = allocateDeviceMemory(16, 0, nullptr, a);
        ASSERT_NE(memory.get(), nullptr);
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(a->live.load() + b->live.load(), 0);
  EXPECT_EQ(a->released.load() + b->released.load(), 2000);
}

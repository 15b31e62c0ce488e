// runParallel, GOP-parallel batches and decodeClips, in the core.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include "MediaPath.h"
#include "codecflow/Clips.h"
#include "codecflow/Threads.h"
#include "codecflow/VideoDecoder.h"
#include "decode/Parallel.h"

using namespace codecflow;

namespace {

struct LimitGuard {
  explicit LimitGuard(int n) { setThreadLimit(n); }
  ~LimitGuard() { resetThreadLimit(); }
};

bool sameFrames(const DecodedFrames& a, const DecodedFrames& b) {
  return a.data.nbytes() == b.data.nbytes() &&
         std::memcmp(a.data.data(), b.data.data(), static_cast<size_t>(a.data.nbytes())) == 0 &&
         a.ptsSeconds == b.ptsSeconds && a.durationSeconds == b.durationSeconds;
}

}  // namespace

TEST(ParallelTest, EveryTaskRunsOnceOnAtMostTheWorkersAsked) {
  LimitGuard limit(8);
  std::vector<std::atomic<int>> runs(100);
  std::mutex mutex;
  std::set<std::thread::id> threads;
  runParallel(runs.size(), 3, [&](int worker, size_t i) {
    EXPECT_LT(worker, 3);
    runs[i]++;
    std::lock_guard<std::mutex> lock(mutex);
    threads.insert(std::this_thread::get_id());
  });
  for (auto& r : runs) {
    EXPECT_EQ(r.load(), 1);
  }
  EXPECT_LE(threads.size(), 3u);
}

TEST(ParallelTest, TheLowestFailingTaskIsRethrownAfterAllStop) {
  LimitGuard limit(4);
  std::atomic<int> running{0};
  try {
    runParallel(50, 4, [&](int, size_t i) {
      running++;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      running--;
      if (i == 3 || i == 7) {
        throw Error(ErrorKind::InvalidData, "task " + std::to_string(i));
      }
    });
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidData);
    EXPECT_STREQ(e.what(), "task 3");
  }
  EXPECT_EQ(running.load(), 0);
}

TEST(ParallelTest, NestedWorkRunsOnItsThreadAlone) {
  LimitGuard limit(4);
  EXPECT_EQ(parallelWorkers(10), 4);
  std::atomic<int> nested{0};
  runParallel(4, 4, [&](int, size_t) { nested += parallelWorkers(10); });
  EXPECT_EQ(nested.load(), 4);
  setThreadLimit(1);
  EXPECT_EQ(parallelWorkers(10), 1);
}

TEST(ParallelTest, GopParallelBatchEqualsOneContext) {
  std::vector<int64_t> wanted = {55, 3, 40, 3, 20, 0, 59, 41, 12};
  DecodedFrames sequential;
  {
    LimitGuard limit(1);
    VideoDecoder decoder(Source::fromPath(mediaPath("h264_open_gop.mp4")), {});
    sequential = decoder.framesAt(wanted);
  }
  LimitGuard limit(4);
  VideoDecoder decoder(Source::fromPath(mediaPath("h264_open_gop.mp4")), {});
  EXPECT_TRUE(sameFrames(decoder.framesAt(wanted), sequential));
  EXPECT_TRUE(sameFrames(decoder.framesAt(wanted), sequential));  // cached contexts
}

TEST(ParallelTest, DecodeClipsNamesTheFailingItem) {
  LimitGuard limit(3);
  std::vector<ClipRequest> requests(3);
  for (auto& r : requests) {
    r.source = Source::fromPath(mediaPath("h264_bframes.mp4"));
    r.indices = {1, 30};
  }
  requests[1].indices = {1, 60};
  try {
    decodeClips(requests, 0);
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::OutOfRange);
    EXPECT_NE(std::string(e.what()).find("decode_clips item 1 ('"), std::string::npos) << e.what();
  }
  requests[1].indices = {30, 1};
  std::vector<DecodedFrames> got = decodeClips(requests, 2);
  ASSERT_EQ(got.size(), 3u);
  VideoDecoder one(Source::fromPath(mediaPath("h264_bframes.mp4")), {});
  EXPECT_TRUE(sameFrames(got[0], one.framesAt({1, 30})));
  EXPECT_TRUE(sameFrames(got[1], one.framesAt({30, 1})));
  EXPECT_THROW(decodeClips(requests, -1), Error);
}

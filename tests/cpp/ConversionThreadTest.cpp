// The conversion stage beside a decoder (Note [Conversion pipeline]): order,
// bounded queue, errors, and ending with work still queued.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "codecflow/Error.h"
#include "convert/ConversionThread.h"

extern "C" {
#include <libavutil/frame.h>
}

namespace codecflow {
namespace {

// A small frame with real buffers; its first byte carries `value`.
UniqueAVFrame frameWith(uint8_t value) {
  UniqueAVFrame frame = allocFrame();
  frame->format = AV_PIX_FMT_GRAY8;
  frame->width = 16;
  frame->height = 2;
  EXPECT_EQ(av_frame_get_buffer(frame.get(), 0), 0);
  frame->data[0][0] = value;
  return frame;
}

TEST(ConversionThreadTest, WritesEveryFrameIntoItsSlot) {
  std::vector<uint8_t> slots(50, 0);
  ConversionThread stage([](const AVFrame* f, uint8_t* slot) { *slot = f->data[0][0]; }, 2);
  EXPECT_FALSE(stage.started());
  for (int i = 0; i < 50; ++i) {
    UniqueAVFrame frame = frameWith(static_cast<uint8_t>(i + 1));
    stage.submit(frame.get(), &slots[49 - i], nullptr);
    // The stage holds its own reference: the caller's frame may go.
  }
  EXPECT_TRUE(stage.started());
  stage.wait();
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(slots[49 - i], i + 1);
  }
}

TEST(ConversionThreadTest, NoMoreThanDepthFramesWait) {
  std::atomic<bool> release{false};
  std::atomic<int> done{0};
  ConversionThread stage(
      [&](const AVFrame*, uint8_t*) {
        while (!release.load()) {
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        ++done;
      },
      2);
  uint8_t slot = 0;
  std::atomic<int> submitted{0};
  std::thread producer([&] {
    for (int i = 0; i < 6; ++i) {
      UniqueAVFrame frame = frameWith(0);
      stage.submit(frame.get(), &slot, nullptr);
      ++submitted;
    }
  });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (submitted.load() < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  // One frame in hand, two waiting: the producer blocks on the fourth.
  EXPECT_EQ(submitted.load(), 3);
  EXPECT_LE(stage.queued(), 2u);
  release = true;
  producer.join();
  stage.wait();
  EXPECT_EQ(done.load(), 6);
}

TEST(ConversionThreadTest, TheFirstErrorReachesTheCallerAndLaterFramesAreDropped) {
  std::atomic<int> converted{0};
  ConversionThread stage(
      [&](const AVFrame* f, uint8_t*) {
        ++converted;
        if (f->data[0][0] == 3) {
          fail(ErrorKind::InvalidData, "frame 3 is bad");
        }
      },
      4);
  uint8_t slot = 0;
  bool thrown = false;
  try {
    for (int i = 1; i <= 20; ++i) {
      UniqueAVFrame frame = frameWith(static_cast<uint8_t>(i));
      stage.submit(frame.get(), &slot, nullptr);
    }
    stage.wait();
  } catch (const Error& error) {
    thrown = true;
    EXPECT_EQ(error.kind(), ErrorKind::InvalidData);
    EXPECT_NE(std::string(error.what()).find("frame 3 is bad"), std::string::npos);
  }
  EXPECT_TRUE(thrown);
  int after = converted.load();
  EXPECT_LT(after, 20);
  // Thrown once: the stage is usable again.
  UniqueAVFrame frame = frameWith(1);
  stage.submit(frame.get(), &slot, nullptr);
  stage.wait();
}

TEST(ConversionThreadTest, TheBatchIsKeptAliveUntilItsFramesAreWritten) {
  std::atomic<bool> release{false};
  ConversionThread stage(
      [&](const AVFrame*, uint8_t* slot) {
        while (!release.load()) {
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        *slot = 7;
      },
      2);
  auto batch = std::make_shared<std::vector<uint8_t>>(4, 0);
  std::weak_ptr<std::vector<uint8_t>> watch = batch;
  UniqueAVFrame frame = frameWith(0);
  stage.submit(frame.get(), batch->data(), batch);
  batch.reset();  // the caller gives up on the batch
  EXPECT_FALSE(watch.expired());
  release = true;
  stage.wait();
  EXPECT_TRUE(watch.expired());
}

TEST(ConversionThreadTest, DiscardDropsWhatWaitsAndForgetsErrors) {
  std::atomic<int> converted{0};
  ConversionThread stage(
      [&](const AVFrame*, uint8_t*) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        ++converted;
        fail(ErrorKind::Runtime, "always");
      },
      3);
  uint8_t slot = 0;
  UniqueAVFrame frame = frameWith(0);
  stage.submit(frame.get(), &slot, nullptr);
  stage.discard();
  EXPECT_LE(converted.load(), 1);
  stage.wait();  // the error is forgotten
}

TEST(ConversionThreadTest, EndsWithFramesStillQueuedWithoutConvertingThem) {
  std::atomic<int> converted{0};
  {
    ConversionThread stage(
        [&](const AVFrame*, uint8_t*) {
          std::this_thread::sleep_for(std::chrono::milliseconds(30));
          ++converted;
        },
        3);
    uint8_t slot = 0;
    for (int i = 0; i < 4; ++i) {
      UniqueAVFrame frame = frameWith(0);
      stage.submit(frame.get(), &slot, nullptr);
    }
  }  // destroyed with frames waiting: the one in hand finishes, the rest go
  EXPECT_LT(converted.load(), 4);
}

}  // namespace
}  // namespace codecflow

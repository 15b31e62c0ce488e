// What the encoder tests share: synthetic frames, the options of a small
// video stream, temporary paths, and the check that a stream's options are
// refused when the file is opened, before the file exists.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>

#include "codecflow/Encoder.h"
#include "codecflow/Error.h"
#include "codecflow/Tensor.h"

// N frames of a moving gradient, NHWC uint8, on `device` (in host memory
// whatever the device, for test backends that read host memory).
inline codecflow::Tensor gradientFrames(int64_t n, int64_t h, int64_t w,
                                        codecflow::Device device = codecflow::Device::cpu()) {
  using codecflow::Tensor;
  Tensor t = Tensor::empty({n, h, w, 3}, codecflow::DType::UInt8);
  auto* p = t.dataAs<uint8_t>();
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t y = 0; y < h; ++y) {
      for (int64_t x = 0; x < w; ++x) {
        uint8_t* px = p + ((i * h + y) * w + x) * 3;
        px[0] = static_cast<uint8_t>((x * 2 + i * 4) & 255);
        px[1] = static_cast<uint8_t>((y * 3) & 255);
        px[2] = static_cast<uint8_t>(((x + y) + i * 8) & 255);
      }
    }
  }
  if (device.isCpu()) {
    return t;
  }
  auto owner = std::make_shared<Tensor>(t);
  return Tensor::fromBlob(t.data(), t.shape(), {}, codecflow::DType::UInt8, device, owner);
}

// A 96x64, 25 fps stream of `codec` (and `pixelFormat`, if given) on `device`.
inline codecflow::VideoStreamOptions smallVideo(const std::string& codec,
                                                codecflow::Device device,
                                                const std::string& pixelFormat = "") {
  codecflow::VideoStreamOptions o;
  o.height = 64;
  o.width = 96;
  o.frameRate = 25;
  o.codec = codec;
  o.pixelFormat = pixelFormat;
  o.device = device;
  return o;
}

inline codecflow::VideoStreamOptions smallVideo(const std::string& codec,
                                                const std::string& pixelFormat = "") {
  return smallVideo(codec, codecflow::Device::cpu(), pixelFormat);
}

// A path in the temporary directory, unique to this process.
inline std::filesystem::path tempPath(const std::string& name) {
  return std::filesystem::temp_directory_path() /
         ("codecflow_test_" + std::to_string(::getpid()) + "_" + name);
}

// An encoder with one stream of `options` fails to open `path` with an error
// of `kind` whose message contains `fragment`, and leaves no file there.
inline void expectOpenFileFails(codecflow::VideoStreamOptions options,
                                const std::filesystem::path& path, codecflow::ErrorKind kind,
                                const std::string& fragment) {
  codecflow::Encoder encoder;
  encoder.addVideo(std::move(options));
  try {
    encoder.openFile(path.string());
    ADD_FAILURE() << "expected an error mentioning " << fragment;
  } catch (const codecflow::Error& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(path)) << path;
}

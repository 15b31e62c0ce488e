// The encoder given arbitrary shapes, options and samples: streams, codecs,
// pixel formats, option strings, frame layouts and tensor shapes of the
// fuzzer's choosing, encoded into memory (sometimes behind the background
// queue). Pixel and sample values come from the input (NaN and infinite
// samples included).
#include <algorithm>
#include <cmath>

#include "FuzzCommon.h"
#include "codecflow/Encoder.h"
#include "codecflow/Error.h"

using namespace codecflow;

namespace {

template <size_t N>
const char* pick(fuzz::Params& params, const char* const (&names)[N]) {
  return names[params.inRange<size_t>(0, N - 1)];
}

constexpr const char* kFormats[] = {"matroska", "mp4", "mov", "webm", "avi", "nut", "wav",
                                    "flac", "mp3", "ogg", "adts", "mpegts", "bogus", ""};
constexpr const char* kVideoCodecs[] = {"", "libx264", "mpeg4", "ffv1", "mjpeg", "png",
                                        "rawvideo", "h264", "nosuchcodec", "flac"};
constexpr const char* kPixelFormats[] = {"", "yuv420p", "yuv444p", "yuv422p", "rgb24", "bgr0",
                                         "gray", "nv12", "yuvj420p", "yuv420p10le", "bogus"};
constexpr const char* kOptionNames[] = {"g", "bf", "tune", "profile", "x264-params", "threads",
                                        "bogus", "qp", "level", "slices", "b"};
constexpr const char* kPresets[] = {"ultrafast", "veryslow", "0", "-3", "99", "bogus", ""};
constexpr const char* kAudioCodecs[] = {"", "aac", "libmp3lame", "flac", "libopus", "libvorbis",
                                        "pcm_s16le", "pcm_f32le", "libx264", "nosuchcodec"};

double fuzzRate(fuzz::Params& params) {
  switch (params.inRange<int>(0, 9)) {
    case 0: return 0.0;
    case 1: return -25.0;
    case 2: return std::numeric_limits<double>::quiet_NaN();
    case 3: return std::numeric_limits<double>::infinity();
    case 4: return 1e-9;
    case 5: return 29.97;
    default: return params.inRange<int>(1, 120);
  }
}

// A uint8 tensor whose bytes come from the input (zeros once it runs out).
Tensor bytesTensor(fuzz::Params& params, std::vector<int64_t> shape, DType dtype) {
  for (int64_t& d : shape) d = std::max<int64_t>(d, 0);
  Tensor t = Tensor::empty(shape, dtype);
  auto* p = static_cast<uint8_t*>(t.data());
  const size_t n = static_cast<size_t>(t.nbytes());
  if (n > 0 && p != nullptr) {
    const size_t got = params.bytes(p, n);
    std::memset(p + got, 0, n - got);
  }
  return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::initOnce();
  fuzz::Params params(data, size);
  const auto flags = params.any<uint8_t>();
  const std::string format = pick(params, kFormats);
  Encoder encoder((flags & 1) ? params.inRange<int>(1, 4) : 0);
  int video = -1;
  int audio = -1;
  int height = 0, width = 0, channels = 0;
  try {
    if (flags & 2) {
      VideoStreamOptions v;
      v.height = height = params.inRange<int>(-2, 66);
      v.width = width = params.inRange<int>(-2, 66);
      v.frameRate = fuzzRate(params);
      v.codec = pick(params, kVideoCodecs);
      v.pixelFormat = pick(params, kPixelFormats);
      if (flags & 4) v.crf = params.inRange<int>(-5, 70);
      if (flags & 8) v.preset = pick(params, kPresets);
      const int numOptions = params.inRange<int>(0, 2);
      for (int i = 0; i < numOptions; ++i) {
        const std::string name = pick(params, kOptionNames);
        v.extraOptions.emplace_back(name, params.text(12));
      }
      video = encoder.addVideo(std::move(v));
    }
    if (flags & 16 || video < 0) {
      AudioStreamOptions a;
      static constexpr int kRates[] = {8000, 16000, 22050, 44100, 48000, 1, 0, -8000};
      a.sampleRate = kRates[params.inRange<int>(0, 7)];
      a.numChannels = channels = params.inRange<int>(-1, 9);
      if (flags & 32) a.bitRate = params.inRange<int64_t>(-1, 600000);
      if (flags & 64) a.outSampleRate = kRates[params.inRange<int>(0, 7)];
      if (flags & 64) a.outNumChannels = params.inRange<int>(0, 3);
      a.codec = pick(params, kAudioCodecs);
      audio = encoder.addAudio(std::move(a));
    }
    auto sink = std::make_shared<MemorySink>();
    encoder.openSink(sink, format);
    const int chunks = params.inRange<int>(1, 3);
    double pts = 0;
    for (int c = 0; c < chunks; ++c) {
      if (video >= 0) {
        const auto layout = static_cast<FrameLayout>(params.inRange<int>(0, 2));
        const int64_t n = params.inRange<int>(0, 3);
        // Mostly the stream's own shape, sometimes a wrong one.
        const bool wrong = params.flag() && params.flag();
        const int64_t h = wrong ? params.inRange<int>(0, 70) : height;
        const int64_t w = wrong ? params.inRange<int>(0, 70) : width;
        const int64_t ch = wrong ? params.inRange<int>(1, 4) : 3;
        std::vector<int64_t> shape = layout == FrameLayout::NCHW   ? std::vector<int64_t>{n, ch, h, w}
                                     : layout == FrameLayout::NHWC ? std::vector<int64_t>{n, h, w, ch}
                                                                   : std::vector<int64_t>{n, h * 3 / 2, w};
        Tensor frames = bytesTensor(params, shape, DType::UInt8);
        std::vector<double> times;
        std::vector<bool> keys;
        if (flags & 128) {
          for (int64_t i = 0; i < n; ++i) {
            pts += params.inRange<int>(-1, 100) / 100.0;
            times.push_back(pts);
            keys.push_back(params.flag());
          }
        }
        encoder.addFrames(video, frames, layout, times, keys);
      }
      if (audio >= 0) {
        const int64_t numSamples = params.inRange<int>(0, 3000);
        const int64_t c2 = params.flag() ? std::max(channels, 0) : params.inRange<int>(0, 3);
        Tensor samples = bytesTensor(params, {c2, numSamples}, DType::Float32);
        encoder.addSamples(audio, samples);
      }
    }
    if (flags & 4) encoder.flush();
    encoder.close();
    Tensor out = sink->takeBytes();
    uint64_t sum = fuzz::touch(out);
    (void)sum;
  } catch (const Error&) {
  }
  return 0;
}

// AudioResampler refuses frames it cannot read or write safely, whatever
// the caller passes it (Note [Frames the converter reads]).
#include <gtest/gtest.h>

#include <functional>

#include "convert/AudioResampler.h"
#include "tensor/SampleBuffer.h"
#include "codecflow/Error.h"

using namespace codecflow;

namespace {

// A frame of `samples` float samples per channel, planar, all 0.25.
UniqueAVFrame makeFrame(int channels, int rate, int samples,
                        AVSampleFormat format = AV_SAMPLE_FMT_FLTP) {
  UniqueAVFrame frame = allocFrame();
  frame->format = format;
  frame->sample_rate = rate;
  frame->nb_samples = samples;
  av_channel_layout_default(&frame->ch_layout, channels);
  EXPECT_EQ(av_frame_get_buffer(frame.get(), 0), 0);
  int planes = av_sample_fmt_is_planar(format) ? channels : 1;
  int perPlane = av_sample_fmt_is_planar(format) ? samples : samples * channels;
  for (int p = 0; p < planes; ++p) {
    auto* data = reinterpret_cast<float*>(frame->extended_data[p]);
    for (int i = 0; i < perPlane; ++i) {
      data[i] = 0.25f;
    }
  }
  return frame;
}

ErrorKind kindOf(const std::function<void()>& call) {
  try {
    call();
  } catch (const Error& e) {
    return e.kind();
  }
  return ErrorKind::Runtime;  // no error: never the kind expected below
}

AVChannelLayout noLayout() { return AVChannelLayout{}; }

}  // namespace

TEST(AudioResampler, ConvertsFramesItWasSetUpFor) {
  UniqueAVFrame mono = makeFrame(1, 44100, 1152);
  AudioResampler resampler(mono.get(), 44100, noLayout());
  SampleBuffer out(1);
  resampler.convert(mono.get(), 0, out);
  resampler.flush(out);
  ASSERT_EQ(out.size(), 1152);
  EXPECT_EQ(out.end(0)[-1], 0.25f);
}

TEST(AudioResampler, RefusesAFrameWithMoreChannelsThanConfigured) {
  // A damaged MP3 can switch from mono to stereo mid-stream.
  UniqueAVFrame mono = makeFrame(1, 44100, 1152);
  UniqueAVFrame stereo = makeFrame(2, 44100, 1152);
  AudioResampler resampler(mono.get(), 44100, noLayout());
  SampleBuffer out(1);
  EXPECT_EQ(kindOf([&] { resampler.convert(stereo.get(), 0, out); }), ErrorKind::InvalidData);
  EXPECT_EQ(out.size(), 0);
  // Still usable for the frames it was made for.
  resampler.convert(mono.get(), 0, out);
  EXPECT_EQ(out.size(), 1152);
}

TEST(AudioResampler, RefusesAFrameWithFewerChannelsThanConfigured) {
  UniqueAVFrame stereo = makeFrame(2, 44100, 1152);
  UniqueAVFrame mono = makeFrame(1, 44100, 1152);
  AudioResampler resampler(stereo.get(), 44100, noLayout());
  SampleBuffer out(2);
  EXPECT_EQ(kindOf([&] { resampler.convert(mono.get(), 0, out); }), ErrorKind::InvalidData);
}

TEST(AudioResampler, RefusesAChangedRateOrFormat) {
  UniqueAVFrame first = makeFrame(1, 44100, 1152);
  UniqueAVFrame otherRate = makeFrame(1, 22050, 1152);
  UniqueAVFrame otherFormat = makeFrame(1, 44100, 1152, AV_SAMPLE_FMT_FLT);
  AudioResampler resampler(first.get(), 44100, noLayout());
  SampleBuffer out(1);
  EXPECT_EQ(kindOf([&] { resampler.convert(otherRate.get(), 0, out); }),
            ErrorKind::InvalidData);
  EXPECT_EQ(kindOf([&] { resampler.convert(otherFormat.get(), 0, out); }),
            ErrorKind::InvalidData);
}

TEST(AudioResampler, RefusesMoreSamplesThanTheFrameHolds) {
  UniqueAVFrame mono = makeFrame(1, 44100, 64);
  AudioResampler resampler(mono.get(), 48000, noLayout());
  mono->nb_samples = 1 << 20;  // far past the 64 samples allocated
  SampleBuffer out(1);
  EXPECT_EQ(kindOf([&] { resampler.convert(mono.get(), 0, out); }), ErrorKind::InvalidData);
}

TEST(AudioResampler, RefusesAnOutputBufferWithFewerChannels) {
  // Output in the input's (stereo) layout into a mono buffer would write a
  // second plane that does not exist.
  UniqueAVFrame stereo = makeFrame(2, 44100, 1152);
  AudioResampler resampler(stereo.get(), 44100, noLayout());
  SampleBuffer out(1);
  EXPECT_EQ(kindOf([&] { resampler.convert(stereo.get(), 0, out); }), ErrorKind::InvalidData);
  EXPECT_EQ(kindOf([&] { resampler.flush(out); }), ErrorKind::InvalidData);
}

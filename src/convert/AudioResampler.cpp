#include "convert/AudioResampler.h"

#include <algorithm>
#include <vector>

#include "codecflow/Error.h"
#include "convert/ConverterContexts.h"

namespace codecflow {

namespace {

std::string describeLayout(const AVChannelLayout& layout) {
  char text[128] = {0};
  if (av_channel_layout_describe(&layout, text, sizeof(text)) < 0) {
    return std::to_string(layout.nb_channels) + " channels";
  }
  return text;
}

}  // namespace

void checkResampleRatio(int inRate, int outRate) {
  const int64_t in = inRate;
  const int64_t out = outRate;
  if (in <= 0 || out <= 0 || in > kMaxResampleRatio * out || out > kMaxResampleRatio * in) {
    fail(ErrorKind::InvalidArgument,
         "cannot convert audio at " + std::to_string(inRate) + " Hz to " +
             std::to_string(outRate) + " Hz: sample rates must be > 0 and within a factor of " +
             std::to_string(kMaxResampleRatio) + " of each other");
  }
}

AVChannelLayout guessedLayout(const AVChannelLayout& layout) {
  AVChannelLayout out{};
  if (layout.order == AV_CHANNEL_ORDER_UNSPEC || layout.nb_channels <= 0) {
    av_channel_layout_default(&out, layout.nb_channels);
  } else if (av_channel_layout_copy(&out, &layout) < 0) {
    throw std::bad_alloc();
  }
  return out;
}

AudioResampler::AudioResampler(const AVFrame* frame, int outRate,
                               const AVChannelLayout& outLayout)
    : inFormat_(static_cast<AVSampleFormat>(frame->format)),
      inRate_(frame->sample_rate),
      outRate_(outRate) {
  checkResampleRatio(inRate_, outRate_);
  if (av_channel_layout_copy(&frameLayout_, &frame->ch_layout) < 0) {
    throw std::bad_alloc();
  }
  inLayout_ = guessedLayout(frame->ch_layout);
  outLayout_ = guessedLayout(outLayout.nb_channels > 0 ? outLayout : inLayout_);
  int rc = openResampler(swr_, outLayout_, AV_SAMPLE_FMT_FLTP, outRate_, inLayout_, inFormat_,
                         inRate_);
  if (rc < 0) {
    failFFmpeg(ErrorKind::InvalidArgument,
               "cannot convert audio of " + describeLayout(inLayout_) + " at " +
                   std::to_string(inRate_) + " Hz (" +
                   (av_get_sample_fmt_name(inFormat_) ? av_get_sample_fmt_name(inFormat_) : "?") +
                   ") to " + describeLayout(outLayout_) + " at " + std::to_string(outRate_) +
                   " Hz",
               rc);
  }
}

AudioResampler::~AudioResampler() {
  av_channel_layout_uninit(&frameLayout_);
  av_channel_layout_uninit(&inLayout_);
  av_channel_layout_uninit(&outLayout_);
}

bool AudioResampler::accepts(const AVFrame* frame) const {
  return frame->format == inFormat_ && frame->sample_rate == inRate_ &&
         av_channel_layout_compare(&frame->ch_layout, &frameLayout_) == 0;
}

int AudioResampler::run(const uint8_t** in, int count, SampleBuffer& out) {
  // swresample writes one plane per output channel: a buffer with fewer
  // would be written past its end.
  if (out.channels() != outLayout_.nb_channels) {
    fail(ErrorKind::InvalidData, "cannot convert audio to " +
                                     std::to_string(outLayout_.nb_channels) +
                                     " channels into a buffer of " +
                                     std::to_string(out.channels()) + " channels");
  }
  int capacity = swr_get_out_samples(swr_.get(), count);
  if (capacity < 0) {
    failFFmpeg(ErrorKind::Runtime, "swresample cannot size its output", capacity);
  }
  // Room for at least one flush chunk, so that a flush makes progress.
  capacity = std::max(capacity, 4096);
  out.reserve(out.size() + capacity);
  std::vector<uint8_t*> planes(static_cast<size_t>(out.channels()));
  for (int c = 0; c < out.channels(); ++c) {
    planes[c] = reinterpret_cast<uint8_t*>(out.end(c));
  }
  int produced = swr_convert(swr_.get(), planes.data(), capacity, in, count);
  if (produced < 0) {
    failFFmpeg(ErrorKind::Runtime, "could not convert audio samples", produced);
  }
  out.grow(produced);
  return produced;
}

void AudioResampler::convert(const AVFrame* frame, int offset, SampleBuffer& out) {
  checkFrame(frame, offset);
  int count = frame->nb_samples - offset;
  if (count <= 0) {
    return;
  }
  int bytes = av_get_bytes_per_sample(inFormat_);
  int channels = frame->ch_layout.nb_channels;
  std::vector<const uint8_t*> in;
  if (av_sample_fmt_is_planar(inFormat_)) {
    for (int c = 0; c < channels; ++c) {
      in.push_back(frame->extended_data[c] + static_cast<int64_t>(offset) * bytes);
    }
  } else {
    in.push_back(frame->extended_data[0] + static_cast<int64_t>(offset) * bytes * channels);
  }
  run(in.data(), count, out);
}

// Note [Frames the converter reads]
// swresample reads as many planes, and as many bytes per plane, as it was
// configured for and the sample count says, trusting both: a frame whose
// format, rate or channel layout differs from the configured ones (a
// damaged stream can switch mid-way), or whose planes hold fewer samples
// than nb_samples, would be read past its end. Such a frame is refused.
void AudioResampler::checkFrame(const AVFrame* frame, int offset) const {
  std::string problem;
  int channels = frame->ch_layout.nb_channels;
  if (!accepts(frame)) {
    problem = "a frame of " + std::to_string(channels) + " channels at " +
              std::to_string(frame->sample_rate) + " Hz (" +
              (av_get_sample_fmt_name(static_cast<AVSampleFormat>(frame->format))
                   ? av_get_sample_fmt_name(static_cast<AVSampleFormat>(frame->format))
                   : "?") +
              ") reached a converter set up for " + describeLayout(frameLayout_) + " at " +
              std::to_string(inRate_) + " Hz";
  } else if (frame->nb_samples < 0 || offset < 0 || channels <= 0 ||
             frame->extended_data == nullptr) {
    problem = "a frame has " + std::to_string(frame->nb_samples) + " samples";
  } else {
    bool planar = av_sample_fmt_is_planar(inFormat_) != 0;
    int64_t needed = static_cast<int64_t>(frame->nb_samples) *
                     av_get_bytes_per_sample(inFormat_) * (planar ? 1 : channels);
    int planes = planar ? channels : 1;
    for (int c = 0; c < planes && problem.empty(); ++c) {
      if (frame->extended_data[c] == nullptr) {
        problem = "a frame lacks the samples of channel " + std::to_string(c);
      }
    }
    if (problem.empty() && needed > frame->linesize[0]) {
      problem = "a frame of " + std::to_string(frame->nb_samples) + " samples holds only " +
                std::to_string(frame->linesize[0]) + " bytes per plane";
    }
  }
  if (!problem.empty()) {
    fail(ErrorKind::InvalidData, "invalid audio data: " + problem);
  }
}

void AudioResampler::flush(SampleBuffer& out) {
  while (run(nullptr, 0, out) > 0) {
  }
}

}  // namespace codecflow

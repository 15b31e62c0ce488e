#include "encode/AudioStreamEncoder.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <string>

#include "convert/AudioResampler.h"
#include "convert/ConverterContexts.h"
#include "encode/EncoderOptions.h"
#include "codecflow/Error.h"
#include "ffmpeg/Compat.h"

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/samplefmt.h>
}

namespace codecflow {

namespace {

// Float first (no conversion from the input), then the deepest integers.
constexpr std::array<AVSampleFormat, 6> kPreferredSampleFormats{
    AV_SAMPLE_FMT_FLTP, AV_SAMPLE_FMT_FLT, AV_SAMPLE_FMT_S32P,
    AV_SAMPLE_FMT_S32,  AV_SAMPLE_FMT_S16P, AV_SAMPLE_FMT_S16};

// PCM and similar codecs take frames of any size; send them this many.
constexpr int kDefaultChunk = 4096;
// Samples resampled per swr_convert call.
constexpr int64_t kResampleBlock = 1 << 16;

AVSampleFormat chooseSampleFormat(const AVCodec* codec) {
  const AVSampleFormat* supported = compat::supportedSampleFormats(codec);
  if (supported == nullptr || supported[0] == AV_SAMPLE_FMT_NONE) {
    return AV_SAMPLE_FMT_FLTP;
  }
  for (AVSampleFormat preferred : kPreferredSampleFormats) {
    for (int i = 0; supported[i] != AV_SAMPLE_FMT_NONE; ++i) {
      if (supported[i] == preferred) {
        return preferred;
      }
    }
  }
  return supported[0];
}

void checkSampleRate(const AVCodec* codec, int rate) {
  const int* rates = compat::supportedSampleRates(codec);
  if (rate <= 0) {
    fail(ErrorKind::InvalidArgument, "invalid sample rate=" + std::to_string(rate) +
                                         ": must be > 0");
  }
  if (rates == nullptr || rates[0] == 0) {
    return;
  }
  std::vector<std::string> names;
  for (int i = 0; rates[i] != 0; ++i) {
    if (rates[i] == rate) {
      return;
    }
    names.push_back(std::to_string(rates[i]));
  }
  fail(ErrorKind::InvalidArgument, "invalid sample rate=" + std::to_string(rate) +
                                       " for encoder " + codec->name +
                                       "; allowed: " + joinNames(names));
}

AVChannelLayout chooseLayout(const AVCodec* codec, int channels) {
  if (channels <= 0) {
    fail(ErrorKind::InvalidArgument,
         "invalid number of channels " + std::to_string(channels) + ": must be > 0");
  }
  const AVChannelLayout* layouts = compat::supportedChannelLayouts(codec);
  AVChannelLayout layout{};
  if (layouts == nullptr || layouts[0].nb_channels == 0) {
    av_channel_layout_default(&layout, channels);
    return layout;
  }
  std::vector<std::string> counts;
  for (int i = 0; layouts[i].nb_channels != 0; ++i) {
    if (layouts[i].nb_channels == channels) {
      av_channel_layout_copy(&layout, &layouts[i]);
      return layout;
    }
    std::string n = std::to_string(layouts[i].nb_channels);
    if (std::find(counts.begin(), counts.end(), n) == counts.end()) {
      counts.push_back(n);
    }
  }
  fail(ErrorKind::InvalidArgument, "Desired number of channels (" + std::to_string(channels) +
                                       ") is not supported by encoder " + codec->name +
                                       "; allowed: " + joinNames(counts));
}

// A frame of `samples` samples in the format, rate and channel layout of
// the encoder `c`, its buffers allocated; `what` names it in the error.
UniqueAVFrame allocAudioFrame(const AVCodecContext* c, int samples, const char* what) {
  UniqueAVFrame frame = allocFrame();
  frame->format = c->sample_fmt;
  frame->sample_rate = c->sample_rate;
  frame->nb_samples = samples;
  int rc = av_channel_layout_copy(&frame->ch_layout, &c->ch_layout);
  if (rc >= 0) {
    rc = av_frame_get_buffer(frame.get(), 0);
  }
  if (rc < 0) {
    failFFmpeg(ErrorKind::Runtime, std::string("could not allocate ") + what, rc);
  }
  return frame;
}

}  // namespace

AudioStreamEncoder::AudioStreamEncoder(const AudioStreamOptions& options, const Muxer& muxer,
                                       int index)
    : options_(options), index_(index) {
  if (options.sampleRate <= 0) {
    fail(ErrorKind::InvalidArgument,
         "invalid sample_rate=" + std::to_string(options.sampleRate) + ": must be > 0");
  }
  if (options.numChannels <= 0) {
    fail(ErrorKind::InvalidArgument,
         "invalid num_channels=" + std::to_string(options.numChannels) + ": must be > 0");
  }
  if (options.bitRate && *options.bitRate < 0) {
    fail(ErrorKind::InvalidArgument,
         "invalid bit_rate=" + std::to_string(*options.bitRate) + ": must be >= 0");
  }
  const AVCodec* codec = findEncoder(options.codec, AVMEDIA_TYPE_AUDIO, muxer.container());
  int outRate = options.outSampleRate.value_or(options.sampleRate);
  int outChannels = options.outNumChannels.value_or(options.numChannels);
  checkSampleRate(codec, outRate);
  checkResampleRatio(options.sampleRate, outRate);
  AVChannelLayout outLayout = chooseLayout(codec, outChannels);

  context_.reset(avcodec_alloc_context3(codec));
  if (!context_) {
    av_channel_layout_uninit(&outLayout);
    throw std::bad_alloc();
  }
  AVCodecContext* c = context_.get();
  c->sample_rate = outRate;
  c->sample_fmt = chooseSampleFormat(codec);
  av_channel_layout_copy(&c->ch_layout, &outLayout);
  av_channel_layout_uninit(&outLayout);
  c->time_base = AVRational{1, outRate};
  if (options.bitRate) {
    c->bit_rate = *options.bitRate;
  }
  if (c->sample_fmt == AV_SAMPLE_FMT_S32 || c->sample_fmt == AV_SAMPLE_FMT_S32P) {
    // FLAC and others encode 32-bit input as 24 bits unless told otherwise.
    c->bits_per_raw_sample = 24;
  }
  if (muxer.wantsGlobalHeader()) {
    c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  }
  openCodec("audio stream " + std::to_string(index));

  bool anySize = c->frame_size <= 0 || (codec->capabilities & AV_CODEC_CAP_VARIABLE_FRAME_SIZE);
  chunk_ = anySize ? kDefaultChunk : c->frame_size;

  AVChannelLayout inLayout{};
  av_channel_layout_default(&inLayout, options.numChannels);
  int rc = openResampler(resampler_, c->ch_layout, c->sample_fmt, c->sample_rate, inLayout,
                         AV_SAMPLE_FMT_FLTP, options.sampleRate);
  av_channel_layout_uninit(&inLayout);
  if (rc < 0) {
    failFFmpeg(ErrorKind::InvalidArgument, "cannot convert audio of " +
                                               std::to_string(options.numChannels) +
                                               " channels to " + std::to_string(outChannels),
               rc);
  }
  fifo_.reset(av_audio_fifo_alloc(c->sample_fmt, c->ch_layout.nb_channels, chunk_));
  if (!fifo_) {
    throw std::bad_alloc();
  }
}

void AudioStreamEncoder::check(const Tensor& samples) const {
  std::string where = "samples for audio stream " + std::to_string(index_);
  if (samples.dtype() != DType::Float32) {
    fail(ErrorKind::InvalidArgument,
         where + " must be float32, got " + dtypeName(samples.dtype()));
  }
  if (!samples.device().isCpu()) {
    fail(ErrorKind::InvalidArgument, where + " must be on the CPU");
  }
  if (samples.dim() != 2 || samples.size(0) != options_.numChannels) {
    fail(ErrorKind::InvalidArgument,
         where + " must be 2-D (num_channels=" + std::to_string(options_.numChannels) +
             ", num_samples), got " + std::to_string(samples.dim()) + "-D" +
             (samples.dim() >= 1 ? " with " + std::to_string(samples.size(0)) + " rows" : ""));
  }
  if (samples.size(1) > 1 && samples.strides()[1] != 1) {
    fail(ErrorKind::InvalidArgument, where + " must have contiguous channels (rows)");
  }
  // Non-finite samples make some encoders (libmp3lame) abort the process;
  // very loud ones make libmp3lame abort and the AAC encoder hang.
  const char* name = context_->codec->name;
  bool bounded = std::strcmp(name, "libmp3lame") == 0 || std::strcmp(name, "aac") == 0;
  checkFiniteSamples(samples, where,
                     bounded ? kMp3MaxSampleMagnitude : std::numeric_limits<float>::infinity());
}

void AudioStreamEncoder::resample(const uint8_t** input, int count) {
  AVCodecContext* c = context_.get();
  int capacity = swr_get_out_samples(resampler_.get(), count);
  if (capacity <= 0) {
    return;
  }
  if (!scratch_ || scratch_->nb_samples < capacity) {
    scratch_ = allocAudioFrame(c, capacity, "audio samples");
  }
  int produced = swr_convert(resampler_.get(), scratch_->extended_data, scratch_->nb_samples,
                             input, count);
  if (produced < 0) {
    failFFmpeg(ErrorKind::Runtime, "could not resample audio", produced);
  }
  if (produced > 0 &&
      av_audio_fifo_write(fifo_.get(), reinterpret_cast<void**>(scratch_->extended_data),
                          produced) < produced) {
    throw std::bad_alloc();
  }
}

std::vector<UniqueAVFrame> AudioStreamEncoder::convert(const Tensor& samples) {
  int64_t total = samples.size(1);
  int channels = options_.numChannels;
  std::vector<const uint8_t*> planes(channels);
  const auto* base = samples.dataAs<const float>();
  for (int64_t start = 0; start < total; start += kResampleBlock) {
    int64_t count = std::min(kResampleBlock, total - start);
    for (int ch = 0; ch < channels; ++ch) {
      planes[ch] = reinterpret_cast<const uint8_t*>(base + ch * samples.strides()[0] + start);
    }
    resample(planes.data(), static_cast<int>(count));
  }
  return takeFrames(false);
}

std::vector<UniqueAVFrame> AudioStreamEncoder::finish() {
  // Drain what the resampler holds back (its filter delay).
  while (true) {
    int before = av_audio_fifo_size(fifo_.get());
    resample(nullptr, 0);
    if (av_audio_fifo_size(fifo_.get()) == before) {
      break;
    }
  }
  return takeFrames(true);
}

std::vector<UniqueAVFrame> AudioStreamEncoder::takeFrames(bool final) {
  AVCodecContext* c = context_.get();
  bool wholeFrames = c->frame_size > 0 &&
                     !(c->codec->capabilities &
                       (AV_CODEC_CAP_SMALL_LAST_FRAME | AV_CODEC_CAP_VARIABLE_FRAME_SIZE));
  std::vector<UniqueAVFrame> frames;
  while (true) {
    int available = av_audio_fifo_size(fifo_.get());
    if (available == 0 || (available < chunk_ && !final)) {
      break;
    }
    int count = std::min(available, chunk_);
    UniqueAVFrame frame = allocAudioFrame(c, wholeFrames ? chunk_ : count, "an audio frame");
    if (frame->nb_samples > count) {
      av_samples_set_silence(frame->extended_data, count, frame->nb_samples - count,
                             c->ch_layout.nb_channels, c->sample_fmt);
    }
    av_audio_fifo_read(fifo_.get(), reinterpret_cast<void**>(frame->extended_data), count);
    frame->pts = samplesOut_;
    samplesOut_ += frame->nb_samples;
    frames.push_back(std::move(frame));
  }
  return frames;
}

EncoderInfo AudioStreamEncoder::info() const {
  EncoderInfo info;
  info.codec = context_->codec->name;
  info.sampleFormat = av_get_sample_fmt_name(context_->sample_fmt);
  info.frameSize = context_->frame_size;
  return info;
}

}  // namespace codecflow

// The one place for differences between supported FFmpeg versions (>= 5.1).
#pragma once

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/channel_layout.h>
#include <libavutil/display.h>
#include <libavformat/avformat.h>
}

namespace codecflow::compat {

// The buffer type of an AVIOContext's write callback (const since 7.0).
#if LIBAVFORMAT_VERSION_MAJOR >= 61
using AvioWriteData = const uint8_t*;
#else
using AvioWriteData = uint8_t*;
#endif

inline int channelCount(const AVCodecParameters* par) {
  return par->ch_layout.nb_channels;
}

inline int64_t frameDuration(const AVFrame* frame) {
#if LIBAVUTIL_VERSION_INT >= AV_VERSION_INT(58, 2, 100)
  return frame->duration;
#else
  return frame->pkt_duration;
#endif
}

// The display matrix of a stream, or nullptr. FFmpeg 6.1 moved stream side
// data into codecpar.
inline const int32_t* displayMatrix(const AVStream* stream) {
#if LIBAVFORMAT_VERSION_INT >= AV_VERSION_INT(60, 15, 100)
  const AVPacketSideData* sd = av_packet_side_data_get(
      stream->codecpar->coded_side_data, stream->codecpar->nb_coded_side_data,
      AV_PKT_DATA_DISPLAYMATRIX);
  return sd != nullptr ? reinterpret_cast<const int32_t*>(sd->data) : nullptr;
#else
  return reinterpret_cast<const int32_t*>(
      av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, nullptr));
#endif
}

// Encoders of FFmpeg < 6.1 read a frame's duration from ticks_per_frame
// (libvpx, libaom); later ones read AVFrame.duration.
inline void setTicksPerFrame(AVCodecContext* context, int ticks) {
#if LIBAVCODEC_VERSION_INT < AV_VERSION_INT(60, 12, 100)
  context->ticks_per_frame = ticks;
#else
  (void)context;
  (void)ticks;
#endif
}

inline void setFrameDuration(AVFrame* frame, int64_t duration) {
#if LIBAVUTIL_VERSION_INT >= AV_VERSION_INT(58, 2, 100)
  frame->duration = duration;
#else
  frame->pkt_duration = duration;
#endif
}

// What an encoder supports; nullptr (or an empty list) when it accepts
// anything.
inline const AVPixelFormat* supportedPixelFormats(const AVCodec* codec) {
  return codec->pix_fmts;
}
inline const AVSampleFormat* supportedSampleFormats(const AVCodec* codec) {
  return codec->sample_fmts;
}
inline const int* supportedSampleRates(const AVCodec* codec) {
  return codec->supported_samplerates;
}
inline const AVChannelLayout* supportedChannelLayouts(const AVCodec* codec) {
  return codec->ch_layouts;
}

}  // namespace codecflow::compat

// Owning pointers for every FFmpeg object the core uses. Each alias frees
// its object with the matching FFmpeg function; a function that takes one
// by value takes ownership.
#pragma once

#include <memory>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavformat/avio.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/frame.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
}

namespace codecflow {

namespace detail {
struct FrameDeleter {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct PacketDeleter {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct CodecContextDeleter {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
// A demuxing context is closed with avformat_close_input, which also frees
// the AVIOContext only when FFmpeg opened it itself (not a custom one).
struct InputFormatDeleter {
  void operator()(AVFormatContext* f) const { avformat_close_input(&f); }
};
// A muxing context is freed with avformat_free_context; its pb is closed by
// the owner before, since custom and file AVIO are closed differently.
struct OutputFormatDeleter {
  void operator()(AVFormatContext* f) const { avformat_free_context(f); }
};
struct AvioDeleter {
  void operator()(AVIOContext* c) const {
    if (c != nullptr) {
      av_freep(&c->buffer);
    }
    avio_context_free(&c);
  }
};
struct AudioFifoDeleter {
  void operator()(AVAudioFifo* f) const { av_audio_fifo_free(f); }
};
struct SwsDeleter {
  void operator()(SwsContext* s) const { sws_freeContext(s); }
};
struct SwrDeleter {
  void operator()(SwrContext* s) const { swr_free(&s); }
};
struct BufferRefDeleter {
  void operator()(AVBufferRef* b) const { av_buffer_unref(&b); }
};
struct DictionaryDeleter {
  void operator()(AVDictionary* d) const { av_dict_free(&d); }
};
}  // namespace detail

using UniqueAVFrame = std::unique_ptr<AVFrame, detail::FrameDeleter>;
using UniqueAVPacket = std::unique_ptr<AVPacket, detail::PacketDeleter>;
using UniqueAVCodecContext = std::unique_ptr<AVCodecContext, detail::CodecContextDeleter>;
using UniqueDemuxContext = std::unique_ptr<AVFormatContext, detail::InputFormatDeleter>;
using UniqueMuxContext = std::unique_ptr<AVFormatContext, detail::OutputFormatDeleter>;
using UniqueAVIOContext = std::unique_ptr<AVIOContext, detail::AvioDeleter>;
using UniqueAVAudioFifo = std::unique_ptr<AVAudioFifo, detail::AudioFifoDeleter>;
using UniqueSwsContext = std::unique_ptr<SwsContext, detail::SwsDeleter>;
using UniqueSwrContext = std::unique_ptr<SwrContext, detail::SwrDeleter>;
using UniqueAVBufferRef = std::unique_ptr<AVBufferRef, detail::BufferRefDeleter>;
using UniqueAVDictionary = std::unique_ptr<AVDictionary, detail::DictionaryDeleter>;

UniqueAVFrame allocFrame();
UniqueAVPacket allocPacket();

// Unreferences a packet when the scope ends, so that one allocated packet
// can be reused by every iteration of a read loop.
class PacketRef {
 public:
  explicit PacketRef(AVPacket* packet) : packet_(packet) {}
  ~PacketRef() { av_packet_unref(packet_); }
  PacketRef(const PacketRef&) = delete;
  PacketRef& operator=(const PacketRef&) = delete;

 private:
  AVPacket* packet_;
};

}  // namespace codecflow

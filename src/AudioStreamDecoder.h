// The send/receive state machine of one audio stream's decoder.
//
// Packets go to libavcodec untouched, so that it applies what the container
// says about encoder delay and padding (skip-samples side data, edit lists,
// initial padding) exactly as the ffmpeg CLI's decoding does.
#pragma once

#include <cstdint>

#include "Demuxer.h"
#include "ffmpeg/FFmpeg.h"

namespace codecflow {

class AudioStreamDecoder {
 public:
  AudioStreamDecoder(Demuxer& demuxer, int streamIndex);

  AVCodecContext* codec() const { return codec_.get(); }

  // The next decoded frame, into `frame` (unreferenced first); false at the
  // end of the stream. Damaged packets are skipped, as the CLI does.
  bool next(AVFrame* frame);

  // Moves the demuxer so that decoding resumes at a packet at or before
  // `timestamp` (stream time base) and drops the decoder's state.
  void seek(int64_t timestamp);

 private:
  // Sends the next packet of the stream, or the end of stream.
  void feed();

  Demuxer& demuxer_;
  int streamIndex_;
  UniqueAVCodecContext codec_;
  UniqueAVPacket packet_;
  bool sentEof_ = false;
  bool decoderEof_ = false;
};

// A frame's presentation time (stream time base), or AV_NOPTS_VALUE.
int64_t framePts(const AVFrame* frame);

}  // namespace codecflow

// One audio stream's decoder over the packet -> frame loop of
// PacketDecoder.h (damaged packets: Note [Damaged packets] there).
//
// Packets go to libavcodec untouched, so that it applies what the container
// says about encoder delay and padding (skip-samples side data, edit lists,
// initial padding) exactly as the ffmpeg CLI's decoding does.
#pragma once

#include <cstdint>

#include "decode/PacketDecoder.h"
#include "demux/Demuxer.h"
#include "ffmpeg/FFmpeg.h"

namespace codecflow {

class AudioStreamDecoder {
 public:
  AudioStreamDecoder(Demuxer& demuxer, int streamIndex);

  AVCodecContext* codec() const { return loop_.codec(); }

  // The next decoded frame, into `frame` (unreferenced first); false at the
  // end of the stream. Throws InvalidData for a damaged packet mid-stream.
  // Frames' times: framePts(frame) (PtsRule::PtsFirst).
  bool next(AVFrame* frame);

  // Moves the demuxer so that decoding resumes at a packet at or before
  // `timestamp` (stream time base) and drops the decoder's state.
  void seek(int64_t timestamp) { loop_.seek(timestamp); }

 private:
  PacketDecoder loop_;
};

}  // namespace codecflow

// The send/receive state machine of one video stream's decoder, with a
// one-frame lookahead so that "the frame shown at t" can be answered
// without losing the frame after it.
#pragma once

#include <cstdint>

#include "Demuxer.h"
#include "ffmpeg/FFmpeg.h"

namespace codecflow {

class VideoStreamDecoder {
 public:
  VideoStreamDecoder(Demuxer& demuxer, int streamIndex, int numThreads);

  AVCodecContext* codec() const { return codec_.get(); }

  // Drops all decoder state and moves the demuxer so that decoding resumes
  // at a key frame at or before `timestamp`.
  void seek(int64_t timestamp);

  // The frame most recently consumed (nullptr before any), and its pts.
  const AVFrame* current() const { return hasCurrent_ ? current_.get() : nullptr; }
  int64_t currentPts() const { return currentPts_; }
  bool started() const { return started_; }

  // The pts of the next frame without consuming it; false at the end.
  bool peekPts(int64_t& pts);
  // Consumes the next frame into current(); false at the end.
  bool advance();

 private:
  bool receive(AVFrame* frame);
  int64_t ptsOf(const AVFrame* frame) const;

  Demuxer& demuxer_;
  int streamIndex_;
  UniqueAVCodecContext codec_;
  UniqueAVPacket packet_;
  UniqueAVFrame current_;
  UniqueAVFrame pending_;
  bool hasCurrent_ = false;
  bool hasPending_ = false;
  int64_t currentPts_ = INT64_MIN;
  int64_t pendingPts_ = INT64_MIN;
  bool started_ = false;
  bool sentEof_ = false;
  bool decoderEof_ = false;
};

}  // namespace codecflow

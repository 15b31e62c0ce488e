// One encoded stream: a codec context and the send → receive loop that
// turns frames into packets for the Muxer. VideoStreamEncoder and
// AudioStreamEncoder prepare the frames; this class encodes them.
#pragma once

#include <cstdint>
#include <string>

#include "encode/Muxer.h"
#include "ffmpeg/FFmpeg.h"

namespace codecflow {

class StreamEncoder {
 public:
  virtual ~StreamEncoder() = default;
  StreamEncoder(const StreamEncoder&) = delete;
  StreamEncoder& operator=(const StreamEncoder&) = delete;

  AVCodecContext* context() const { return context_.get(); }
  int streamIndex() const { return streamIndex_; }
  // Adds this stream to the muxer (after the codec was opened).
  void attach(Muxer& muxer);

  // Sends `frame` (nullptr: drain) and writes every packet the codec
  // returns to the muxer. The frame's buffers may be reused once this
  // returns.
  void encode(AVFrame* frame);

 protected:
  StreamEncoder() = default;
  // Opens the codec with the options set so far; throws InvalidArgument
  // with the encoder's own message when it refuses them.
  void openCodec(const std::string& what);

  UniqueAVCodecContext context_;
  // Duration given to packets the codec leaves without one, in its time
  // base.
  int64_t packetDuration_ = 0;

 private:
  // Gives a packet whose decode time stamp cannot be right the one the
  // ffmpeg CLI's files have there: its pts.
  void checkDts(AVPacket* packet) const;

  Muxer* muxer_ = nullptr;
  // The smallest and largest pts sent to the codec so far (INT64_MIN:
  // none yet), and the dts of the last packet written.
  int64_t firstPts_ = INT64_MIN;
  int64_t lastPts_ = INT64_MIN;
  int64_t lastDts_ = INT64_MIN;
  int streamIndex_ = -1;
  UniqueAVPacket packet_ = allocPacket();
};

}  // namespace codecflow

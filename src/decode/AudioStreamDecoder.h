// The send/receive state machine of one audio stream's decoder.
//
// Packets go to libavcodec untouched, so that it applies what the container
// says about encoder delay and padding (skip-samples side data, edit lists,
// initial padding) exactly as the ffmpeg CLI's decoding does.
//
// Note [Damaged packets]
// A packet FFmpeg's decoder rejects (any error from avcodec_send_packet or
// avcodec_receive_frame but EAGAIN, EOF and ENOMEM; mostly
// AVERROR_INVALIDDATA) in the middle of a stream means corrupt input:
// InvalidData, naming the packet's time in seconds, as TorchCodec raises.
// Two cases are tolerated, the packet skipped as the ffmpeg CLI skips it:
// packets right after a seek,
// until the first frame decodes (a decoder that starts mid-stream may lack
// what the skipped part held), and the stream's last packet, the partial
// one of a file that simply ends early (the samples before the cut are
// returned, as the CLI does).
#pragma once

#include <cstdint>

#include "demux/Demuxer.h"
#include "ffmpeg/FFmpeg.h"

namespace codecflow {

class AudioStreamDecoder {
 public:
  AudioStreamDecoder(Demuxer& demuxer, int streamIndex);

  AVCodecContext* codec() const { return codec_.get(); }

  // The next decoded frame, into `frame` (unreferenced first); false at the
  // end of the stream. Throws InvalidData for a damaged packet mid-stream
  // (Note [Damaged packets]).
  bool next(AVFrame* frame);

  // Moves the demuxer so that decoding resumes at a packet at or before
  // `timestamp` (stream time base) and drops the decoder's state.
  void seek(int64_t timestamp);

 private:
  // Sends the next packet of the stream, or the end of stream.
  void feed();
  // The next packet of this stream into packet_ (the one peeked at first);
  // false at the end.
  bool readPacket();
  // Whether the stream has another packet (read ahead, kept for later).
  bool hasMorePackets();
  // Note [Damaged packets]: returns when the error is tolerated, throws
  // otherwise.
  void onDamagedPacket(int averror);

  Demuxer& demuxer_;
  int streamIndex_;
  UniqueAVCodecContext codec_;
  UniqueAVPacket packet_;
  UniqueAVPacket ahead_;  // a packet read ahead by hasMorePackets()
  bool hasAhead_ = false;
  int64_t lastPts_ = AV_NOPTS_VALUE;  // of the last packet sent
  bool sentEof_ = false;
  bool decoderEof_ = false;
  bool afterSeek_ = false;  // no frame decoded since the last seek
};

// A frame's presentation time (stream time base), or AV_NOPTS_VALUE.
int64_t framePts(const AVFrame* frame);

}  // namespace codecflow

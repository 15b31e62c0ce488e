// The one packet -> frame loop of libavcodec's send/receive API, shared by
// the audio and the video stream decoders: reads this stream's packets from
// the demuxer, sends them, receives frames, drains at the end, and applies
// the rule for damaged packets.
//
// Note [Damaged packets]
// A packet FFmpeg's decoder rejects (any error from avcodec_send_packet or
// avcodec_receive_frame but EAGAIN, EOF and ENOMEM; mostly
// AVERROR_INVALIDDATA) in the middle of a stream means corrupt input:
// InvalidData, naming the packet's time in seconds, as TorchCodec raises.
// Two cases are tolerated, the packet skipped as the ffmpeg CLI skips it:
// packets right after a seek, until the first frame decodes (a decoder that
// starts mid-stream may lack what the skipped part held), and the stream's
// last packet, the partial one of a file that simply ends early (the frames
// before the cut are returned, as the CLI does). To tell the last packet
// from the others the loop reads one packet ahead, kept for the next send.
#pragma once

#include <cstdint>
#include <functional>

#include "demux/Demuxer.h"
#include "ffmpeg/FFmpeg.h"

namespace codecflow {

// Which of a decoded frame's timestamps a stream reads as its pts.
enum class PtsRule {
  PtsFirst,         // frame->pts, else best_effort_timestamp (audio)
  BestEffortFirst,  // best_effort_timestamp, else frame->pts (video)
};

// A frame's presentation time (stream time base) under `rule`, or
// AV_NOPTS_VALUE.
int64_t framePts(const AVFrame* frame, PtsRule rule = PtsRule::PtsFirst);

class PacketDecoder {
 public:
  // `mediaName` ("audio", "video") names the stream in errors. Only this
  // stream's packets are used; the codec context is set with setCodec().
  PacketDecoder(Demuxer& demuxer, int streamIndex, const char* mediaName);

  void setCodec(UniqueAVCodecContext codec) { codec_ = std::move(codec); }
  AVCodecContext* codec() const { return codec_.get(); }
  // Gives the context up (a device keeps it for reuse); the loop is unusable
  // afterwards.
  UniqueAVCodecContext takeCodec() { return std::move(codec_); }

  // Called with each packet just before it is sent (the video decoder sets
  // the context's skip_frame per packet).
  void beforeSend(std::function<void(AVCodecContext*, const AVPacket*)> hook) {
    beforeSend_ = std::move(hook);
  }

  // The next decoded frame into `frame`; false at the end of the stream.
  // Throws InvalidData for a damaged packet mid-stream (Note [Damaged
  // packets]).
  bool receive(AVFrame* frame);

  // Moves the demuxer so that decoding resumes at a packet at or before
  // `timestamp` (stream time base) and drops the decoder's state.
  void seek(int64_t timestamp);

  // Drops the decoder's state without moving the demuxer.
  void flush();

 private:
  // Sends the next packet of the stream, or the end of stream.
  void feed();
  // The next packet of this stream into packet_ (the one read ahead first);
  // false at the end.
  bool readPacket();
  // Whether the stream has another packet (read ahead, kept for later).
  bool hasMorePackets();
  // Note [Damaged packets]: returns when the error is tolerated, throws
  // otherwise.
  void onDamagedPacket(int averror);

  Demuxer& demuxer_;
  int streamIndex_;
  const char* mediaName_;
  UniqueAVCodecContext codec_;
  UniqueAVPacket packet_;
  UniqueAVPacket ahead_;  // a packet read ahead by hasMorePackets()
  bool hasAhead_ = false;
  int64_t lastPts_ = AV_NOPTS_VALUE;  // of the last packet sent
  bool sentEof_ = false;
  bool decoderEof_ = false;
  bool afterSeek_ = false;  // no frame decoded since the last seek
  std::function<void(AVCodecContext*, const AVPacket*)> beforeSend_;
};

}  // namespace codecflow

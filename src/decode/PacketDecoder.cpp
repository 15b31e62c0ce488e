#include "decode/PacketDecoder.h"

#include <cstdio>
#include <new>
#include <string>

#include "codecflow/Error.h"

namespace codecflow {

int64_t framePts(const AVFrame* frame, PtsRule rule) {
  if (rule == PtsRule::PtsFirst) {
    return frame->pts != AV_NOPTS_VALUE ? frame->pts : frame->best_effort_timestamp;
  }
  return frame->best_effort_timestamp != AV_NOPTS_VALUE ? frame->best_effort_timestamp
                                                        : frame->pts;
}

PacketDecoder::PacketDecoder(Demuxer& demuxer, int streamIndex, const char* mediaName)
    : demuxer_(demuxer),
      streamIndex_(streamIndex),
      mediaName_(mediaName),
      packet_(allocPacket()),
      ahead_(allocPacket()) {}

bool PacketDecoder::readPacket() {
  if (hasAhead_) {
    av_packet_move_ref(packet_.get(), ahead_.get());
    hasAhead_ = false;
    return true;
  }
  while (demuxer_.readPacket(packet_.get())) {
    if (packet_->stream_index == streamIndex_) {
      return true;
    }
    av_packet_unref(packet_.get());
  }
  return false;
}

bool PacketDecoder::hasMorePackets() {
  if (!hasAhead_) {
    while (demuxer_.readPacket(ahead_.get())) {
      if (ahead_->stream_index == streamIndex_) {
        hasAhead_ = true;
        break;
      }
      av_packet_unref(ahead_.get());
    }
  }
  return hasAhead_;
}

void PacketDecoder::onDamagedPacket(int averror) {
  if (averror == AVERROR(ENOMEM)) {
    throw std::bad_alloc();
  }
  // Note [Damaged packets]
  if (afterSeek_ || sentEof_ || !hasMorePackets()) {
    return;
  }
  std::string where;
  if (lastPts_ != AV_NOPTS_VALUE) {
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.6f",
                  static_cast<double>(lastPts_) * av_q2d(demuxer_.stream(streamIndex_)->time_base));
    where = " at " + std::string(seconds) + " s";
  }
  const std::string media = mediaName_;
  failFFmpeg(ErrorKind::InvalidData,
             "corrupt " + media + " data: FFmpeg rejected the packet" + where + " of " + media +
                 " stream " + std::to_string(streamIndex_) + " of '" +
                 demuxer_.source().description() + "' in the middle of the stream",
             averror);
}

void PacketDecoder::feed() {
  if (!readPacket()) {
    avcodec_send_packet(codec_.get(), nullptr);
    sentEof_ = true;
    return;
  }
  PacketRef unref(packet_.get());
  if (beforeSend_) {
    beforeSend_(codec_.get(), packet_.get());
  }
  lastPts_ = packet_->pts;
  int rc = avcodec_send_packet(codec_.get(), packet_.get());
  if (rc < 0) {
    // Skipped where tolerated; a frame it should have produced is then
    // reported missing by the caller.
    onDamagedPacket(rc);
  }
}

bool PacketDecoder::receive(AVFrame* frame) {
  while (!decoderEof_) {
    int rc = avcodec_receive_frame(codec_.get(), frame);
    if (rc == 0) {
      afterSeek_ = false;
      return true;
    }
    if (rc == AVERROR_EOF) {
      decoderEof_ = true;
      break;
    }
    if (rc != AVERROR(EAGAIN)) {
      onDamagedPacket(rc);  // a damaged frame the decoder held back (frame threads)
      continue;
    }
    if (sentEof_) {
      // A drained decoder that still wants input has nothing more to give.
      decoderEof_ = true;
      break;
    }
    feed();
  }
  return false;
}

void PacketDecoder::seek(int64_t timestamp) {
  av_packet_unref(ahead_.get());
  hasAhead_ = false;
  afterSeek_ = true;
  demuxer_.seekBackward(streamIndex_, timestamp);
  avcodec_flush_buffers(codec_.get());
  sentEof_ = decoderEof_ = false;
}

void PacketDecoder::flush() { avcodec_flush_buffers(codec_.get()); }

}  // namespace codecflow

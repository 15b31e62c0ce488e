#include "decode/AudioStreamDecoder.h"

#include <cstdio>
#include <new>
#include <string>

#include "decode/DecoderContext.h"

#include "codecflow/Error.h"

namespace codecflow {

int64_t framePts(const AVFrame* frame) {
  return frame->pts != AV_NOPTS_VALUE ? frame->pts : frame->best_effort_timestamp;
}

AudioStreamDecoder::AudioStreamDecoder(Demuxer& demuxer, int streamIndex)
    : demuxer_(demuxer), streamIndex_(streamIndex), packet_(allocPacket()), ahead_(allocPacket()) {
  AVFormatContext* format = demuxer.format();
  // Only this stream's packets are needed: the demuxer may skip the others.
  for (unsigned i = 0; i < format->nb_streams; ++i) {
    format->streams[i]->discard =
        static_cast<int>(i) == streamIndex ? AVDISCARD_DEFAULT : AVDISCARD_ALL;
  }
  codec_ = allocDecoderContext(demuxer, streamIndex);
  openDecoderContext(codec_.get(), demuxer);
}

bool AudioStreamDecoder::readPacket() {
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

bool AudioStreamDecoder::hasMorePackets() {
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

void AudioStreamDecoder::onDamagedPacket(int averror) {
  if (averror == AVERROR(ENOMEM)) {
    throw std::bad_alloc();
  }
  // Note [Damaged packets]
  if (afterSeek_ || sentEof_ || !hasMorePackets()) {
    return;
  }
  std::string where;
  const AVStream* stream = demuxer_.stream(streamIndex_);
  if (lastPts_ != AV_NOPTS_VALUE) {
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.6f",
                  static_cast<double>(lastPts_) * av_q2d(stream->time_base));
    where = " at " + std::string(seconds) + " s";
  }
  failFFmpeg(ErrorKind::InvalidData,
             "corrupt audio data: FFmpeg rejected the packet" + where + " of audio stream " +
                 std::to_string(streamIndex_) + " of '" + demuxer_.source().description() +
                 "' in the middle of the stream",
             averror);
}

void AudioStreamDecoder::feed() {
  if (!readPacket()) {
    avcodec_send_packet(codec_.get(), nullptr);
    sentEof_ = true;
    return;
  }
  PacketRef unref(packet_.get());
  lastPts_ = packet_->pts;
  int rc = avcodec_send_packet(codec_.get(), packet_.get());
  if (rc < 0) {
    onDamagedPacket(rc);  // skipped when tolerated
  }
}

bool AudioStreamDecoder::next(AVFrame* frame) {
  av_frame_unref(frame);
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
      onDamagedPacket(rc);  // a damaged frame the decoder held back
      continue;
    }
    if (sentEof_) {
      decoderEof_ = true;
      break;
    }
    feed();
  }
  return false;
}

void AudioStreamDecoder::seek(int64_t timestamp) {
  av_packet_unref(ahead_.get());
  hasAhead_ = false;
  demuxer_.seekBackward(streamIndex_, timestamp);
  avcodec_flush_buffers(codec_.get());
  sentEof_ = decoderEof_ = false;
  afterSeek_ = true;
}

}  // namespace codecflow

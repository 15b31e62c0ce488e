#include "decode/VideoStreamDecoder.h"

#include <algorithm>
#include <cstdio>
#include <new>
#include <string>

#include "decode/DecoderContext.h"

#include "codecflow/Error.h"

namespace codecflow {

VideoStreamDecoder::VideoStreamDecoder(Demuxer& demuxer, int streamIndex, int numThreads,
                                       std::shared_ptr<CodecOpener> opener,
                                       const FfmpegOptions& codecOptions)
    : demuxer_(demuxer),
      streamIndex_(streamIndex),
      numThreads_(numThreads),
      opener_(std::move(opener)),
      packet_(allocPacket()),
      ahead_(allocPacket()),
      current_(allocFrame()),
      pending_(allocFrame()) {
  const AVStream* stream = demuxer.stream(streamIndex);
  if (opener_ && codecOptions.empty()) {
    codec_ = opener_->reuse(stream, numThreads);
    if (codec_) {
      return;
    }
  }
  codec_ = allocDecoderContext(demuxer, streamIndex);
  codec_->thread_count = numThreads;
  if (opener_) {
    opener_->configure(codec_.get());
  }
  openDecoderContext(codec_.get(), demuxer, codecOptions);
  baseDiscard_ = codec_->skip_frame;
}

void VideoStreamDecoder::setKeyFramesOnly(bool on) {
  keyFramesOnly_ = on;
  if (!on) {
    avcodec_flush_buffers(codec_.get());
    av_frame_unref(current_.get());
    av_frame_unref(pending_.get());
    hasCurrent_ = hasPending_ = false;
    currentPts_ = pendingPts_ = INT64_MIN;
  }
}

VideoStreamDecoder::~VideoStreamDecoder() {
  if (opener_ && codec_) {
    avcodec_flush_buffers(codec_.get());
    opener_->release(demuxer_.stream(streamIndex_), numThreads_, std::move(codec_));
  }
}

int64_t VideoStreamDecoder::ptsOf(const AVFrame* frame) {
  int64_t number = framesOut_++;
  int64_t pts = frame->best_effort_timestamp != AV_NOPTS_VALUE ? frame->best_effort_timestamp
                                                                : frame->pts;
  if (pts == AV_NOPTS_VALUE && numberedDuration_ > 0) {
    pts = number * numberedDuration_;
  }
  return pts;
}

void VideoStreamDecoder::seek(int64_t timestamp) {
  av_packet_unref(ahead_.get());
  hasAhead_ = false;
  afterSeek_ = true;
  demuxer_.seekBackward(streamIndex_, timestamp);
  avcodec_flush_buffers(codec_.get());
  av_frame_unref(current_.get());
  av_frame_unref(pending_.get());
  hasCurrent_ = hasPending_ = false;
  currentPts_ = pendingPts_ = INT64_MIN;
  sentEof_ = decoderEof_ = false;
  framesOut_ = 0;
}

bool VideoStreamDecoder::readPacket() {
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

void VideoStreamDecoder::onDamagedPacket(int averror) {
  if (averror == AVERROR(ENOMEM)) {
    throw std::bad_alloc();
  }
  if (afterSeek_ || sentEof_) {
    return;
  }
  while (!hasAhead_ && demuxer_.readPacket(ahead_.get())) {
    hasAhead_ = ahead_->stream_index == streamIndex_;
    if (!hasAhead_) {
      av_packet_unref(ahead_.get());
    }
  }
  if (!hasAhead_) {
    return;  // the last packet: a file cut short
  }
  std::string where;
  if (lastPts_ != AV_NOPTS_VALUE) {
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.6f",
                  static_cast<double>(lastPts_) * av_q2d(demuxer_.stream(streamIndex_)->time_base));
    where = " at " + std::string(seconds) + " s";
  }
  failFFmpeg(ErrorKind::InvalidData,
             "corrupt video data: FFmpeg rejected the packet" + where + " of video stream " +
                 std::to_string(streamIndex_) + " of '" + demuxer_.source().description() +
                 "' in the middle of the stream",
             averror);
}

bool VideoStreamDecoder::receive(AVFrame* frame) {
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
      onDamagedPacket(rc);  // reported late by frame threads
      continue;
    }
    if (sentEof_) {
      // A drained decoder that still wants input has nothing more to give.
      decoderEof_ = true;
      break;
    }
    // Feed the next packet of our stream; at the end, start draining.
    if (!readPacket()) {
      avcodec_send_packet(codec_.get(), nullptr);
      sentEof_ = true;
      continue;
    }
    PacketRef unref(packet_.get());
    // Read per packet, also by frame threads (copied at each submission).
    bool skippable = packet_->pts != AV_NOPTS_VALUE && packet_->pts < skipBefore_;
    AVDiscard base = keyFramesOnly_ ? AVDISCARD_NONKEY : baseDiscard_;
    codec_->skip_frame = skippable ? std::max(AVDISCARD_NONREF, base) : base;
    lastPts_ = packet_->pts;
    rc = avcodec_send_packet(codec_.get(), packet_.get());
    if (rc < 0) {
      // Skipped where tolerated; a frame it should have produced is then
      // reported missing by the caller.
      onDamagedPacket(rc);
    }
  }
  return false;
}

bool VideoStreamDecoder::peekPts(int64_t& pts) {
  if (!hasPending_) {
    if (!receive(pending_.get())) {
      return false;
    }
    hasPending_ = true;
    pendingPts_ = ptsOf(pending_.get());
  }
  pts = pendingPts_;
  return true;
}

bool VideoStreamDecoder::advance() {
  int64_t pts = 0;
  if (!peekPts(pts)) {
    return false;
  }
  av_frame_unref(current_.get());
  av_frame_move_ref(current_.get(), pending_.get());
  hasCurrent_ = true;
  hasPending_ = false;
  currentPts_ = pts;
  return true;
}

}  // namespace codecflow

#include "VideoStreamDecoder.h"

#include <algorithm>

#include "DecoderContext.h"

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

int64_t VideoStreamDecoder::ptsOf(const AVFrame* frame) const {
  return frame->best_effort_timestamp != AV_NOPTS_VALUE ? frame->best_effort_timestamp
                                                         : frame->pts;
}

void VideoStreamDecoder::seek(int64_t timestamp) {
  demuxer_.seekBackward(streamIndex_, timestamp);
  avcodec_flush_buffers(codec_.get());
  av_frame_unref(current_.get());
  av_frame_unref(pending_.get());
  hasCurrent_ = hasPending_ = false;
  currentPts_ = pendingPts_ = INT64_MIN;
  sentEof_ = decoderEof_ = false;
}

bool VideoStreamDecoder::receive(AVFrame* frame) {
  while (!decoderEof_) {
    int rc = avcodec_receive_frame(codec_.get(), frame);
    if (rc == 0) {
      return true;
    }
    if (rc == AVERROR_EOF) {
      decoderEof_ = true;
      break;
    }
    if (rc != AVERROR(EAGAIN)) {
      failFFmpeg(ErrorKind::InvalidData,
                 "could not decode a frame of '" + demuxer_.source().description() + "'", rc);
    }
    if (sentEof_) {
      // A drained decoder that still wants input has nothing more to give.
      decoderEof_ = true;
      break;
    }
    // Feed the next packet of our stream; at the end, start draining.
    bool fed = false;
    while (!fed) {
      if (!demuxer_.readPacket(packet_.get())) {
        avcodec_send_packet(codec_.get(), nullptr);
        sentEof_ = true;
        break;
      }
      PacketRef unref(packet_.get());
      if (packet_->stream_index != streamIndex_) {
        continue;
      }
      // Read per packet, also by frame threads (copied at each submission).
      bool skippable = packet_->pts != AV_NOPTS_VALUE && packet_->pts < skipBefore_;
      AVDiscard base = keyFramesOnly_ ? AVDISCARD_NONKEY : baseDiscard_;
      codec_->skip_frame = skippable ? std::max(AVDISCARD_NONREF, base) : base;
      rc = avcodec_send_packet(codec_.get(), packet_.get());
      // A damaged packet is skipped, as the ffmpeg CLI does; a frame it
      // should have produced is then reported missing by the caller.
      fed = rc >= 0 || rc == AVERROR_INVALIDDATA;
      if (rc < 0 && rc != AVERROR_INVALIDDATA) {
        failFFmpeg(ErrorKind::InvalidData,
                   "could not decode a packet of '" + demuxer_.source().description() + "'",
                   rc);
      }
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

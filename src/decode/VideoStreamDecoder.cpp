#include "decode/VideoStreamDecoder.h"

#include <algorithm>

#include "decode/DecoderContext.h"

namespace codecflow {

VideoStreamDecoder::VideoStreamDecoder(Demuxer& demuxer, int streamIndex, int numThreads,
                                       std::shared_ptr<CodecOpener> opener,
                                       const FfmpegOptions& codecOptions)
    : demuxer_(demuxer),
      streamIndex_(streamIndex),
      numThreads_(numThreads),
      opener_(std::move(opener)),
      loop_(demuxer, streamIndex, "video"),
      current_(allocFrame()),
      pending_(allocFrame()) {
  loop_.beforeSend(
      [this](AVCodecContext* codec, const AVPacket* packet) { chooseDiscard(codec, packet); });
  const AVStream* stream = demuxer.stream(streamIndex);
  if (opener_ && codecOptions.empty()) {
    UniqueAVCodecContext reused = opener_->reuse(stream, numThreads);
    if (reused) {
      loop_.setCodec(std::move(reused));
      return;
    }
  }
  UniqueAVCodecContext codec =
      allocDecoderContext(demuxer, streamIndex, opener_ ? opener_->decoder() : nullptr);
  codec->thread_count = numThreads;
  if (opener_) {
    opener_->configure(codec.get());
  }
  openDecoderContext(codec.get(), demuxer, codecOptions);
  baseDiscard_ = codec->skip_frame;
  loop_.setCodec(std::move(codec));
}

void VideoStreamDecoder::setKeyFramesOnly(bool on) {
  keyFramesOnly_ = on;
  if (!on) {
    loop_.flush();
    av_frame_unref(current_.get());
    av_frame_unref(pending_.get());
    hasCurrent_ = hasPending_ = false;
    currentPts_ = pendingPts_ = INT64_MIN;
  }
}

VideoStreamDecoder::~VideoStreamDecoder() {
  if (opener_ && loop_.codec()) {
    loop_.flush();
    opener_->release(demuxer_.stream(streamIndex_), numThreads_, loop_.takeCodec());
  }
}

int64_t VideoStreamDecoder::ptsOf(const AVFrame* frame) {
  int64_t number = framesOut_++;
  int64_t pts = framePts(frame, PtsRule::BestEffortFirst);
  if (pts == AV_NOPTS_VALUE && numberedDuration_ > 0) {
    pts = number * numberedDuration_;
  }
  return pts;
}

void VideoStreamDecoder::seek(int64_t timestamp) {
  loop_.seek(timestamp);
  av_frame_unref(current_.get());
  av_frame_unref(pending_.get());
  hasCurrent_ = hasPending_ = false;
  currentPts_ = pendingPts_ = INT64_MIN;
  framesOut_ = 0;
}

void VideoStreamDecoder::chooseDiscard(AVCodecContext* codec, const AVPacket* packet) const {
  // Read per packet, also by frame threads (copied at each submission).
  bool skippable = packet->pts != AV_NOPTS_VALUE && packet->pts < skipBefore_;
  AVDiscard base = keyFramesOnly_ ? AVDISCARD_NONKEY : baseDiscard_;
  codec->skip_frame = skippable ? std::max(AVDISCARD_NONREF, base) : base;
}

bool VideoStreamDecoder::peekPts(int64_t& pts) {
  if (!hasPending_) {
    if (!loop_.receive(pending_.get())) {
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

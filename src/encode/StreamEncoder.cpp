#include "encode/StreamEncoder.h"

#include <algorithm>

#include "codecflow/Error.h"

namespace codecflow {

void StreamEncoder::attach(Muxer& muxer) {
  muxer_ = &muxer;
  streamIndex_ = muxer.addStream(context_.get())->index;
}

void StreamEncoder::openCodec(const std::string& what) {
  // avcodec_open2 forgets the codec when it fails: keep its name.
  std::string name = context_->codec->name;
  int rc = avcodec_open2(context_.get(), context_->codec, nullptr);
  if (rc < 0) {
    failFFmpeg(ErrorKind::InvalidArgument,
               "encoder " + name + " refused the options of " +
                   what + " (see FFmpeg's log for its reason)",
               rc);
  }
}

void StreamEncoder::checkDts(AVPacket* packet) const {
  if (packet->pts == AV_NOPTS_VALUE || packet->dts == AV_NOPTS_VALUE ||
      firstPts_ == INT64_MIN) {
    return;
  }
  // A codec that reorders frames decodes its first packet at most as far
  // before the first pts as the frames it holds span (x264 and x265 take
  // that span from the pts of the frame their reorder delay ends at). A dts
  // after the pts, or before that bound, is not a time stamp: libx265
  // leaves its reorder delay unset when it gets fewer frames than that
  // delay (1 or 2 frames with B-frames) and subtracts whatever memory held.
  // The codec then reordered nothing, so the dts is the pts, as in the
  // files the ffmpeg CLI writes (where that memory is mostly zero).
  // Time stamps come from the caller: an arithmetic overflow leaves the dts.
  int64_t span = 0;
  int64_t bound = 0;
  bool plausible = packet->dts <= packet->pts &&
                   (__builtin_sub_overflow(lastPts_, firstPts_, &span) ||
                    __builtin_sub_overflow(firstPts_, span, &bound) || packet->dts >= bound);
  if (!plausible && packet->pts > lastDts_) {
    packet->dts = packet->pts;
  }
}

void StreamEncoder::encode(AVFrame* frame) {
  const char* name = context_->codec->name;
  if (frame != nullptr && frame->pts != AV_NOPTS_VALUE) {
    firstPts_ = firstPts_ == INT64_MIN ? frame->pts : std::min(firstPts_, frame->pts);
    lastPts_ = std::max(lastPts_, frame->pts);
  }
  int rc = avcodec_send_frame(context_.get(), frame);
  if (rc < 0 && !(frame == nullptr && rc == AVERROR_EOF)) {
    failFFmpeg(ErrorKind::Runtime, std::string("encoder ") + name + " failed to take a frame", rc);
  }
  while (true) {
    AVPacket* packet = packet_.get();
    rc = avcodec_receive_packet(context_.get(), packet);
    if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) {
      return;
    }
    if (rc < 0) {
      failFFmpeg(ErrorKind::Runtime, std::string("encoder ") + name + " failed", rc);
    }
    PacketRef unref(packet);
    if (packet->duration <= 0) {
      packet->duration = packetDuration_;
    }
    checkDts(packet);
    lastDts_ = packet->dts == AV_NOPTS_VALUE ? lastDts_ : packet->dts;
    muxer_->write(packet, context_->time_base, streamIndex_);
  }
}

}  // namespace codecflow

#include "StreamEncoder.h"

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

void StreamEncoder::encode(AVFrame* frame) {
  const char* name = context_->codec->name;
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
    muxer_->write(packet, context_->time_base, streamIndex_);
  }
}

}  // namespace codecflow

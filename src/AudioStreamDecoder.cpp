#include "AudioStreamDecoder.h"

#include "DecoderContext.h"

#include "codecflow/Error.h"

namespace codecflow {

int64_t framePts(const AVFrame* frame) {
  return frame->pts != AV_NOPTS_VALUE ? frame->pts : frame->best_effort_timestamp;
}

AudioStreamDecoder::AudioStreamDecoder(Demuxer& demuxer, int streamIndex)
    : demuxer_(demuxer), streamIndex_(streamIndex), packet_(allocPacket()) {
  AVFormatContext* format = demuxer.format();
  // Only this stream's packets are needed: the demuxer may skip the others.
  for (unsigned i = 0; i < format->nb_streams; ++i) {
    format->streams[i]->discard =
        static_cast<int>(i) == streamIndex ? AVDISCARD_DEFAULT : AVDISCARD_ALL;
  }
  codec_ = allocDecoderContext(demuxer, streamIndex);
  openDecoderContext(codec_.get(), demuxer);
}

void AudioStreamDecoder::feed() {
  while (true) {
    if (!demuxer_.readPacket(packet_.get())) {
      avcodec_send_packet(codec_.get(), nullptr);
      sentEof_ = true;
      return;
    }
    PacketRef unref(packet_.get());
    if (packet_->stream_index != streamIndex_) {
      continue;
    }
    int rc = avcodec_send_packet(codec_.get(), packet_.get());
    if (rc >= 0 || rc == AVERROR_INVALIDDATA) {
      return;  // a damaged packet is skipped, as the CLI does
    }
    failFFmpeg(ErrorKind::InvalidData,
               "could not decode a packet of '" + demuxer_.source().description() + "'", rc);
  }
}

bool AudioStreamDecoder::next(AVFrame* frame) {
  av_frame_unref(frame);
  while (!decoderEof_) {
    int rc = avcodec_receive_frame(codec_.get(), frame);
    if (rc == 0) {
      return true;
    }
    if (rc == AVERROR_EOF) {
      decoderEof_ = true;
      break;
    }
    if (rc == AVERROR_INVALIDDATA) {
      continue;  // a damaged frame: the CLI logs it and goes on
    }
    if (rc != AVERROR(EAGAIN)) {
      failFFmpeg(ErrorKind::InvalidData,
                 "could not decode audio of '" + demuxer_.source().description() + "'", rc);
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
  demuxer_.seekBackward(streamIndex_, timestamp);
  avcodec_flush_buffers(codec_.get());
  sentEof_ = decoderEof_ = false;
}

}  // namespace codecflow

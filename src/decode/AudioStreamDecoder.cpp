#include "decode/AudioStreamDecoder.h"

#include "decode/DecoderContext.h"

namespace codecflow {

AudioStreamDecoder::AudioStreamDecoder(Demuxer& demuxer, int streamIndex)
    : loop_(demuxer, streamIndex, "audio") {
  AVFormatContext* format = demuxer.format();
  // Only this stream's packets are needed: the demuxer may skip the others.
  for (unsigned i = 0; i < format->nb_streams; ++i) {
    format->streams[i]->discard =
        static_cast<int>(i) == streamIndex ? AVDISCARD_DEFAULT : AVDISCARD_ALL;
  }
  UniqueAVCodecContext codec = allocDecoderContext(demuxer, streamIndex);
  openDecoderContext(codec.get(), demuxer);
  loop_.setCodec(std::move(codec));
}

bool AudioStreamDecoder::next(AVFrame* frame) {
  av_frame_unref(frame);
  return loop_.receive(frame);
}

}  // namespace codecflow

#include "decode/DecoderContext.h"

#include <new>

#include "codecflow/Error.h"

namespace codecflow {

UniqueAVCodecContext allocDecoderContext(const Demuxer& demuxer, int streamIndex,
                                         const AVCodec* decoder) {
  const AVStream* stream = demuxer.stream(streamIndex);
  if (decoder == nullptr) {
    decoder = avcodec_find_decoder(stream->codecpar->codec_id);
  }
  if (decoder == nullptr) {
    fail(ErrorKind::Unsupported, std::string("no decoder for ") +
                                     av_get_media_type_string(stream->codecpar->codec_type) +
                                     " codec '" + avcodec_get_name(stream->codecpar->codec_id) +
                                     "' of '" + demuxer.source().description() + "'");
  }
  UniqueAVCodecContext codec(avcodec_alloc_context3(decoder));
  if (!codec) {
    throw std::bad_alloc();
  }
  int rc = avcodec_parameters_to_context(codec.get(), stream->codecpar);
  if (rc < 0) {
    failFFmpeg(ErrorKind::InvalidData, "invalid codec parameters", rc);
  }
  // The time base of packet timestamps: frame times (and, for audio, the
  // samples libavcodec skips) are expressed in it.
  codec->pkt_timebase = stream->time_base;
  // The whole crop of the stream (e.g. an H.264 SPS's left crop) applied to
  // frames: without it libavcodec rounds a left crop down to the planes'
  // alignment and the frames keep columns the stream hides.
  codec->flags |= AV_CODEC_FLAG_UNALIGNED;
  return codec;
}

void openDecoderContext(AVCodecContext* codec, const Demuxer& demuxer,
                        const FfmpegOptions& options) {
  // avcodec_open2 clears codec->codec when it fails: the name is kept first.
  std::string name = codec->codec != nullptr ? codec->codec->name : "";
  AVDictionary* dict = toDictionary(options).release();
  int rc = avcodec_open2(codec, codec->codec, &dict);
  av_dict_free(&dict);  // what this decoder did not use
  if (rc < 0) {
    failFFmpeg(ErrorKind::InvalidData,
               "could not open the " + name + " decoder for '" +
                   demuxer.source().description() +
                   "' (damaged or unsupported codec parameters, or a bad option value)",
               rc);
  }
}

}  // namespace codecflow

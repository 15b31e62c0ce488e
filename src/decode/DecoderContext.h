// Creating and opening libavcodec decoders for a demuxer's streams, shared
// by the audio and video stream decoders.
#pragma once

#include "demux/Demuxer.h"
#include "ffmpeg/FfmpegOptions.h"
#include "ffmpeg/FFmpeg.h"

namespace codecflow {

// A decoder context for the stream, set up from its codec parameters and
// time base but not opened yet (so that callers can set threads, hardware
// devices, ...), with `decoder` when given, else FFmpeg's default decoder for
// the codec. Throws Unsupported when FFmpeg has no decoder for it.
UniqueAVCodecContext allocDecoderContext(const Demuxer& demuxer, int streamIndex,
                                         const AVCodec* decoder = nullptr);

// Opens a context from allocDecoderContext. Throws InvalidData naming the
// source and FFmpeg's reason. `options` go to avcodec_open2.
void openDecoderContext(AVCodecContext* codec, const Demuxer& demuxer,
                        const FfmpegOptions& options = {});

}  // namespace codecflow

// Choosing encoders and checking their options before any output exists.
//
// Note [Validating encoder options]
// Options are set on an allocated, not yet opened, codec context with
// av_opt_set(..., AV_OPT_SEARCH_CHILDREN), so that both the generic
// AVCodecContext options ("g", "bf", "threads") and the encoder's private
// ones ("crf", "preset", "tune") are found. Before setting, av_opt_find
// tells whether the option exists and its numeric range, so that errors
// name the allowed values instead of failing later inside avcodec_open2.
#pragma once

#include <string>
#include <vector>

#include "ffmpeg/FFmpeg.h"

namespace codecflow {

// The encoder for `name` (an encoder name such as "libx264" or a codec
// name such as "h264"), or the container's default when `name` is empty.
// Experimental encoders are skipped in favour of stable ones for a codec
// name. Throws InvalidArgument listing the encoders of `type` the
// container accepts.
const AVCodec* findEncoder(const std::string& name, AVMediaType type,
                           const AVOutputFormat* container);

// Names of the encoders of `type` that FFmpeg has and `container` accepts.
std::vector<std::string> encodersFor(AVMediaType type, const AVOutputFormat* container);

// Sets an option on `context` (or its private data), checking it exists
// and, for numbers, its range. `label` names the option in messages (for
// example "crf" or "extra_options['g']"). Throws InvalidArgument.
void setEncoderOption(AVCodecContext* context, const std::string& key, const std::string& value,
                      const std::string& label);

// Whether the encoder (its context or its private options) has `key`.
bool hasOption(AVCodecContext* context, const std::string& key);

// Sets the crf and preset options the way the public API describes them:
// crf within the range of the encoder's own option, a preset by name.
void setCrf(AVCodecContext* context, double crf);
void setPreset(AVCodecContext* context, const std::string& preset);

std::string joinNames(const std::vector<std::string>& names);

}  // namespace codecflow

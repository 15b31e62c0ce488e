// FFmpeg's own log. Quiet (errors only) unless asked otherwise.
#pragma once

namespace codecflow {

// Sets FFmpeg's log level (AV_LOG_* values, -8 quiet to 56 trace).
void setFFmpegLogLevel(int level);
int ffmpegLogLevel();

// The major version of the FFmpeg release the loaded libavutil belongs to.
int ffmpegMajorVersion();

}  // namespace codecflow

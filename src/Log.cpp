#include "codecflow/Log.h"

#include "codecflow/Error.h"

extern "C" {
#include <libavutil/avutil.h>
#include <libavutil/log.h>
}

namespace codecflow {

namespace {
struct QuietByDefault {
  QuietByDefault() { av_log_set_level(AV_LOG_ERROR); }
};
const QuietByDefault quietByDefault;
}  // namespace

void setFFmpegLogLevel(int level) {
  if (level < AV_LOG_QUIET || level > AV_LOG_TRACE) {
    fail(ErrorKind::InvalidArgument, "FFmpeg log level " + std::to_string(level) +
                                         " is outside [-8 (quiet), 56 (trace)]");
  }
  av_log_set_level(level);
}

int ffmpegLogLevel() { return av_log_get_level(); }

int ffmpegMajorVersion() { return static_cast<int>(avutil_version() >> 16) - 52; }

}  // namespace codecflow

#include "codecflow/Error.h"

#include <cerrno>

extern "C" {
#include <libavutil/error.h>
}

namespace codecflow {

void fail(ErrorKind kind, const std::string& message) {
  throw Error(kind, message);
}

std::string ffmpegErrorText(int averror) {
  char buffer[AV_ERROR_MAX_STRING_SIZE] = {0};
  if (av_strerror(averror, buffer, sizeof(buffer)) < 0) {
    return "unknown FFmpeg error " + std::to_string(averror);
  }
  return buffer;
}

void failFFmpeg(ErrorKind kind, const std::string& what, int averror) {
  if (averror == AVERROR(ENOENT)) {
    kind = ErrorKind::NotFound;
  } else if (averror == AVERROR(EISDIR)) {
    kind = ErrorKind::IsDirectory;
  } else if (averror == AVERROR_INVALIDDATA || averror == AVERROR_EOF) {
    kind = ErrorKind::InvalidData;
  }
  throw Error(kind, what + ": " + ffmpegErrorText(averror));
}

}  // namespace codecflow

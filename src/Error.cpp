#include "codecflow/Error.h"

#include <cerrno>

#include "codecflow/Log.h"

extern "C" {
#include <libavutil/error.h>
}

namespace codecflow {

namespace {

[[noreturn]] void throwWithLog(ErrorKind kind, const std::string& what, int averror) {
  std::string message = what + ": " + ffmpegErrorText(averror);
  std::string log = takeFFmpegLog();
  if (!log.empty()) {
    message += " (FFmpeg: " + log + ")";
  }
  throw Error(kind, message);
}

}  // namespace

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
  throwWithLog(kind, what, averror);
}

void failNetwork(ErrorKind kind, const std::string& what, int averror) {
  switch (averror) {
    case AVERROR_HTTP_NOT_FOUND:
      throwWithLog(ErrorKind::NotFound, what, averror);
    case AVERROR(ETIMEDOUT):
      throwWithLog(ErrorKind::Timeout, what, averror);
    case AVERROR(EIO):  // FFmpeg's code for a name that does not resolve
    case AVERROR(ECONNREFUSED):
    case AVERROR(ECONNRESET):
    case AVERROR(ECONNABORTED):
    case AVERROR(EHOSTUNREACH):
    case AVERROR(ENETUNREACH):
    case AVERROR(ENETDOWN):
    case AVERROR(EPIPE):
    case AVERROR_HTTP_BAD_REQUEST:
    case AVERROR_HTTP_UNAUTHORIZED:
    case AVERROR_HTTP_FORBIDDEN:
    case AVERROR_HTTP_OTHER_4XX:
    case AVERROR_HTTP_SERVER_ERROR:
      throwWithLog(ErrorKind::Network, what, averror);
    default:
      failFFmpeg(kind, what, averror);
  }
}

int64_t checkRange(const IntRange& range, int64_t value) {
  if (value < range.min || value > range.max) {
    failRange(range, std::to_string(value));
  }
  return value;
}

void failRange(const IntRange& range, const std::string& value) {
  throw Error(ErrorKind::InvalidArgument,
              std::string("invalid ") + range.name + "=" + value + ": must be an integer in [" +
                  std::to_string(range.min) + ", " + std::to_string(range.max) + "]");
}

}  // namespace codecflow

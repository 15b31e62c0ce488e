// Errors of the codecflow core.
//
// Every failure is a codecflow::Error carrying an ErrorKind. The Python
// binding maps each kind to the exception type of the public API's error
// table (ValueError, IndexError, FileNotFoundError, ...). Messages say what
// failed, on which input or value, what is allowed, and FFmpeg's own text
// when FFmpeg produced the error.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace codecflow {

enum class ErrorKind {
  InvalidArgument,  // a bad value passed by the caller (ValueError)
  InvalidData,      // empty, non-media, truncated or corrupt input (ValueError)
  OutOfRange,       // an index outside the valid range (IndexError)
  TypeMismatch,     // an argument of the wrong type (TypeError)
  NotFound,         // a path that does not exist (FileNotFoundError)
  IsDirectory,      // a path that is a directory (IsADirectoryError)
  Io,               // reading or writing failed (OSError)
  Network,          // a network source that cannot be reached (ConnectionError)
  Timeout,          // a network source that did not answer in time (TimeoutError)
  Unsupported,      // a feature missing from this build or machine (RuntimeError)
  Runtime,          // anything else (RuntimeError)
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message)
      : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const noexcept { return kind_; }

 private:
  ErrorKind kind_;
};

// Throws an Error of the given kind.
[[noreturn]] void fail(ErrorKind kind, const std::string& message);

// FFmpeg's text for an AVERROR code (av_strerror).
std::string ffmpegErrorText(int averror);

// Throws "<what>: <FFmpeg's text>" with a kind derived from the code when
// the code says more than `kind` does (ENOENT -> NotFound, EISDIR ->
// IsDirectory, AVERROR_INVALIDDATA -> InvalidData). The error lines FFmpeg
// logged on this thread during the failing call (Note [FFmpeg's log]) are
// appended, so that its reason is in the message and not only on stderr.
[[noreturn]] void failFFmpeg(ErrorKind kind, const std::string& what, int averror);

// Like failFFmpeg, for a failure on a network source: unreachable hosts,
// refused connections and HTTP errors become Network (HTTP 404: NotFound),
// timeouts Timeout; other codes are left to failFFmpeg.
[[noreturn]] void failNetwork(ErrorKind kind, const std::string& what, int averror);

// A numeric argument of the public API: its name as the user spells it and
// its inclusive valid range. Each range is defined once, next to the code
// that relies on it.
struct IntRange {
  const char* name;
  int64_t min;
  int64_t max;
};

// Returns `value` when it lies in `range`; otherwise throws InvalidArgument
// "invalid NAME=VALUE: must be an integer in [MIN, MAX]".
int64_t checkRange(const IntRange& range, int64_t value);

// Throws the error checkRange throws, for a value given as text (one that
// no 64-bit integer holds, say).
[[noreturn]] void failRange(const IntRange& range, const std::string& value);

}  // namespace codecflow

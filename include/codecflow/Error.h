// Errors of the codecflow core.
//
// Every failure is a codecflow::Error carrying an ErrorKind. The Python
// binding maps each kind to the exception type of the public API's error
// table (ValueError, IndexError, FileNotFoundError, ...). Messages say what
// failed, on which input or value, what is allowed, and FFmpeg's own text
// when FFmpeg produced the error.
#pragma once

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
// IsDirectory, AVERROR_INVALIDDATA -> InvalidData).
[[noreturn]] void failFFmpeg(ErrorKind kind, const std::string& what, int averror);

}  // namespace codecflow

// FFmpeg's own log.
//
// Note [FFmpeg's log]
// codecflow installs its own FFmpeg log callback. It prints a line to
// stderr only at or below the level set here, which starts at quiet: by
// default codecflow prints nothing itself. Whatever the level, the error
// lines FFmpeg logs are also kept, per thread (the last few), and
// failFFmpeg puts those of the failing call into the exception's message:
// FFmpeg often says why it failed (odd frame dimensions, a missing
// libcuda.so.1) only in its log, which notebooks never show. Lines logged
// by FFmpeg's own worker threads stay with those threads.
//
// A call marks its start with an FFmpegLogScope: the outermost scope on a
// thread forgets older lines, so that a failure never carries the log of an
// earlier call that succeeded. Without a scope, a failure carries the lines
// logged since the previous failure on the thread.
#pragma once

#include <cstdint>
#include <string>

namespace codecflow {

// Sets the level FFmpeg's lines are printed at (AV_LOG_* values, -8 quiet
// to 56 trace). Throws InvalidArgument outside that range.
// SVT-AV1, which prints through its own logger, follows it too (through
// SVT_LOG, unless the user set that variable).
void setFFmpegLogLevel(int level);
int ffmpegLogLevel();

// libx265's log-level (x265-params) matching that level: "none" at the
// default. libx265 prints its banner and statistics itself, so an encoder
// passes this to it.
const char* x265LogLevel();

// The error lines FFmpeg logged on this thread since the last take or the
// start of the outermost FFmpegLogScope, joined by "; ", and forgets them.
std::string takeFFmpegLog();

// A mark of this thread's log now, and the error lines logged on this thread
// after `mark` (the last few kept, joined by "; "), leaving them in place:
// for a callback that wants FFmpeg's reason for something that did not fail
// the call (a hwaccel refusing a stream, then decoding in software).
uint64_t ffmpegLogMark();
std::string ffmpegLogSince(uint64_t mark);

class FFmpegLogScope {
 public:
  FFmpegLogScope();
  ~FFmpegLogScope();
  FFmpegLogScope(const FFmpegLogScope&) = delete;
  FFmpegLogScope& operator=(const FFmpegLogScope&) = delete;
};

// The major version of the FFmpeg release the loaded libavutil belongs to.
int ffmpegMajorVersion();

}  // namespace codecflow

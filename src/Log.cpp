#include "codecflow/Log.h"

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>

#include "codecflow/Error.h"

extern "C" {
#include <libavutil/avutil.h>
#include <libavutil/log.h>
}

namespace codecflow {

namespace {

constexpr size_t kKeptLines = 8;
constexpr size_t kMaxLineLength = 400;

// The lines kept for one thread (Note [FFmpeg's log]).
struct ThreadLog {
  std::deque<std::string> lines;
  std::string partial;  // a line FFmpeg has not ended with '\n' yet
  uint64_t kept = 0;    // lines ever kept (ffmpegLogMark)
  int scopeDepth = 0;
};

ThreadLog& threadLog() {
  thread_local ThreadLog log;
  return log;
}

std::atomic<int> printLevel{AV_LOG_QUIET};

void keep(void* object, int level, const char* format, va_list args) {
  char text[1024];
  int n = std::vsnprintf(text, sizeof(text), format, args);
  if (n < 0) {
    return;
  }
  ThreadLog& log = threadLog();
  if (log.partial.empty() && object != nullptr) {
    // The component's name, without FFmpeg's "@ 0x..." address.
    AVClass* cls = *static_cast<AVClass**>(object);
    if (cls != nullptr && cls->item_name != nullptr) {
      const char* name = cls->item_name(object);
      if (name != nullptr) {
        log.partial = std::string("[") + name + "] ";
      }
    }
  }
  log.partial += text;
  if (log.partial.empty() || log.partial.back() != '\n') {
    return;
  }
  while (!log.partial.empty() && (log.partial.back() == '\n' || log.partial.back() == '\r')) {
    log.partial.pop_back();
  }
  if (log.partial.size() > kMaxLineLength) {
    log.partial.resize(kMaxLineLength);
    log.partial += "...";
  }
  if (level <= AV_LOG_ERROR && (log.lines.empty() || log.lines.back() != log.partial)) {
    log.lines.push_back(std::move(log.partial));
    ++log.kept;
    if (log.lines.size() > kKeptLines) {
      log.lines.pop_front();
    }
  }
  log.partial.clear();
}

void logCallback(void* object, int level, const char* format, va_list args) {
  if (level <= printLevel.load(std::memory_order_relaxed)) {
    va_list copy;
    va_copy(copy, args);
    av_log_default_callback(object, level, format, copy);
    va_end(copy);
  }
  // Never let an exception (bad_alloc) unwind into FFmpeg.
  try {
    keep(object, level, format, args);
  } catch (...) {
  }
}

// SVT-AV1 prints through its own logger, whose level comes from the
// SVT_LOG environment variable (read when an encoder starts): 0 fatal, 1
// error, 2 warning, 3 info, 4 debug. It follows codecflow's level unless
// the user set SVT_LOG.
bool userSetSvtLog = false;

void followWithSvtLog(int level) {
  if (userSetSvtLog) {
    return;
  }
  const char* svt = level <= AV_LOG_FATAL     ? "0"
                    : level <= AV_LOG_ERROR   ? "1"
                    : level <= AV_LOG_WARNING ? "2"
                    : level <= AV_LOG_INFO    ? "3"
                                              : "4";
  // setenv races with a getenv on another thread: only a change of level
  // writes (at import, and when the user sets the level).
  const char* current = std::getenv("SVT_LOG");
  if (current == nullptr || std::strcmp(current, svt) != 0) {
    ::setenv("SVT_LOG", svt, 1);
  }
}

struct InstallCallback {
  InstallCallback() {
    userSetSvtLog = std::getenv("SVT_LOG") != nullptr;
    av_log_set_level(AV_LOG_QUIET);
    av_log_set_callback(&logCallback);
    followWithSvtLog(AV_LOG_QUIET);
  }
};
const InstallCallback installCallback;

}  // namespace

void setFFmpegLogLevel(int level) {
  if (level < AV_LOG_QUIET || level > AV_LOG_TRACE) {
    fail(ErrorKind::InvalidArgument, "FFmpeg log level " + std::to_string(level) +
                                         " is outside [-8 (quiet), 56 (trace)]");
  }
  printLevel.store(level, std::memory_order_relaxed);
  followWithSvtLog(level);
  // av_log_default_callback checks FFmpeg's level too, and some libraries
  // (libx265, SVT-AV1 through FFmpeg) ask it how much to say.
  av_log_set_level(level);
}

int ffmpegLogLevel() { return printLevel.load(std::memory_order_relaxed); }

const char* x265LogLevel() {
  int level = ffmpegLogLevel();
  return level < AV_LOG_ERROR     ? "none"
         : level < AV_LOG_WARNING ? "error"
         : level < AV_LOG_INFO    ? "warning"
         : level < AV_LOG_DEBUG   ? "info"
                                  : "debug";
}

std::string takeFFmpegLog() {
  ThreadLog& log = threadLog();
  std::string joined;
  for (const std::string& line : log.lines) {
    if (!line.empty()) {
      joined += (joined.empty() ? "" : "; ") + line;
    }
  }
  log.lines.clear();
  return joined;
}

uint64_t ffmpegLogMark() { return threadLog().kept; }

std::string ffmpegLogSince(uint64_t mark) {
  const ThreadLog& log = threadLog();
  uint64_t newer = log.kept > mark ? log.kept - mark : 0;
  size_t first = newer < log.lines.size() ? log.lines.size() - static_cast<size_t>(newer) : 0;
  std::string joined;
  for (size_t i = first; i < log.lines.size(); ++i) {
    if (!log.lines[i].empty()) {
      joined += (joined.empty() ? "" : "; ") + log.lines[i];
    }
  }
  return joined;
}

FFmpegLogScope::FFmpegLogScope() {
  ThreadLog& log = threadLog();
  if (log.scopeDepth++ == 0) {
    log.lines.clear();
    log.partial.clear();
  }
}

FFmpegLogScope::~FFmpegLogScope() { --threadLog().scopeDepth; }

int ffmpegMajorVersion() { return static_cast<int>(avutil_version() >> 16) - 52; }

}  // namespace codecflow

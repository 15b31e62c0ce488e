#include "io/AvioBridge.h"

#include <cstdio>
#include <new>
#include <utility>

#include "codecflow/Error.h"

namespace codecflow {

namespace {
constexpr int kAvioBufferSize = 64 * 1024;
}

AvioReader::AvioReader(std::shared_ptr<ByteStream> stream) : stream_(std::move(stream)) {
  // The buffer belongs to the AVIOContext from here on (FFmpeg may replace
  // it); AvioDeleter frees whichever buffer the context holds last.
  auto* buffer = static_cast<uint8_t*>(av_malloc(kAvioBufferSize));
  if (buffer == nullptr) {
    throw std::bad_alloc();
  }
  avio_.reset(avio_alloc_context(buffer, kAvioBufferSize, 0, this, &AvioReader::readPacket,
                                 nullptr, &AvioReader::seek));
  if (!avio_) {
    av_free(buffer);
    throw std::bad_alloc();
  }
}

void AvioReader::rethrowPending() {
  if (pending_) {
    std::exception_ptr e = std::exchange(pending_, nullptr);
    std::rethrow_exception(e);
  }
}

int AvioReader::readPacket(void* opaque, uint8_t* buffer, int size) {
  auto* self = static_cast<AvioReader*>(opaque);
  if (self->pending_) {
    return AVERROR_EXTERNAL;
  }
  try {
    int64_t n = self->stream_->read(buffer, size);
    if (n < 0 || n > size) {
      fail(ErrorKind::Io, "read() returned " + std::to_string(n) + " for a request of " +
                              std::to_string(size) + " bytes");
    }
    return n == 0 ? AVERROR_EOF : static_cast<int>(n);
  } catch (...) {
    self->pending_ = std::current_exception();
    return AVERROR_EXTERNAL;
  }
}

int64_t AvioReader::seek(void* opaque, int64_t offset, int whence) {
  auto* self = static_cast<AvioReader*>(opaque);
  if (self->pending_) {
    return AVERROR_EXTERNAL;
  }
  try {
    if (whence & AVSEEK_SIZE) {
      int64_t size = self->stream_->size();
      return size >= 0 ? size : AVERROR(ENOSYS);
    }
    return self->stream_->seek(offset, whence & ~AVSEEK_FORCE);
  } catch (...) {
    self->pending_ = std::current_exception();
    return AVERROR_EXTERNAL;
  }
}

}  // namespace codecflow

namespace codecflow {

AvioWriter::AvioWriter(std::shared_ptr<ByteSink> sink) : sink_(std::move(sink)) {
  auto* buffer = static_cast<uint8_t*>(av_malloc(kAvioBufferSize));
  if (buffer == nullptr) {
    throw std::bad_alloc();
  }
  avio_.reset(avio_alloc_context(buffer, kAvioBufferSize, 1, this, nullptr,
                                 &AvioWriter::writePacket, &AvioWriter::seek));
  if (!avio_) {
    av_free(buffer);
    throw std::bad_alloc();
  }
}

void AvioWriter::rethrowPending() {
  if (pending_) {
    std::exception_ptr e = std::exchange(pending_, nullptr);
    std::rethrow_exception(e);
  }
}

int AvioWriter::writePacket(void* opaque, compat::AvioWriteData buffer, int size) {
  auto* self = static_cast<AvioWriter*>(opaque);
  if (self->pending_) {
    return AVERROR_EXTERNAL;
  }
  try {
    self->sink_->write(buffer, size);
    return size;
  } catch (...) {
    self->pending_ = std::current_exception();
    return AVERROR_EXTERNAL;
  }
}

int64_t AvioWriter::seek(void* opaque, int64_t offset, int whence) {
  auto* self = static_cast<AvioWriter*>(opaque);
  if (self->pending_) {
    return AVERROR_EXTERNAL;
  }
  try {
    if (whence & AVSEEK_SIZE) {
      return AVERROR(ENOSYS);
    }
    return self->sink_->seek(offset, whence & ~AVSEEK_FORCE);
  } catch (...) {
    self->pending_ = std::current_exception();
    return AVERROR_EXTERNAL;
  }
}

}  // namespace codecflow

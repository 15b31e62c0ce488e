#include "io/AvioBridge.h"

#include <cstdio>
#include <new>
#include <utility>

#include "codecflow/Error.h"

namespace codecflow {

namespace {
constexpr int kAvioBufferSize = 64 * 1024;
}

void AvioBridge::open(bool writable, ReadFn read, WriteFn write, SeekFn seek) {
  // The buffer belongs to the AVIOContext from here on (FFmpeg may replace
  // it); AvioDeleter frees whichever buffer the context holds last.
  auto* buffer = static_cast<uint8_t*>(av_malloc(kAvioBufferSize));
  if (buffer == nullptr) {
    throw std::bad_alloc();
  }
  avio_.reset(
      avio_alloc_context(buffer, kAvioBufferSize, writable ? 1 : 0, this, read, write, seek));
  if (!avio_) {
    av_free(buffer);
    throw std::bad_alloc();
  }
}

void AvioBridge::rethrowPending() {
  if (pending_) {
    std::exception_ptr e = std::exchange(pending_, nullptr);
    std::rethrow_exception(e);
  }
}

AvioReader::AvioReader(std::shared_ptr<ByteStream> stream) : stream_(std::move(stream)) {
  open(false, &AvioReader::readPacket, nullptr, &AvioReader::seek);
}

int AvioReader::readPacket(void* opaque, uint8_t* buffer, int size) {
  return guarded<int>(opaque, [&] {
    auto* self = static_cast<AvioReader*>(static_cast<AvioBridge*>(opaque));
    int64_t n = self->stream_->read(buffer, size);
    if (n < 0 || n > size) {
      fail(ErrorKind::Io, "read() returned " + std::to_string(n) + " for a request of " +
                              std::to_string(size) + " bytes");
    }
    return n == 0 ? AVERROR_EOF : static_cast<int>(n);
  });
}

int64_t AvioReader::seek(void* opaque, int64_t offset, int whence) {
  return guarded<int64_t>(opaque, [&]() -> int64_t {
    auto* self = static_cast<AvioReader*>(static_cast<AvioBridge*>(opaque));
    if (whence & AVSEEK_SIZE) {
      int64_t size = self->stream_->size();
      return size >= 0 ? size : AVERROR(ENOSYS);
    }
    return self->stream_->seek(offset, whence & ~AVSEEK_FORCE);
  });
}

AvioWriter::AvioWriter(std::shared_ptr<ByteSink> sink) : sink_(std::move(sink)) {
  open(true, nullptr, &AvioWriter::writePacket, &AvioWriter::seek);
}

int AvioWriter::writePacket(void* opaque, compat::AvioWriteData buffer, int size) {
  return guarded<int>(opaque, [&] {
    auto* self = static_cast<AvioWriter*>(static_cast<AvioBridge*>(opaque));
    self->sink_->write(buffer, size);
    return size;
  });
}

int64_t AvioWriter::seek(void* opaque, int64_t offset, int whence) {
  return guarded<int64_t>(opaque, [&]() -> int64_t {
    auto* self = static_cast<AvioWriter*>(static_cast<AvioBridge*>(opaque));
    if (whence & AVSEEK_SIZE) {
      return AVERROR(ENOSYS);
    }
    return self->sink_->seek(offset, whence & ~AVSEEK_FORCE);
  });
}

}  // namespace codecflow

#include "codecflow/Source.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "codecflow/Error.h"

extern "C" {
#include <libavformat/avio.h>
}

namespace codecflow {

MemoryStream::MemoryStream(const uint8_t* data, int64_t size, std::shared_ptr<const void> owner)
    : data_(data), size_(size), owner_(std::move(owner)) {}

int64_t MemoryStream::read(uint8_t* buffer, int64_t size) {
  int64_t n = std::clamp<int64_t>(size_ - position_, 0, size);
  if (n > 0) {
    std::memcpy(buffer, data_ + position_, static_cast<size_t>(n));
    position_ += n;
  }
  return n;
}

int64_t MemoryStream::seek(int64_t offset, int whence) {
  int64_t base = 0;
  switch (whence) {
    case SEEK_SET:
      base = 0;
      break;
    case SEEK_CUR:
      base = position_;
      break;
    case SEEK_END:
      base = size_;
      break;
    default:
      fail(ErrorKind::InvalidArgument, "invalid whence " + std::to_string(whence));
  }
  int64_t target = base + offset;
  if (target < 0) {
    fail(ErrorKind::Io, "seek to negative position " + std::to_string(target));
  }
  position_ = target;
  return position_;
}

Source Source::fromPath(std::string path) {
  Source s;
  s.kind_ = Kind::Path;
  s.description_ = path;
  s.path_ = std::move(path);
  return s;
}

Source Source::fromTensor(const Tensor& bytes, std::string description) {
  if (bytes.dim() != 1 || bytes.dtype() != DType::UInt8 || !bytes.device().isCpu() ||
      !bytes.isContiguous()) {
    fail(ErrorKind::InvalidArgument,
         "a tensor source must be a 1-D contiguous uint8 CPU tensor of encoded bytes");
  }
  auto owner = std::make_shared<Tensor>(bytes);
  Source s;
  s.kind_ = Kind::Stream;
  s.description_ = description.empty()
                       ? "<tensor of " + std::to_string(bytes.numel()) + " bytes>"
                       : std::move(description);
  s.memoryData_ = bytes.dataAs<const uint8_t>();
  s.memorySize_ = bytes.numel();
  s.memoryOwner_ = std::move(owner);
  return s;
}

Source Source::fromBytes(std::string bytes) {
  auto owner = std::make_shared<std::string>(std::move(bytes));
  Source s;
  s.kind_ = Kind::Stream;
  s.description_ = "<bytes of size " + std::to_string(owner->size()) + ">";
  s.memoryData_ = reinterpret_cast<const uint8_t*>(owner->data());
  s.memorySize_ = static_cast<int64_t>(owner->size());
  s.memoryOwner_ = std::move(owner);
  return s;
}

Source Source::fromStream(std::shared_ptr<ByteStream> stream, std::string description) {
  Source s;
  s.kind_ = Kind::Stream;
  s.stream_ = std::move(stream);
  s.description_ = std::move(description);
  return s;
}

std::shared_ptr<ByteStream> Source::openStream() const {
  if (kind_ != Kind::Stream) {
    fail(ErrorKind::Runtime, "source " + description_ + " is a path, not a stream");
  }
  if (memoryOwner_) {
    return std::make_shared<MemoryStream>(memoryData_, memorySize_, memoryOwner_);
  }
  stream_->seek(0, SEEK_SET);
  return stream_;
}

}  // namespace codecflow

#include <cstdio>
#include <cstring>

#include "codecflow/Encoder.h"
#include "codecflow/Error.h"

namespace codecflow {

void MemorySink::write(const uint8_t* data, int64_t size) {
  int64_t end = position_ + size;
  if (end > static_cast<int64_t>(data_.size())) {
    data_.resize(static_cast<size_t>(end));
  }
  std::memcpy(data_.data() + position_, data, static_cast<size_t>(size));
  position_ = end;
}

int64_t MemorySink::seek(int64_t offset, int whence) {
  int64_t base = whence == SEEK_SET   ? 0
                 : whence == SEEK_CUR ? position_
                 : whence == SEEK_END ? static_cast<int64_t>(data_.size())
                                      : -1;
  if (base < 0 || base + offset < 0) {
    fail(ErrorKind::Io, "invalid seek (offset " + std::to_string(offset) + ", whence " +
                            std::to_string(whence) + ")");
  }
  position_ = base + offset;
  return position_;
}

Tensor MemorySink::takeBytes() {
  auto owner = std::make_shared<std::vector<uint8_t>>(std::move(data_));
  data_.clear();
  position_ = 0;
  auto size = static_cast<int64_t>(owner->size());
  return Tensor::fromBlob(owner->data(), {size}, {}, DType::UInt8, Device::cpu(), owner);
}

}  // namespace codecflow

// A small strided tensor: the core's currency for pixels, samples and
// encoded bytes. It shares its storage (copies are cheap and alias) and
// crosses into Python, NumPy and torch through DLPack without a copy.
#pragma once

#include "codecflow/Error.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include <dlpack/dlpack.h>

namespace codecflow {

enum class DType { UInt8, Int16, Int32, Int64, Float32, Float64 };

// Size of one element of a dtype, in bytes.
int64_t dtypeSize(DType dtype);
const char* dtypeName(DType dtype);

struct Device {
  enum class Kind { Cpu, Cuda };
  Kind kind = Kind::Cpu;
  int index = 0;

  static Device cpu() { return {}; }
  static Device cuda(int index) { return {Kind::Cuda, index}; }
  bool isCpu() const { return kind == Kind::Cpu; }
  bool operator==(const Device&) const = default;
};

class Tensor {
 public:
  Tensor() = default;

  // A new contiguous CPU tensor, 64-byte aligned, contents uninitialized.
  static Tensor empty(std::vector<int64_t> shape, DType dtype);

  // A tensor over memory owned by someone else; `owner` is kept alive for as
  // long as any tensor aliases the memory.
  static Tensor fromBlob(void* data, std::vector<int64_t> shape,
                         std::vector<int64_t> strides, DType dtype, Device device,
                         std::shared_ptr<void> owner);

  // Takes ownership of a DLPack tensor (its deleter runs when the last alias
  // goes away). Throws InvalidArgument for dtypes the core does not handle.
  static Tensor fromDLPack(DLManagedTensor* managed);

  // Hands out a DLPack tensor that keeps this tensor's storage alive until
  // the consumer calls its deleter.
  DLManagedTensor* toDLPack() const;

  void* data() const { return data_; }
  template <typename T>
  T* dataAs() const {
    return static_cast<T*>(data_);
  }
  DType dtype() const { return dtype_; }
  const Device& device() const { return device_; }
  const std::vector<int64_t>& shape() const { return shape_; }
  const std::vector<int64_t>& strides() const { return strides_; }  // in elements
  int64_t dim() const { return static_cast<int64_t>(shape_.size()); }
  int64_t size(int64_t dim) const;
  int64_t numel() const;
  int64_t nbytes() const { return numel() * dtypeSize(dtype_); }
  bool isContiguous() const;
  bool defined() const { return data_ != nullptr || numel() == 0; }

  // A view of entries [start, stop) along the first dimension.
  Tensor sliceFirst(int64_t start, int64_t stop) const;

 private:
  void* data_ = nullptr;
  std::vector<int64_t> shape_;
  std::vector<int64_t> strides_;
  DType dtype_ = DType::UInt8;
  Device device_;
  std::shared_ptr<void> storage_;
};

std::vector<int64_t> contiguousStrides(const std::vector<int64_t>& shape);

// Freed CPU tensors of 1 MiB and more are kept for reuse by the next tensor
// of the same size, up to a limit in bytes (Note [Reusing frame batches] in
// src/tensor/BlockCache.h). By default the limit follows what the process just used:
// twice the size of the largest of the last blocks freed, at most
// defaultFrameCacheCap(): an eighth of the machine's memory, clamped to
// [kDefaultFrameCacheCapMin, kDefaultFrameCacheCapMax]. setFrameCacheLimit
// fixes it (0 keeps nothing), useDefaultFrameCacheLimit goes back to the default; lowering the limit frees what no longer fits.
// frameCacheLimit is the limit in force now.
inline constexpr size_t kDefaultFrameCacheCapMin = size_t{256} << 20;
inline constexpr size_t kDefaultFrameCacheCapMax = size_t{2} << 30;
size_t defaultFrameCacheCap();
inline constexpr IntRange kFrameCacheLimitRange{"nbytes", 0, INT64_MAX};
size_t frameCacheLimit();
void setFrameCacheLimit(int64_t bytes);
void useDefaultFrameCacheLimit();
// Bytes kept now.
size_t frameCacheBytes();

}  // namespace codecflow

#include "codecflow/Tensor.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <numeric>
#include <string>
#include <vector>

#include "codecflow/Error.h"
#include "tensor/BlockCache.h"

namespace codecflow {

int64_t dtypeSize(DType dtype) {
  switch (dtype) {
    case DType::UInt8:
      return 1;
    case DType::Int16:
      return 2;
    case DType::Int32:
    case DType::Float32:
      return 4;
    case DType::Int64:
    case DType::Float64:
      return 8;
  }
  return 1;
}

const char* dtypeName(DType dtype) {
  switch (dtype) {
    case DType::UInt8:
      return "uint8";
    case DType::Int16:
      return "int16";
    case DType::Int32:
      return "int32";
    case DType::Int64:
      return "int64";
    case DType::Float32:
      return "float32";
    case DType::Float64:
      return "float64";
  }
  return "unknown";
}

std::vector<int64_t> contiguousStrides(const std::vector<int64_t>& shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i) {
    strides[i] = strides[i + 1] * std::max<int64_t>(shape[i + 1], 1);
  }
  return strides;
}

Tensor Tensor::empty(std::vector<int64_t> shape, DType dtype) {
  Tensor t;
  t.shape_ = std::move(shape);
  t.strides_ = contiguousStrides(t.shape_);
  t.dtype_ = dtype;
  for (int64_t s : t.shape_) {
    if (s < 0) {
      fail(ErrorKind::InvalidArgument, "negative tensor dimension " + std::to_string(s));
    }
  }
  // Round up to the alignment, and allocate at least one block so that an
  // empty tensor still has a valid, unique data pointer.
  size_t bytes = static_cast<size_t>(t.nbytes());
  // Plus one block of slack: vectorized writers (swscale) may touch a few
  // bytes past the last row.
  size_t rounded = (bytes + 63) / 64 * 64 + 64;
  void* data = BlockCache::instance().take(rounded);
  if (data == nullptr) {
    data = std::aligned_alloc(64, rounded);
  }
  if (data == nullptr) {
    throw std::bad_alloc();
  }
  t.storage_ = std::shared_ptr<void>(
      data, [rounded](void* p) { BlockCache::instance().give(p, rounded); });
  t.data_ = data;
  return t;
}

Tensor Tensor::fromBlob(void* data, std::vector<int64_t> shape,
                        std::vector<int64_t> strides, DType dtype, Device device,
                        std::shared_ptr<void> owner) {
  Tensor t;
  t.data_ = data;
  t.shape_ = std::move(shape);
  t.strides_ = strides.empty() ? contiguousStrides(t.shape_) : std::move(strides);
  t.dtype_ = dtype;
  t.device_ = device;
  t.storage_ = std::move(owner);
  return t;
}

int64_t Tensor::size(int64_t d) const {
  if (d < 0) {
    d += dim();
  }
  if (d < 0 || d >= dim()) {
    fail(ErrorKind::OutOfRange, "dimension " + std::to_string(d) + " out of range for a " +
                                    std::to_string(dim()) + "-D tensor");
  }
  return shape_[d];
}

int64_t Tensor::numel() const {
  return std::accumulate(shape_.begin(), shape_.end(), int64_t{1}, std::multiplies<>());
}

bool Tensor::isContiguous() const {
  return numel() <= 1 || [&] {
    auto expected = contiguousStrides(shape_);
    for (size_t i = 0; i < shape_.size(); ++i) {
      if (shape_[i] != 1 && strides_[i] != expected[i]) {
        return false;
      }
    }
    return true;
  }();
}

Tensor Tensor::sliceFirst(int64_t start, int64_t stop) const {
  if (dim() == 0 || start < 0 || stop < start || stop > shape_[0]) {
    fail(ErrorKind::OutOfRange, "slice [" + std::to_string(start) + ", " +
                                    std::to_string(stop) + ") out of range");
  }
  Tensor t = *this;
  t.data_ = static_cast<uint8_t*>(data_) + start * strides_[0] * dtypeSize(dtype_);
  t.shape_[0] = stop - start;
  return t;
}

namespace {

DLDataType toDLDataType(DType dtype) {
  switch (dtype) {
    case DType::UInt8:
      return {kDLUInt, 8, 1};
    case DType::Int16:
      return {kDLInt, 16, 1};
    case DType::Int32:
      return {kDLInt, 32, 1};
    case DType::Int64:
      return {kDLInt, 64, 1};
    case DType::Float32:
      return {kDLFloat, 32, 1};
    case DType::Float64:
      return {kDLFloat, 64, 1};
  }
  return {kDLUInt, 8, 1};
}

DType fromDLDataType(DLDataType t) {
  if (t.lanes == 1) {
    if (t.code == kDLUInt && t.bits == 8) return DType::UInt8;
    if (t.code == kDLInt && t.bits == 16) return DType::Int16;
    if (t.code == kDLInt && t.bits == 32) return DType::Int32;
    if (t.code == kDLInt && t.bits == 64) return DType::Int64;
    if (t.code == kDLFloat && t.bits == 32) return DType::Float32;
    if (t.code == kDLFloat && t.bits == 64) return DType::Float64;
  }
  fail(ErrorKind::InvalidArgument,
       "unsupported tensor dtype (DLPack code " + std::to_string(t.code) + ", " +
           std::to_string(t.bits) + " bits); supported: uint8, int16, int32, int64, "
           "float32, float64");
}

// What a handed-out DLManagedTensor owns: the tensor (keeping its storage
// alive) and the shape/stride arrays DLPack points into.
struct ExportContext {
  Tensor tensor;
  std::vector<int64_t> shape;
  std::vector<int64_t> strides;
  DLManagedTensor managed{};
};

}  // namespace

DLManagedTensor* Tensor::toDLPack() const {
  auto* ctx = new ExportContext{*this, shape_, strides_, {}};
  DLTensor& dl = ctx->managed.dl_tensor;
  dl.data = data_;
  dl.device = device_.isCpu() ? DLDevice{kDLCPU, 0} : DLDevice{kDLCUDA, device_.index};
  dl.ndim = static_cast<int32_t>(shape_.size());
  dl.dtype = toDLDataType(dtype_);
  dl.shape = ctx->shape.data();
  dl.strides = ctx->strides.data();
  dl.byte_offset = 0;
  ctx->managed.manager_ctx = ctx;
  ctx->managed.deleter = [](DLManagedTensor* self) {
    delete static_cast<ExportContext*>(self->manager_ctx);
  };
  return &ctx->managed;
}

Tensor Tensor::fromDLPack(DLManagedTensor* managed) {
  // Own the managed tensor first so that it is released on every path.
  std::shared_ptr<DLManagedTensor> owner(managed, [](DLManagedTensor* m) {
    if (m->deleter != nullptr) {
      m->deleter(m);
    }
  });
  const DLTensor& dl = managed->dl_tensor;
  DType dtype = fromDLDataType(dl.dtype);
  Device device;
  if (dl.device.device_type == kDLCPU || dl.device.device_type == kDLCUDAHost) {
    device = Device::cpu();
  } else if (dl.device.device_type == kDLCUDA) {
    device = Device::cuda(dl.device.device_id);
  } else {
    fail(ErrorKind::InvalidArgument,
         "unsupported tensor device (DLPack device type " +
             std::to_string(dl.device.device_type) + "); supported: cpu, cuda");
  }
  std::vector<int64_t> shape(dl.shape, dl.shape + dl.ndim);
  std::vector<int64_t> strides =
      dl.strides != nullptr ? std::vector<int64_t>(dl.strides, dl.strides + dl.ndim)
                            : contiguousStrides(shape);
  void* data = static_cast<uint8_t*>(dl.data) + dl.byte_offset;
  return fromBlob(data, std::move(shape), std::move(strides), dtype, device, std::move(owner));
}

}  // namespace codecflow

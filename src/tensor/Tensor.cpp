#include "codecflow/Tensor.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <new>
#include <numeric>
#include <string>
#include <vector>

#include "codecflow/Error.h"

namespace codecflow {

namespace {

// Note [Reusing frame batches]
// A batch of 1080p frames is hundreds of MB. Fresh memory from the system
// arrives as zeroed pages, one fault per 4 KiB page, and that costs more
// than converting the frames into it (writing 622 MB: 490 ms fresh, 32 ms
// again). Large blocks freed by their last tensor are kept, least recently
// freed evicted first, up to a bound, and handed to the next tensor of the
// same size, so a loop over batches touches the same memory again. The
// default bound follows what the process just used, about two batches:
// twice the last block freed, at most 256 MiB, so that after the last batch
// of a loop (and in every DataLoader worker) little stays behind; it may be
// set instead. A kept block is marked
// MADV_FREE: under memory pressure the kernel takes its pages back without
// swapping them, and until it does, writing into them again faults nothing
// (the same 622 MB: 60 ms). Memory that is kept therefore never holds back
// the rest of the machine.
class BlockCache {
 public:
  static BlockCache& instance() {
    static BlockCache* cache = new BlockCache();  // never destroyed: tensors may outlive exit
    return *cache;
  }

  void* take(size_t size) {
    if (size < kMinBlock) {
      return nullptr;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    // The most recently freed block of this size: the likeliest to still
    // have its pages.
    for (auto it = blocks_.rbegin(); it != blocks_.rend(); ++it) {
      if (it->size == size) {
        void* block = it->data;
        cached_ -= size;
        blocks_.erase(std::next(it).base());
        return block;
      }
    }
    return nullptr;
  }

  void give(void* block, size_t size) {
    size_t bound = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!fixed_ && size >= kMinBlock) {
        // Twice the largest of the last few blocks freed: a loop that frees
        // a batch of frames and a smaller one of samples keeps both.
        recent_[recentNext_++ % recent_.size()] = size;
        size_t largest = *std::max_element(recent_.begin(), recent_.end());
        limit_ = std::min(kDefaultFrameCacheCap, 2 * largest);
      }
      bound = limit_;
    }
    if (size < kMinBlock || size > bound) {
      std::free(block);
      // A smaller default bound may leave less room for what is kept.
      changeThenEvict([] {});
      return;
    }
    // Before the block is visible to take(): once another thread has it,
    // marking its pages would let the kernel drop what that thread wrote.
    releasePages(block, size);
    changeThenEvict([&] {
      blocks_.push_back({block, size});
      cached_ += size;
    });
  }

  size_t limit() {
    std::lock_guard<std::mutex> lock(mutex_);
    return limit_;
  }

  // A fixed limit, or the default one when `limit` is negative.
  void setLimit(int64_t limit) {
    changeThenEvict([&] {
      fixed_ = limit >= 0;
      limit_ = fixed_ ? static_cast<size_t>(limit) : std::min(limit_, kDefaultFrameCacheCap);
    });
  }

  size_t cached() {
    std::lock_guard<std::mutex> lock(mutex_);
    return cached_;
  }

 private:
  struct Block {
    void* data;
    size_t size;
  };

  static constexpr size_t kMinBlock = size_t{1} << 20;

  // Applies `change` under the lock, then drops the oldest blocks until the
  // kept ones fit the limit (freed outside the lock).
  template <typename Change>
  void changeThenEvict(Change change) {
    std::vector<void*> evicted;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      change();
      while (cached_ > limit_ && !blocks_.empty()) {
        evicted.push_back(blocks_.front().data);
        cached_ -= blocks_.front().size;
        blocks_.pop_front();
      }
    }
    for (void* p : evicted) {
      std::free(p);
    }
  }

  // Marks a block's whole pages as reclaimable (outside the lock: it walks
  // every page).
  static void releasePages(void* block, size_t size) {
#ifdef MADV_FREE
    auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
    uintptr_t begin = (reinterpret_cast<uintptr_t>(block) + page - 1) / page * page;
    uintptr_t end = (reinterpret_cast<uintptr_t>(block) + size) / page * page;
    if (end > begin) {
      madvise(reinterpret_cast<void*>(begin), end - begin, MADV_FREE);
    }
#else
    (void)block;
    (void)size;
#endif
  }

  std::mutex mutex_;
  std::deque<Block> blocks_;  // oldest first
  size_t cached_ = 0;
  // The default bound before anything was freed: nothing is kept yet, and
  // the first block freed sets it.
  size_t limit_ = 0;
  bool fixed_ = false;
  std::array<size_t, 4> recent_{};  // sizes of the last large blocks freed
  size_t recentNext_ = 0;
};

}  // namespace

size_t frameCacheLimit() { return BlockCache::instance().limit(); }

void setFrameCacheLimit(int64_t bytes) {
  BlockCache::instance().setLimit(checkRange(kFrameCacheLimitRange, bytes));
}

void useDefaultFrameCacheLimit() { BlockCache::instance().setLimit(-1); }

size_t frameCacheBytes() { return BlockCache::instance().cached(); }

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

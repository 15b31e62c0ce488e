#include "tensor/BlockCache.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "codecflow/Error.h"
#include "codecflow/Tensor.h"

namespace codecflow {

void BlockCache::releasePages(void* block, size_t size) {
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

size_t defaultFrameCacheCap() {
  long pages = sysconf(_SC_PHYS_PAGES);
  long pageSize = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || pageSize <= 0) {
    return kDefaultFrameCacheCapMin;
  }
  size_t eighth = static_cast<size_t>(pages) / 8 * static_cast<size_t>(pageSize);
  return std::clamp(eighth, kDefaultFrameCacheCapMin, kDefaultFrameCacheCapMax);
}

size_t frameCacheLimit() { return BlockCache::instance().limit(); }

void setFrameCacheLimit(int64_t bytes) {
  BlockCache::instance().setLimit(checkRange(kFrameCacheLimitRange, bytes));
}

void useDefaultFrameCacheLimit() { BlockCache::instance().setLimit(-1); }

size_t frameCacheBytes() { return BlockCache::instance().cached(); }

}  // namespace codecflow

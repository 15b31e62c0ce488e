// The process-wide cache of large freed tensor blocks behind
// Tensor::empty (Note [Reusing frame batches]), and the frame-cache limit
// functions of codecflow/Tensor.h.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <vector>

#include "codecflow/Tensor.h"

namespace codecflow {

// Note [Reusing frame batches]
// A batch of 1080p frames is hundreds of MB. Fresh memory from the system
// arrives as zeroed pages, one fault per 4 KiB page, and that costs more
// than converting the frames into it (writing 622 MB: 490 ms fresh, 32 ms
// again). Large blocks freed by their last tensor are kept, least recently
// freed evicted first, up to a bound, and handed to the next tensor of the
// same size, so a loop over batches touches the same memory again. The
// default bound follows what the process just used, about two batches:
// twice the largest of the last few blocks freed, so that after the last
// batch of a loop (and in every DataLoader worker) no more stays behind than
// the loop itself used, and never more than an eighth of the machine's
// memory (256 MiB to 2 GiB): a 100-frame 1080p batch (622 MB) is kept, as it
// must be for a loop over such batches to run at the CLI's speed (a bound of
// 256 MiB left the 1080p whole-file benchmark row at 0.70 of the CLI). It
// may be set instead. A kept block is marked
// MADV_FREE: under memory pressure the kernel takes its pages back without
// swapping them, and until it does, writing into them again faults nothing
// (the same 622 MB: 60 ms). Memory that is kept therefore never holds back
// the rest of the machine. Marking walks every page (2 to 3 ms per 100 MB,
// 2 % of decoding 1080p H.264 in order on one thread), so the block freed
// last waits unmarked until another block is freed after it: a loop that
// frees a batch and takes its memory back for the next one marks nothing,
// and what a loop leaves unmarked behind it is its last block alone.
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
    std::vector<Block> unmarked;  // the one freed before this one, not taken back
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!fixed_ && size >= kMinBlock) {
        // Twice the largest of the last few blocks freed: a loop that frees
        // a batch of frames and a smaller one of samples keeps both.
        recent_[recentNext_++ % recent_.size()] = size;
        size_t largest = *std::max_element(recent_.begin(), recent_.end());
        limit_ = std::min(cap_, 2 * largest);
      }
      bound = limit_;
      // Out of take()'s reach while they are marked: once another thread
      // has a block, marking its pages would let the kernel drop what that
      // thread wrote.
      for (auto it = blocks_.begin(); it != blocks_.end();) {
        if (it->marked) {
          ++it;
          continue;
        }
        unmarked.push_back(*it);
        cached_ -= it->size;
        it = blocks_.erase(it);
      }
    }
    for (Block& kept : unmarked) {
      releasePages(kept.data, kept.size);
      kept.marked = true;
    }
    bool keep = size >= kMinBlock && size <= bound;
    if (!keep) {
      std::free(block);
    }
    // (Without a block to keep, a smaller default bound may still leave less
    // room for what is kept.)
    changeThenEvict([&] {
      for (const Block& kept : unmarked) {
        blocks_.push_back(kept);
        cached_ += kept.size;
      }
      if (keep) {
        blocks_.push_back({block, size, false});
        cached_ += size;
      }
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
      limit_ = fixed_ ? static_cast<size_t>(limit) : std::min(limit_, cap_);
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
    bool marked;  // its pages were marked reclaimable (releasePages)
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
  static void releasePages(void* block, size_t size);

  std::mutex mutex_;
  const size_t cap_ = defaultFrameCacheCap();
  std::deque<Block> blocks_;  // oldest first
  size_t cached_ = 0;
  // The default bound before anything was freed: nothing is kept yet, and
  // the first block freed sets it.
  size_t limit_ = 0;
  bool fixed_ = false;
  std::array<size_t, 4> recent_{};  // sizes of the last large blocks freed
  size_t recentNext_ = 0;
};

}  // namespace codecflow

// Process-wide CUDA state of the CUDA backend: one FFmpeg CUDA device
// context per GPU (shared by NVDEC decoders and NVENC frame pools) on the device's primary context, retained by codecflow itself, which the CUDA runtime
// and torch use too, so that frames, kernels and tensors share memory), and
// a bounded cache of opened codec contexts so that a new decoder of a
// stream like a previous one reuses its NVDEC decoder instead of creating
// one (creating an NVDEC decoder costs milliseconds to tens of them).
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "device/HwAccel.h"
#include "device/cuda/ContextLru.h"
#include "ffmpeg/FFmpeg.h"

namespace codecflow {

class NvdecCache final : public DecoderContextCache {
 public:
  static NvdecCache& instance();

  // The FFmpeg CUDA device context of GPU `index`, created on first use and
  // kept for the life of the process. Throws Runtime when FFmpeg cannot
  // create it (no driver, no such GPU, FFmpeg without CUDA).
  AVBufferRef* device(int index);

  // A cached context opened for `key`, or nullptr.
  UniqueAVCodecContext take(const std::string& key) override;
  // Keeps `codec` (flushed by the caller) for a later take(key); evicts the
  // least recently returned contexts beyond the count or beyond the byte
  // bound of their GPU (ContextLru.h), destroyed after the lock is released.
  void put(const std::string& key, UniqueAVCodecContext codec) override;

  size_t capacity() const;
  void setCapacity(size_t capacity);
  size_t byteLimit() const;
  void setByteLimit(size_t bytes);
  size_t size() const;
  // The estimated device memory of the contexts kept for GPU `index`.
  size_t bytes(int index) const;

  // The device memory a cached context is counted for (nvdecSurfaceBytes
  // of its frame pool's size, format and surface count).
  static size_t estimateBytes(const AVCodecContext* codec);

 private:
  NvdecCache();
  static void dropInherited();

  mutable std::mutex mutex_;
  std::map<int, UniqueAVBufferRef> devices_;
  ContextLru<UniqueAVCodecContext> entries_;
};

}  // namespace codecflow

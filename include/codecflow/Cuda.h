// CUDA support of this build and machine, the NVDEC decoder cache, and the
// RGB -> NV12 conversion that encoders use for CUDA frames.
//
// Thread safety: every function may be called from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "codecflow/Tensor.h"

namespace codecflow {

// The YUV matrices the colour conversions implement.
enum class YuvMatrix : int { Bt601 = 0, Bt709 = 1, Bt2020 = 2 };

// True when the core was compiled with CUDA (nvcc found at build time).
bool builtWithCuda();

// The number of CUDA devices. Throws Runtime naming what is missing: a
// build without CUDA, or cudaGetDeviceCount's error (no driver, no GPU),
// or kForkedCudaMessage in a process forked after CUDA was used.
int cudaDeviceCount();

// CUDA state does not survive fork(): a child forked after the parent used
// CUDA drops what it inherited (leaked, never freed) and every CUDA use in
// it throws Runtime with this message.
inline constexpr const char* kForkedCudaMessage =
    "CUDA decoding needs spawn workers (multiprocessing start method 'spawn' or "
    "'forkserver'): this process was forked after CUDA was used, and CUDA contexts and "
    "NVDEC decoders do not survive fork()";

// The CUDA versions every CUDA-unavailable error names: "CUDA driver
// 12.4, runtime 13.0" ("CUDA driver none (no driver), ..." without a
// driver), or that the build has no CUDA runtime.
std::string cudaVersions();

// How many device -> host copies codecflow's CUDA code made in this process
// (0 without CUDA): lets tests check that a GPU path never goes through
// the host.
int64_t cudaDeviceToHostCopies();

// Whether this process is such a forked child (always false without CUDA).
bool cudaForkedChild();

constexpr size_t kDefaultNvdecCacheCapacity = 20;

// How many opened CUDA codec contexts (each holding an NVDEC decoder) are
// kept for reuse by later decoders of streams with the same codec, size
// and parameters. 0 disables the cache; lowering it evicts at once. A
// negative capacity throws InvalidArgument and leaves the setting as it was.
size_t nvdecCacheCapacity();
void setNvdecCacheCapacity(int64_t capacity);
// Contexts in the cache now.
size_t nvdecCacheSize();

// The bound on the device memory the cached contexts of one GPU hold,
// estimated from each one's surface pool (coded size, bit depth, surface
// count: about 1 GiB for 4K 10-bit HEVC, 125 MB for 1080p H.264); the
// least recently returned go first. 0 keeps nothing; a negative bound
// throws InvalidArgument and leaves the setting as it was.
constexpr size_t kDefaultNvdecCacheBytes = size_t{4} << 30;
size_t nvdecCacheByteLimit();
void setNvdecCacheByteLimit(int64_t bytes);
// The estimated bytes the cache holds on GPU `index` now.
size_t nvdecCacheBytes(int index);

// Hand-over of CUDA tensors between codecflow's stream of a GPU (Note [One
// stream per GPU] in src/device/cuda/CudaRuntime.h) and a consumer's,
// named as DLPack names streams: 1 the legacy default stream, 2 the
// per-thread default stream, -1 none (the consumer orders itself), any
// other value a cudaStream_t of that GPU. No host wait in either.
//
// cudaHandOver: `consumer`'s later work waits for everything queued on
// codecflow's stream so far (a batch's colour kernels and copies). Throws
// InvalidArgument for 0 (ambiguous in DLPack), Runtime for CUDA errors.
void cudaHandOver(int device, int64_t consumer);
// cudaTakeBack: codecflow's stream waits for everything queued on
// `consumer` so far, before memory the consumer used is freed on
// codecflow's stream and reused (-1 counts as the legacy stream here).
// Never throws: a CUDA error leaves the order as it was.
void cudaTakeBack(int device, int64_t consumer) noexcept;
// codecflow's stream of GPU `device` as such a number (created on first
// use); Runtime error without CUDA.
int64_t cudaStream(int device);

// Converts packed RGB (H, W, 3) uint8, with pixels 3 bytes apart and any
// row stride, to NV12: a new (H * 3 / 2, W) uint8 tensor on the same device
// whose first H rows are Y and the rest interleaved Cb/Cr at half
// resolution (chroma from each 2x2 block's mean). CUDA tensors are
// converted by a kernel on the device, CPU tensors by the reference code
// with the same arithmetic. H and W must be even. Throws InvalidArgument
// for other shapes, dtypes or layouts, Runtime for CUDA errors.
Tensor rgbToNv12(const Tensor& rgb, YuvMatrix matrix, bool fullRange);

}  // namespace codecflow

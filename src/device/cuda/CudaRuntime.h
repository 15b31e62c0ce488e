// Thin wrappers over the CUDA runtime for the core's plain C++ (no CUDA
// types in the interface). Each returns the CUDA error code, 0 on success.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace codecflow::cuda {

// The error's name and description, e.g. "cudaErrorNoDevice: no CUDA-capable
// device is detected".
std::string errorText(int code);

// "CUDA driver 12.4, runtime 13.0" (the driver's CUDA version, "no
// driver" when none is installed; the runtime linked into codecflow).
std::string versions();

int deviceCount(int& count);
// Plain cudaMalloc / cudaFree, for tests and scratch buffers; output
// batches come from CudaMemory.h.
int allocate(void** pointer, size_t bytes);
int release(void* pointer);
// Synchronous copies for tests and tools: they start after the work queued
// so far on codecflow's stream of the device (and on the legacy stream).
int copyHostToDevice(void* dst, const void* src, size_t bytes);
int copyDeviceToHost(void* dst, const void* src, size_t bytes);
// Device -> host copies made in this process (the copy helpers here, and
// the frame sink's download), for tests that check a path makes none.
void countDeviceToHostCopy();
int64_t deviceToHostCopies();
// Waits for everything queued on the current GPU, every stream (tests and
// tools only: codecflow's own code never waits for the whole device).
int synchronize();

// Note [One stream per GPU]
// Every kernel and copy of codecflow runs on one stream per GPU, created
// non-blocking (it never waits for the legacy default stream, torch's
// default, nor makes it wait) the first time the GPU is used and kept for
// the life of the process; FFmpeg's device context of that GPU has it too
// (AVCUDADeviceContext.stream), so NVDEC's copies out of its surfaces and
// codecflow's kernels reading them are in one order. Consumers order their
// work after a batch with an event (streamWait), never with a host wait.
int stream(int index, void** stream);
// The stream handles DLPack's stream numbers name (1 and 2).
void* legacyStream();
void* perThreadStream();
// Makes `waiter` wait for the work queued on `producer` so far (an event
// recorded there); no host wait. Both streams belong to the current GPU.
int streamWait(void* waiter, void* producer);
int synchronizeStream(void* stream);

// Stream-ordered copies (pageable host memory is read before the call
// returns, as cudaMemcpyAsync does).
int copyHostToDeviceAsync(void* dst, const void* src, size_t bytes, void* stream);
int copyDeviceToDeviceAsync(void* dst, const void* src, size_t bytes, void* stream);
// 2-D copy from a device buffer to host memory, finished when it returns.
int copy2DToHost(void* dst, size_t dstPitch, const void* src, size_t srcPitch, size_t widthBytes,
                 size_t rows, void* stream);
// cudaMallocAsync / cudaFreeAsync.
int allocateAsync(void** pointer, size_t bytes, void* stream);
int releaseAsync(void* pointer, void* stream);

// Whether this process is a fork of one that had used CUDA (a CUDA call
// made through these wrappers before the fork): its contexts, decoders and
// memory cannot work in the child; the fork handler dropped them.
bool forkedAfterCudaUse();

// The primary context of GPU `index` (a CUcontext), retained once by
// codecflow for the life of the process (cuDevicePrimaryCtxRetain, through
// the runtime's driver entry points: no link to libcuda). nullptr and
// `error` set (the driver's reason) when the driver cannot give it.
void* primaryContext(int index, std::string& error);
// The calling thread's current driver context (nullptr: none); push and
// pop make a context current for a scope and restore exactly what was
// there. Each returns 0 on success, non-zero when the driver is missing.
int currentContext(void** context);
int pushContext(void* context);
int popContext();

}  // namespace codecflow::cuda

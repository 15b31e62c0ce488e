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
int allocate(void** pointer, size_t bytes);
int release(void* pointer);
int copyHostToDevice(void* dst, const void* src, size_t bytes);
int copyDeviceToDevice(void* dst, const void* src, size_t bytes);
int copyDeviceToHost(void* dst, const void* src, size_t bytes);
// 2-D copy between device buffers (pitches in bytes).
int copy2D(void* dst, size_t dstPitch, const void* src, size_t srcPitch, size_t widthBytes,
           size_t rows);
// 2-D copy from a device buffer to host memory (synchronous).
int copy2DToHost(void* dst, size_t dstPitch, const void* src, size_t srcPitch, size_t widthBytes,
                 size_t rows);
// Device -> host copies made in this process (the copy helpers above, and
// the frames sinks download), for tests that check a path makes none.
void countDeviceToHostCopy();
int64_t deviceToHostCopies();
// Waits for everything queued on the legacy default stream.
int synchronize();

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

#include "device/cuda/CudaRuntime.h"

#include <cuda_runtime_api.h>

namespace codecflow::cuda {

std::string errorText(int code) {
  auto error = static_cast<cudaError_t>(code);
  return std::string(cudaGetErrorName(error)) + ": " + cudaGetErrorString(error);
}

int deviceCount(int& count) {
  count = 0;
  return cudaGetDeviceCount(&count);
}

int setDevice(int index) { return cudaSetDevice(index); }

int currentDevice(int& index) { return cudaGetDevice(&index); }

int allocate(void** pointer, size_t bytes) { return cudaMalloc(pointer, bytes); }

int release(void* pointer) { return cudaFree(pointer); }

int copyHostToDevice(void* dst, const void* src, size_t bytes) {
  return cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice);
}

int copyDeviceToDevice(void* dst, const void* src, size_t bytes) {
  return cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToDevice);
}

int copyDeviceToHost(void* dst, const void* src, size_t bytes) {
  return cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost);
}

int copy2D(void* dst, size_t dstPitch, const void* src, size_t srcPitch, size_t widthBytes,
           size_t rows) {
  return cudaMemcpy2D(dst, dstPitch, src, srcPitch, widthBytes, rows, cudaMemcpyDeviceToDevice);
}

int copy2DToHost(void* dst, size_t dstPitch, const void* src, size_t srcPitch, size_t widthBytes,
                 size_t rows) {
  return cudaMemcpy2D(dst, dstPitch, src, srcPitch, widthBytes, rows, cudaMemcpyDeviceToHost);
}

int synchronize() { return cudaStreamSynchronize(cudaStreamLegacy); }

}  // namespace codecflow::cuda

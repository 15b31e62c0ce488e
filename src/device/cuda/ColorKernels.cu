#include "device/cuda/ColorKernels.h"

#include <cuda_runtime.h>

namespace codecflow::cuda {

namespace {

__global__ void yuvToRgbKernel(color::YuvPlanes in, YuvToRgb c, color::RgbImage out) {
  int x = blockIdx.x * blockDim.x + threadIdx.x;
  int y = blockIdx.y * blockDim.y + threadIdx.y;
  if (x < in.width && y < in.height) {
    color::convertPixel(in, c, out, x, y);
  }
}

__global__ void rgbToNv12Kernel(color::RgbSource in, int width, int height, RgbToYuv c,
                                color::Nv12Image out) {
  int bx = blockIdx.x * blockDim.x + threadIdx.x;
  int by = blockIdx.y * blockDim.y + threadIdx.y;
  if (bx < (width + 1) / 2 && by < (height + 1) / 2) {
    color::convertBlock(in, width, height, c, out, bx, by);
  }
}

dim3 gridFor(int width, int height, dim3 block) {
  return dim3((width + block.x - 1) / block.x, (height + block.y - 1) / block.y);
}

}  // namespace

int launchYuvToRgb(const color::YuvPlanes& in, const YuvToRgb& coefficients,
                   const color::RgbImage& out, void* stream) {
  if (in.width <= 0 || in.height <= 0) {
    return cudaSuccess;
  }
  dim3 block(32, 8);
  yuvToRgbKernel<<<gridFor(in.width, in.height, block), block, 0,
                   static_cast<cudaStream_t>(stream)>>>(in, coefficients, out);
  return cudaGetLastError();
}

int launchRgbToNv12(const color::RgbSource& in, int width, int height,
                    const RgbToYuv& coefficients, const color::Nv12Image& out, void* stream) {
  if (width <= 0 || height <= 0) {
    return cudaSuccess;
  }
  dim3 block(32, 8);
  rgbToNv12Kernel<<<gridFor((width + 1) / 2, (height + 1) / 2, block), block, 0,
                    static_cast<cudaStream_t>(stream)>>>(in, width, height, coefficients,
                                                         out);
  return cudaGetLastError();
}

}  // namespace codecflow::cuda

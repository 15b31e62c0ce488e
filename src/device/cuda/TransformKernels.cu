#include "device/cuda/TransformKernels.h"

#include <cuda_runtime.h>

#include <algorithm>

namespace codecflow::cuda {

namespace {

// Without a resize: colour, rotation and crops in one pass.
__global__ void viewKernel(transform::SourceView view, color::RgbImage out, int width,
                           int height) {
  int x = blockIdx.x * blockDim.x + threadIdx.x;
  int y = blockIdx.y * blockDim.y + threadIdx.y;
  if (x < width && y < height) {
    transform::viewPixel(view, out, x, y);
  }
}

// A resize's horizontal pass, reading the decoded frame (colour, rotation
// and crops fused) or the previous resize's output.
template <typename Source>
__global__ void rowsKernel(Source in, int inWidth, int inHeight, int outWidth,
                           transform::Rows rows) {
  int x = blockIdx.x * blockDim.x + threadIdx.x;
  int y = blockIdx.y * blockDim.y + threadIdx.y;
  if (x < outWidth && y < inHeight) {
    transform::resizeRowPixel(in, inWidth, outWidth, rows, x, y);
  }
}

// A resize's vertical pass over the window the following crops keep.
__global__ void columnsKernel(transform::Rows rows, TransformPlan::Resize r, bool deep,
                              transform::Dest out) {
  int x = blockIdx.x * blockDim.x + threadIdx.x;
  int y = blockIdx.y * blockDim.y + threadIdx.y;
  if (x < r.width && y < r.height) {
    transform::resizeColumnPixel(rows, r.inHeight, r.outHeight, r.top, r.left, deep, out, x, y);
  }
}

dim3 gridFor(int width, int height, dim3 block) {
  return dim3((width + block.x - 1) / block.x, (height + block.y - 1) / block.y);
}

int grow(void*& pointer, size_t& have, size_t need, cudaStream_t stream) {
  if (need <= have) {
    return cudaSuccess;
  }
  if (pointer != nullptr) {
    cudaFreeAsync(pointer, stream);
    pointer = nullptr;
    have = 0;
  }
  int rc = cudaMallocAsync(&pointer, need, stream);
  if (rc == cudaSuccess) {
    have = need;
  }
  return rc;
}

}  // namespace

TransformScratch::~TransformScratch() {
  auto s = static_cast<cudaStream_t>(stream_);
  for (void* pointer : {rows_, images_[0], images_[1]}) {
    if (pointer != nullptr) {
      cudaFreeAsync(pointer, s);
    }
  }
}

int TransformScratch::reserve(const TransformPlan& plan) {
  size_t rows = 0, image = 0;
  size_t element = plan.floatOutput ? 2 : 1;
  for (const TransformPlan::Resize& r : plan.resizes) {
    rows = std::max(rows, static_cast<size_t>(r.inHeight) * r.outWidth * 3 * sizeof(float));
    image = std::max(image, static_cast<size_t>(r.width) * r.height * 3 * element);
  }
  int rc = grow(rows_, rowsBytes_, rows, static_cast<cudaStream_t>(stream_));
  if (rc != cudaSuccess || plan.resizes.size() < 2) {
    return rc;
  }
  size_t have = imageBytes_;
  rc = grow(images_[0], have, image, static_cast<cudaStream_t>(stream_));
  if (rc == cudaSuccess) {
    have = imageBytes_;
    rc = grow(images_[1], have, image, static_cast<cudaStream_t>(stream_));
    if (rc == cudaSuccess) {
      imageBytes_ = have;
    }
  }
  return rc;
}

int launchTransform(const TransformPlan& plan, const color::YuvPlanes& planes,
                    const YuvToRgb& coefficients, void* out, int64_t outPitch,
                    TransformScratch& scratch, void* stream) {
  auto s = static_cast<cudaStream_t>(stream);
  dim3 block(32, 8);
  transform::SourceView view = sourceView(plan, planes, coefficients);
  if (plan.resizes.empty()) {
    if (plan.width <= 0 || plan.height <= 0) {
      return cudaSuccess;
    }
    viewKernel<<<gridFor(plan.width, plan.height, block), block, 0, s>>>(
        view, color::RgbImage{out, outPitch, plan.floatOutput}, plan.width, plan.height);
    return cudaGetLastError();
  }
  int rc = scratch.reserve(plan);
  if (rc != cudaSuccess) {
    return rc;
  }
  int64_t element = plan.floatOutput ? 2 : 1;
  transform::Image previous;
  for (size_t i = 0; i < plan.resizes.size(); ++i) {
    const TransformPlan::Resize& r = plan.resizes[i];
    transform::Rows rows{scratch.rows(), static_cast<int64_t>(r.outWidth) * 3};
    dim3 rowsGrid = gridFor(r.outWidth, r.inHeight, block);
    if (i == 0) {
      rowsKernel<<<rowsGrid, block, 0, s>>>(view, r.inWidth, r.inHeight, r.outWidth, rows);
    } else {
      rowsKernel<<<rowsGrid, block, 0, s>>>(previous, r.inWidth, r.inHeight, r.outWidth, rows);
    }
    transform::Dest dest;
    if (i + 1 == plan.resizes.size()) {
      dest = {out, outPitch,
              plan.floatOutput ? transform::Dest::Kind::FloatOfWord : transform::Dest::Kind::Byte};
    } else {
      void* image = scratch.image(static_cast<int>(i % 2));
      int64_t pitch = static_cast<int64_t>(r.width) * 3 * element;
      dest = {image, pitch,
              plan.floatOutput ? transform::Dest::Kind::Word : transform::Dest::Kind::Byte};
      previous = {image, pitch, plan.floatOutput};
    }
    columnsKernel<<<gridFor(r.width, r.height, block), block, 0, s>>>(rows, r,
                                                                      plan.floatOutput, dest);
    rc = cudaGetLastError();
    if (rc != cudaSuccess) {
      return rc;
    }
  }
  return cudaSuccess;
}

}  // namespace codecflow::cuda

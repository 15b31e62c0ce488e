// Launchers of the CUDA colour kernels. The interface holds no CUDA types,
// so the core's plain C++ can call it; errors come back as the CUDA error
// code (0 = success; cudaErrorText() in CudaDevice.h names it).
//
// The kernels run the per-pixel code of ColorMatrix.h, the same code as the
// CPU reference (YuvRgb.h), on the given stream (nullptr: the legacy default
// stream, which orders them after FFmpeg's NVDEC copies on that stream).
#pragma once

#include "convert/ColorMatrix.h"

namespace codecflow::cuda {

// NV12 / P010 (device memory) -> packed RGB uint8 or float32 (device
// memory), every pixel of in.width x in.height.
int launchYuvToRgb(const color::YuvPlanes& in, const YuvToRgb& coefficients,
                   const color::RgbImage& out, void* stream);

// uint8 RGB, packed or planar (device memory) -> NV12 or P010 (device
// memory, e.g. an NVENC input frame).
int launchRgbToNv12(const color::RgbSource& in, int width, int height,
                    const RgbToYuv& coefficients, const color::Nv12Image& out, void* stream);

}  // namespace codecflow::cuda

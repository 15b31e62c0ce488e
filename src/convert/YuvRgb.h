// The CPU reference of the CUDA colour kernels: the same per-pixel code
// (ColorMatrix.h) run in plain loops. It defines what the GPU computes and
// lets the tests check that arithmetic against swscale on any machine.
//
// Note [Choosing the matrix]
// The frame's colorspace picks the matrix as swscale's
// sws_getCoefficients does for the three we implement: BT.709 -> BT.709,
// BT.2020 (NCL and CL) -> BT.2020, everything else (unspecified,
// BT.470BG, SMPTE 170M, ...) -> BT.601; FCC and SMPTE 240M have matrices of
// their own in swscale, which the kernels lack (kernelHasMatrix): those
// frames go through swscale. The range is full
// only when the frame says so (AVCOL_RANGE_JPEG) or its format is a
// full-range "J" format; unspecified is limited, as in swscale.
#pragma once

#include <cstdint>

#include "convert/ColorMatrix.h"

namespace codecflow {

// The matrix for an AVColorSpace value (see Note [Choosing the matrix]).
YuvMatrix matrixForColorSpace(int avColorSpace);
// Whether matrixForColorSpace's matrix is the one swscale uses for it
// (false for FCC and SMPTE 240M, whose frames must be converted by swscale).
bool kernelHasMatrix(int avColorSpace);
const char* matrixName(YuvMatrix matrix);

// NV12 / P010 -> packed RGB, every pixel.
void yuvToRgbReference(const color::YuvPlanes& in, YuvMatrix matrix, bool fullRange,
                       const color::RgbImage& out);

// uint8 RGB (packed or planar) -> NV12 or P010 (4:2:0, chroma from each
// 2x2 block's mean): what the CUDA kernel of encoders computes.
void rgbToNv12Reference(const color::RgbSource& in, int width, int height, YuvMatrix matrix,
                        bool fullRange, const color::Nv12Image& out);

}  // namespace codecflow

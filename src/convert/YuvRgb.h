// The CPU reference of the CUDA colour kernels: the same per-pixel code
// (ColorMatrix.h) run in plain loops. It defines what the GPU computes and
// lets the tests check that arithmetic against swscale on any machine.
//
// Note [Choosing the matrix]
// The frame's colorspace picks the matrix through swscale's own
// sws_getCoefficients, as the CPU path does: BT.709, BT.2020 (NCL and CL),
// FCC and SMPTE 240M have their own, everything else (unspecified,
// BT.470BG, SMPTE 170M, ...) is BT.601. The range is full only when the
// frame says so (AVCOL_RANGE_JPEG) or its format is a full-range "J"
// format; unspecified is limited, as in swscale.
#pragma once

#include <cstdint>

#include "convert/ColorMatrix.h"

struct AVFrame;

namespace codecflow {

// The coefficients for frames of an AVColorSpace value and range (see
// Note [Choosing the matrix]).
YuvToRgb yuvToRgbFor(int avColorSpace, bool fullRange);
const char* matrixName(YuvMatrix matrix);

// The planes of `frame` in `layout` (its sw_format for a CUDA frame, else
// its format): NV12, P010, P016, yuv444p or yuv444p16, as the kernels read
// them, seen through the top/left crop libavcodec leaves to hardware frames
// (crop_top, crop_left; the right and bottom ones are already out of the
// width and height). Each plane starts where av_frame_apply_cropping puts
// it for the CPU path: 4:2:0 chroma at (crop_top >> 1, crop_left >> 1), so
// that odd crops give the CPU path's pixels too. False for other layouts.
bool framePlanes(const AVFrame* frame, int layout, color::YuvPlanes& planes);

// NV12 / P010 / 4:4:4 -> packed RGB, every pixel.
void yuvToRgbReference(const color::YuvPlanes& in, const YuvToRgb& coefficients,
                       const color::RgbImage& out);

// uint8 RGB (packed or planar) -> NV12 or P010 (4:2:0, chroma from each
// 2x2 block's mean): what the CUDA kernel of encoders computes.
void rgbToNv12Reference(const color::RgbSource& in, int width, int height, YuvMatrix matrix,
                        bool fullRange, const color::Nv12Image& out);

}  // namespace codecflow

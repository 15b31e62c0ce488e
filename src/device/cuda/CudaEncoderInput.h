// CUDA RGB tensors into encoder frames.
//
// Note [CUDA frames to encoders]
// - NVENC (h264_nvenc, hevc_nvenc, av1_nvenc): the encoder gets a pool of
//   CUDA frames (hw_frames_ctx on the backend's device context) of NV12, or
//   P010 when the stream's pixel format is 10-bit (p010le); the colour
//   kernel writes each RGB frame, packed or planar, into one of them
//   (BT.601, limited range: what encoders assume for untagged video, and
//   what the CPU path's swscale does), and NVENC reads it there. Nothing
//   crosses to the host but the bitstream.
// - Any other encoder (a GPU without NVENC, or a CPU encoder asked for):
//   the RGB frame is copied to the host and converted by the CPU backend's
//   swscale input, so the output equals that of the same frames given on
//   the CPU.
// Work runs on the legacy default stream, which FFmpeg's CUDA code uses
// too; the host copy is synchronous.
#pragma once

#include <memory>

#include "device/DeviceBackend.h"

namespace codecflow {

// For a context whose codec takes CUDA frames: sets its hw_frames_ctx,
// pix_fmt (AV_PIX_FMT_CUDA) and sw_pix_fmt. Throws InvalidArgument for a
// pixel format other than yuv420p/nv12 (8-bit) and p010le (10-bit).
std::unique_ptr<EncoderInput> makeNvencInput(int device, AVCodecContext* context);

// For any other encoder: downloads each frame and converts it on the CPU.
std::unique_ptr<EncoderInput> makeDownloadInput(int device, const AVCodecContext* context);

// The sw_format a CUDA encoder's frames get for a requested pixel format
// (NV12 for yuv420p or nv12, P010 for p010le or yuv420p10le), or
// AV_PIX_FMT_NONE when the kernel cannot produce it.
AVPixelFormat nvencSurfaceFormat(AVPixelFormat requested);

}  // namespace codecflow

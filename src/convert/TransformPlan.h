// The GPU transform path's plan of a frame's way into the output batch
// (rotation, the decoder's resolved transforms) and the CPU reference that
// runs it with the kernels' per-pixel code (TransformMath.h).
//
// The plan is made once per sink from FramePipeline's resolved steps (so
// centred crops sit where the CPU path puts them, and random crops where
// the host drew them); every frame then runs it.
#pragma once

#include <cstdint>
#include <vector>

#include "codecflow/VideoDecoder.h"
#include "convert/TransformMath.h"

namespace codecflow {

struct TransformPlan {
  // One resize: from in* to out*, of whose output only the window (top,
  // left, width, height) is computed (the crops that follow it).
  struct Resize {
    int inWidth = 0;
    int inHeight = 0;
    int outWidth = 0;
    int outHeight = 0;
    int top = 0;
    int left = 0;
    int width = 0;
    int height = 0;
  };
  int frameWidth = 0;  // the decoded size, before rotation
  int frameHeight = 0;
  int turns = 0;  // clockwise quarter turns
  // The window of the rotated frame that the first resize reads (without
  // resizes: the output).
  int top = 0;
  int left = 0;
  int width = 0;
  int height = 0;
  std::vector<Resize> resizes;
  bool floatOutput = false;

  int outputWidth() const { return resizes.empty() ? width : resizes.back().width; }
  int outputHeight() const { return resizes.empty() ? height : resizes.back().height; }
};

// The plan for frames of `width` x `height` turned by `turns` clockwise
// quarter turns, then `steps` (crops with their corners resolved).
TransformPlan makeTransformPlan(int width, int height, int turns,
                                const std::vector<TransformStep>& steps, bool floatOutput);

// What the plan's first pass reads: `planes` (the decoded frame) turned
// and windowed as `plan` says, converted with `coefficients`. The kernels'
// launcher and the CPU reference both start from it.
inline transform::SourceView sourceView(const TransformPlan& plan, const color::YuvPlanes& planes,
                                        const YuvToRgb& coefficients) {
  transform::SourceView view;
  view.planes = planes;
  view.coefficients = coefficients;
  view.turns = plan.turns;
  view.top = plan.top;
  view.left = plan.left;
  view.deep = plan.floatOutput;
  return view;
}

// Runs `plan` on one frame with the kernels' per-pixel code into `out`
// (packed RGB, uint8 or float32 as the plan says, rows `outPitch` bytes
// apart).
void transformReference(const TransformPlan& plan, const color::YuvPlanes& planes,
                        const YuvToRgb& coefficients, void* out, int64_t outPitch);

}  // namespace codecflow

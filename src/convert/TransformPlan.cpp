#include "convert/TransformPlan.h"

#include "codecflow/Error.h"

namespace codecflow {

TransformPlan makeTransformPlan(int width, int height, int turns,
                                const std::vector<TransformStep>& steps, bool floatOutput) {
  TransformPlan plan;
  plan.frameWidth = width;
  plan.frameHeight = height;
  plan.turns = turns;
  plan.floatOutput = floatOutput;
  int w = turns % 2 == 1 ? height : width;
  int h = turns % 2 == 1 ? width : height;
  // The current window: of the rotated frame, then of the last resize's
  // output.
  int top = 0, left = 0;
  auto closeWindow = [&]() {
    if (plan.resizes.empty()) {
      plan.top = top;
      plan.left = left;
      plan.width = w;
      plan.height = h;
    } else {
      TransformPlan::Resize& r = plan.resizes.back();
      r.top = top;
      r.left = left;
      r.width = w;
      r.height = h;
    }
  };
  for (const TransformStep& step : steps) {
    if (step.kind == TransformStep::Kind::Crop) {
      if (step.top < 0 || step.left < 0 || step.top + step.height > h ||
          step.left + step.width > w) {
        fail(ErrorKind::InvalidArgument, "crop window lies outside the frame");
      }
      top += step.top;
      left += step.left;
      w = step.width;
      h = step.height;
      continue;
    }
    closeWindow();
    TransformPlan::Resize r;
    r.inWidth = w;
    r.inHeight = h;
    r.outWidth = step.width;
    r.outHeight = step.height;
    plan.resizes.push_back(r);
    top = left = 0;
    w = step.width;
    h = step.height;
  }
  closeWindow();
  return plan;
}

void transformReference(const TransformPlan& plan, const color::YuvPlanes& planes,
                        const YuvToRgb& coefficients, void* out, int64_t outPitch) {
  transform::SourceView view = sourceView(plan, planes, coefficients);
  if (plan.resizes.empty()) {
    color::RgbImage image{out, outPitch, plan.floatOutput};
    for (int y = 0; y < plan.height; ++y) {
      for (int x = 0; x < plan.width; ++x) {
        transform::viewPixel(view, image, x, y);
      }
    }
    return;
  }
  std::vector<float> rows;
  std::vector<uint8_t> images[2];
  transform::Image previous;
  int elementBytes = plan.floatOutput ? 2 : 1;
  for (size_t i = 0; i < plan.resizes.size(); ++i) {
    const TransformPlan::Resize& r = plan.resizes[i];
    rows.assign(static_cast<size_t>(r.inHeight) * r.outWidth * 3, 0.0f);
    transform::Rows rowsView{rows.data(), static_cast<int64_t>(r.outWidth) * 3};
    for (int y = 0; y < r.inHeight; ++y) {
      for (int x = 0; x < r.outWidth; ++x) {
        if (i == 0) {
          transform::resizeRowPixel(view, r.inWidth, r.outWidth, rowsView, x, y);
        } else {
          transform::resizeRowPixel(previous, r.inWidth, r.outWidth, rowsView, x, y);
        }
      }
    }
    bool last = i + 1 == plan.resizes.size();
    transform::Dest dest;
    if (last) {
      dest = {out, outPitch,
              plan.floatOutput ? transform::Dest::Kind::FloatOfWord : transform::Dest::Kind::Byte};
    } else {
      std::vector<uint8_t>& buffer = images[i % 2];
      int64_t pitch = static_cast<int64_t>(r.width) * 3 * elementBytes;
      buffer.assign(static_cast<size_t>(pitch) * r.height, 0);
      dest = {buffer.data(), pitch,
              plan.floatOutput ? transform::Dest::Kind::Word : transform::Dest::Kind::Byte};
      previous = {buffer.data(), pitch, plan.floatOutput};
    }
    for (int y = 0; y < r.height; ++y) {
      for (int x = 0; x < r.width; ++x) {
        transform::resizeColumnPixel(rowsView, r.inHeight, r.outHeight, r.top, r.left,
                                     plan.floatOutput, dest, x, y);
      }
    }
  }
}

}  // namespace codecflow

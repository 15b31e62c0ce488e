#include "convert/ImageResizer.h"

#include <algorithm>
#include <cmath>

namespace codecflow {

void ImageResizer::computeTaps(Taps& taps, int inSize, int outSize) {
  if (taps.inSize == inSize && taps.outSize == outSize) {
    return;
  }
  double scale = static_cast<double>(inSize) / outSize;
  // The triangle filter spans one input pixel on each side, widened by the
  // scale factor when shrinking so that every input pixel contributes.
  double support = scale >= 1.0 ? scale : 1.0;
  double invScale = scale >= 1.0 ? 1.0 / scale : 1.0;
  taps.inSize = inSize;
  taps.outSize = outSize;
  taps.maxCount = static_cast<int>(std::ceil(support)) * 2 + 1;
  taps.start.assign(outSize, 0);
  taps.count.assign(outSize, 0);
  taps.weights.assign(static_cast<size_t>(outSize) * taps.maxCount, 0.0f);
  for (int i = 0; i < outSize; ++i) {
    double center = scale * (i + 0.5);
    int lo = std::max(static_cast<int>(center - support + 0.5), 0);
    int hi = std::min(static_cast<int>(center + support + 0.5), inSize);
    int count = std::min(hi - lo, taps.maxCount);
    double total = 0.0;
    float* w = &taps.weights[static_cast<size_t>(i) * taps.maxCount];
    for (int j = 0; j < count; ++j) {
      double x = (j + lo - center + 0.5) * invScale;
      double value = std::max(0.0, 1.0 - std::fabs(x));
      w[j] = static_cast<float>(value);
      total += value;
    }
    if (total > 0.0) {
      for (int j = 0; j < count; ++j) {
        w[j] = static_cast<float>(w[j] / total);
      }
    }
    taps.start[i] = lo;
    taps.count[i] = count;
  }
}

template <typename T>
void ImageResizer::resize(const T* src, int srcWidth, int srcHeight, T* dst, int dstWidth,
                          int dstHeight) {
  computeTaps(horizontal_, srcWidth, dstWidth);
  computeTaps(vertical_, srcHeight, dstHeight);
  // Horizontal pass: srcHeight rows of dstWidth pixels, in float.
  rows_.resize(static_cast<size_t>(srcHeight) * dstWidth * 3);
  for (int y = 0; y < srcHeight; ++y) {
    const T* in = src + static_cast<size_t>(y) * srcWidth * 3;
    float* out = &rows_[static_cast<size_t>(y) * dstWidth * 3];
    for (int x = 0; x < dstWidth; ++x) {
      const float* w = &horizontal_.weights[static_cast<size_t>(x) * horizontal_.maxCount];
      const T* p = in + static_cast<size_t>(horizontal_.start[x]) * 3;
      float r = 0, g = 0, b = 0;
      for (int k = 0; k < horizontal_.count[x]; ++k) {
        r += w[k] * p[3 * k];
        g += w[k] * p[3 * k + 1];
        b += w[k] * p[3 * k + 2];
      }
      out[3 * x] = r;
      out[3 * x + 1] = g;
      out[3 * x + 2] = b;
    }
  }
  // Vertical pass, rounding to the output type.
  constexpr float kMax = sizeof(T) == 1 ? 255.0f : 65535.0f;
  size_t rowLength = static_cast<size_t>(dstWidth) * 3;
  std::vector<float> accumulator(rowLength);
  for (int y = 0; y < dstHeight; ++y) {
    std::fill(accumulator.begin(), accumulator.end(), 0.0f);
    const float* w = &vertical_.weights[static_cast<size_t>(y) * vertical_.maxCount];
    for (int k = 0; k < vertical_.count[y]; ++k) {
      const float* row = &rows_[static_cast<size_t>(vertical_.start[y] + k) * rowLength];
      float weight = w[k];
      for (size_t i = 0; i < rowLength; ++i) {
        accumulator[i] += weight * row[i];
      }
    }
    T* out = dst + static_cast<size_t>(y) * rowLength;
    for (size_t i = 0; i < rowLength; ++i) {
      out[i] = static_cast<T>(std::clamp(std::nearbyint(accumulator[i]), 0.0f, kMax));
    }
  }
}

template void ImageResizer::resize<uint8_t>(const uint8_t*, int, int, uint8_t*, int, int);
template void ImageResizer::resize<uint16_t>(const uint16_t*, int, int, uint16_t*, int, int);

}  // namespace codecflow

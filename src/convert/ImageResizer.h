// Resizes packed RGB images (8 or 16 bits per channel) with antialiased
// bilinear interpolation, the filter torch.nn.functional.interpolate(
// mode="bilinear", antialias=True) and torchvision's Resize use: a triangle
// filter widened by the scale factor when shrinking, separable, computed in
// float and rounded once at the end.
#pragma once

#include <cstdint>
#include <vector>

namespace codecflow {

class ImageResizer {
 public:
  // `src` and `dst` are packed RGB, rows `width * 3` elements long; T is
  // uint8_t or uint16_t.
  template <typename T>
  void resize(const T* src, int srcWidth, int srcHeight, T* dst, int dstWidth, int dstHeight);

 private:
  // For each output position: the first input index and its weights.
  struct Taps {
    int inSize = 0;
    int outSize = 0;
    std::vector<int> start;
    std::vector<int> count;
    std::vector<float> weights;  // outSize * maxCount
    int maxCount = 0;
  };
  static void computeTaps(Taps& taps, int inSize, int outSize);

  Taps horizontal_;
  Taps vertical_;
  std::vector<float> rows_;  // the horizontally resized image, float
};

}  // namespace codecflow

#include "convert/YuvRgb.h"

extern "C" {
#include <libavutil/pixfmt.h>
}

namespace codecflow {

YuvMatrix matrixForColorSpace(int avColorSpace) {
  switch (avColorSpace) {
    case AVCOL_SPC_BT709:
      return YuvMatrix::Bt709;
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL:
      return YuvMatrix::Bt2020;
    default:
      return YuvMatrix::Bt601;
  }
}

bool kernelHasMatrix(int avColorSpace) {
  return avColorSpace != AVCOL_SPC_FCC && avColorSpace != AVCOL_SPC_SMPTE240M;
}

const char* matrixName(YuvMatrix matrix) {
  switch (matrix) {
    case YuvMatrix::Bt601:
      return "bt601";
    case YuvMatrix::Bt709:
      return "bt709";
    case YuvMatrix::Bt2020:
      return "bt2020";
  }
  return "unknown";
}

void yuvToRgbReference(const color::YuvPlanes& in, YuvMatrix matrix, bool fullRange,
                       const color::RgbImage& out) {
  const YuvToRgb& c = color::kYuvToRgb[color::tableIndex(matrix, fullRange)];
  for (int y = 0; y < in.height; ++y) {
    for (int x = 0; x < in.width; ++x) {
      color::convertPixel(in, c, out, x, y);
    }
  }
}

void rgbToNv12Reference(const color::RgbSource& in, int width, int height, YuvMatrix matrix,
                        bool fullRange, const color::Nv12Image& out) {
  const RgbToYuv& c = color::kRgbToYuv[color::tableIndex(matrix, fullRange)];
  for (int by = 0; by < (height + 1) / 2; ++by) {
    for (int bx = 0; bx < (width + 1) / 2; ++bx) {
      color::convertBlock(in, width, height, c, out, bx, by);
    }
  }
}

}  // namespace codecflow

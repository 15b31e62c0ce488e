#include "convert/YuvRgb.h"

extern "C" {
#include <libavutil/frame.h>
#include <libavutil/pixfmt.h>
#include <libswscale/swscale.h>
}

namespace codecflow {

YuvToRgb yuvToRgbFor(int avColorSpace, bool fullRange) {
  return color::yuvToRgbFromSws(sws_getCoefficients(avColorSpace), fullRange);
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

bool framePlanes(const AVFrame* frame, int layout, color::YuvPlanes& planes) {
  bool four44 = layout == AV_PIX_FMT_YUV444P || layout == AV_PIX_FMT_YUV444P16;
  bool sixteen = layout == AV_PIX_FMT_P010 || layout == AV_PIX_FMT_P016 ||
                 layout == AV_PIX_FMT_YUV444P16;
  if (!four44 && !sixteen && layout != AV_PIX_FMT_NV12) {
    return false;
  }
  auto top = static_cast<int>(frame->crop_top);
  auto left = static_cast<int>(frame->crop_left);
  int bytes = sixteen ? 2 : 1;
  auto start = [&](int plane, int row, int column) {
    return frame->data[plane] + static_cast<ptrdiff_t>(row) * frame->linesize[plane] +
           static_cast<ptrdiff_t>(column) * bytes;
  };
  planes = color::YuvPlanes{};
  planes.sixteenBit = sixteen;
  planes.chroma444 = four44;
  planes.width = frame->width - left;
  planes.height = frame->height - top;
  planes.y = start(0, top, left);
  planes.yPitch = frame->linesize[0];
  planes.uvPitch = frame->linesize[1];
  if (four44) {
    planes.uv = start(1, top, left);
    planes.v = start(2, top, left);
    planes.vPitch = frame->linesize[2];
  } else {
    // Interleaved Cb/Cr: pair (left >> 1) of row (top >> 1).
    planes.uv = start(1, top >> 1, (left >> 1) * 2);
  }
  return true;
}

void yuvToRgbReference(const color::YuvPlanes& in, const YuvToRgb& coefficients,
                       const color::RgbImage& out) {
  for (int y = 0; y < in.height; ++y) {
    for (int x = 0; x < in.width; ++x) {
      color::convertPixel(in, coefficients, out, x, y);
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

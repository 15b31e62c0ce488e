#include "convert/ColorConverter.h"

#include "codecflow/Error.h"
#include "convert/ConverterContexts.h"

extern "C" {
#include <libavutil/pixdesc.h>
}

namespace codecflow {

namespace {

// swscale's deprecated full-range ("J") formats carry the range in the
// format itself.
bool isFullRangeFormat(AVPixelFormat format) {
  switch (format) {
    case AV_PIX_FMT_YUVJ420P:
    case AV_PIX_FMT_YUVJ422P:
    case AV_PIX_FMT_YUVJ444P:
    case AV_PIX_FMT_YUVJ440P:
    case AV_PIX_FMT_YUVJ411P:
      return true;
    default:
      return false;
  }
}

}  // namespace

void ColorConverter::convert(const AVFrame* frame, AVPixelFormat dstFormat, int dstWidth,
                             int dstHeight, uint8_t* dst, int dstLinesize, int scaleFlags) {
  auto srcFormat = static_cast<AVPixelFormat>(frame->format);
  Key key{frame->width,      frame->height, frame->format, frame->colorspace,
          frame->color_range, dstWidth,     dstHeight,     dstFormat,
          scaleFlags};
  if (!context_ || !(key == key_)) {
    context_ = openScaler({frame->width, frame->height, srcFormat, dstWidth, dstHeight, dstFormat,
                           scaleFlags, threads_});
    if (!context_) {
      const char* name = av_get_pix_fmt_name(srcFormat);
      fail(ErrorKind::Unsupported, std::string("cannot convert pixel format ") +
                                       (name != nullptr ? name : "unknown") + " (" +
                                       std::to_string(frame->width) + "x" +
                                       std::to_string(frame->height) + ") to RGB");
    }
    // As the CLI's scale filter does: the frame's matrix, its range, and
    // full-range RGB out.
    const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(srcFormat);
    bool isYuv = desc != nullptr && !(desc->flags & AV_PIX_FMT_FLAG_RGB) && desc->nb_components >= 3;
    if (isYuv && (frame->colorspace != AVCOL_SPC_UNSPECIFIED ||
                  frame->color_range != AVCOL_RANGE_UNSPECIFIED)) {
      int* invTable = nullptr;
      int* table = nullptr;
      int srcRange = 0, dstRange = 0, brightness = 0, contrast = 0, saturation = 0;
      if (sws_getColorspaceDetails(context_.get(), &invTable, &srcRange, &table, &dstRange,
                                   &brightness, &contrast, &saturation) >= 0) {
        const int* coefficients = sws_getCoefficients(frame->colorspace);
        bool full = frame->color_range == AVCOL_RANGE_JPEG || isFullRangeFormat(srcFormat);
        sws_setColorspaceDetails(context_.get(), coefficients, full ? 1 : 0, coefficients,
                                 dstRange, brightness, contrast, saturation);
      }
    }
    key_ = key;
  }
  uint8_t* dstPlanes[4] = {dst, nullptr, nullptr, nullptr};
  int dstStrides[4] = {dstLinesize, 0, 0, 0};
  int rows = sws_scale(context_.get(), frame->data, frame->linesize, 0, frame->height, dstPlanes,
                       dstStrides);
  if (rows != dstHeight) {
    fail(ErrorKind::Runtime, "colour conversion produced " + std::to_string(rows) +
                                 " rows instead of " + std::to_string(dstHeight));
  }
}

}  // namespace codecflow

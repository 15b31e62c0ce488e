#include "convert/ColorConverter.h"

#include <cstring>
#include <new>

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
          scaleFlags,       threads_};
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
  // swscale's SIMD loops may write past the end of a row whose width is not
  // a multiple of their vector size, into the next row: harmless one row
  // after the other, a race between slices. Such widths stay on one thread.
  if (threads_ > 1 && dstWidth % 32 == 0) {
    convertInSlices(frame, dstFormat, dstWidth, dstHeight, dst, dstLinesize);
    return;
  }
  // swscale 5.1's SIMD yuv420p -> RGB converter shortens a row to a
  // multiple of 8 pixels when the row rounded up to 8 would not fit the
  // stride, then converts 16 at a time: with a tight stride the last 1 to
  // 7 pixels of widths 16 k + 1 .. 16 k + 7 are never written. Such rows go
  // through a buffer of 16-pixel rows; other widths (650, 1000, 648) are
  // written whole in place.
  const AVPixFmtDescriptor* dstDesc = av_pix_fmt_desc_get(dstFormat);
  int pixelBytes = dstDesc != nullptr ? av_get_padded_bits_per_pixel(dstDesc) / 8 : 0;
  int roomy = ((dstWidth + 15) & ~15) * pixelBytes;
  int tail = dstWidth % 16;
  bool tight = pixelBytes > 0 && tail >= 1 && tail <= 7 &&
               dstLinesize < ((dstWidth + 7) & ~7) * pixelBytes;
  uint8_t* target = dst;
  int targetLinesize = dstLinesize;
  if (tight) {
    padded_.resize(static_cast<size_t>(roomy) * dstHeight + 64);
    target = padded_.data();
    targetLinesize = roomy;
  }
  uint8_t* dstPlanes[4] = {target, nullptr, nullptr, nullptr};
  int dstStrides[4] = {targetLinesize, 0, 0, 0};
  int rows = sws_scale(context_.get(), frame->data, frame->linesize, 0, frame->height, dstPlanes,
                       dstStrides);
  if (rows != dstHeight) {
    fail(ErrorKind::Runtime, "colour conversion produced " + std::to_string(rows) +
                                 " rows instead of " + std::to_string(dstHeight));
  }
  if (tight) {
    auto rowBytes = static_cast<size_t>(dstWidth) * pixelBytes;
    for (int y = 0; y < dstHeight; ++y) {
      std::memcpy(dst + static_cast<ptrdiff_t>(y) * dstLinesize,
                  padded_.data() + static_cast<ptrdiff_t>(y) * roomy, rowBytes);
    }
  }
}

void ColorConverter::convertInSlices(const AVFrame* frame, AVPixelFormat dstFormat, int dstWidth,
                                     int dstHeight, uint8_t* dst, int dstLinesize) {
  // sws_scale() runs on one thread whatever the context's thread count;
  // sws_scale_frame() slices. It wants reference-counted frames: the
  // destination is wrapped, not copied (its buffer frees nothing).
  if (!target_) {
    target_ = allocFrame();
  }
  av_frame_unref(target_.get());
  target_->format = dstFormat;
  target_->width = dstWidth;
  target_->height = dstHeight;
  target_->data[0] = dst;
  target_->linesize[0] = dstLinesize;
  target_->buf[0] = av_buffer_create(
      dst, dstLinesize * dstHeight, [](void*, uint8_t*) {}, nullptr, 0);
  if (target_->buf[0] == nullptr) {
    throw std::bad_alloc();
  }
  UniqueAVFrame source;
  const AVFrame* input = frame;
  if (frame->buf[0] == nullptr) {
    // A frame that owns no buffers (a test's): a reference to it would copy.
    source = allocFrame();
    av_frame_copy_props(source.get(), frame);
    source->format = frame->format;
    source->width = frame->width;
    source->height = frame->height;
    for (int p = 0; p < 4; ++p) {
      source->data[p] = frame->data[p];
      source->linesize[p] = frame->linesize[p];
    }
    source->buf[0] = av_buffer_create(frame->data[0], 1, [](void*, uint8_t*) {}, nullptr,
                                      AV_BUFFER_FLAG_READONLY);
    if (source->buf[0] == nullptr) {
      throw std::bad_alloc();
    }
    input = source.get();
  }
  int rc = sws_scale_frame(context_.get(), target_.get(), input);
  av_frame_unref(target_.get());
  if (rc < 0) {
    failFFmpeg(ErrorKind::Runtime, "colour conversion failed", rc);
  }
}

}  // namespace codecflow

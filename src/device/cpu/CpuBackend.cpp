#include "device/cpu/CpuBackend.h"

#include <algorithm>
#include <cstring>

#include "codecflow/Threads.h"
#include "convert/ColorConverter.h"
#include "convert/ConversionThread.h"
#include "convert/ConverterContexts.h"
#include "convert/FramePipeline.h"
#include "codecflow/Error.h"
#include "device/HwAccel.h"

extern "C" {
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
}

namespace codecflow {

namespace {

// Frames at least this large (in pixels) convert beside decoding; smaller
// ones cost too little to be worth the hand-over.
constexpr int64_t kPipelinePixels = 128 * 96;
// Frames at least this large split their conversion into swscale slices
// when threads are left over.
constexpr int64_t kSlicePixels = 1280 * 720;
// Frames waiting for the conversion thread (Note [Conversion pipeline]).
constexpr int kPipelineDepth = 2;

class CpuFrameSink final : public FrameSink {
 public:
  // `mayPipeline`: convert on a thread beside decoding when the thread
  // limit allows (a sink whose caller reads the slot right after write(),
  // as the CUDA sink does, passes false).
  CpuFrameSink(const SinkSpec& spec, bool mayPipeline)
      : numThreads_(spec.numThreads),
        pixels_(static_cast<int64_t>(spec.width) * spec.height),
        mayPipeline_(mayPipeline && spec.mayPipeline),
        ownThreads_(spec.mayPipeline),
        converter_(sliceThreads(false)),
        pipeline_(spec.width, spec.height, spec.rotation, spec.transforms, spec.floatOutput) {}

  int outputHeight() const override { return pipeline_.outputHeight(); }
  int outputWidth() const override { return pipeline_.outputWidth(); }

  Tensor allocate(int64_t count) override {
    if (stage_) {
      stage_->discard();  // frames of a batch given up on
    }
    batch_.reset();
    Tensor batch = pipeline_.allocate(count);
    bool allowed = pipelineAllowed();
    bool pipelined = allowed && count >= 2;  // one frame: nothing to overlap
    converter_.setThreads(sliceThreads(pipelined));
    if (pipelined) {
      if (!stage_) {
        stage_ = std::make_unique<ConversionThread>(
            [this](const AVFrame* frame, uint8_t* slot) { pipeline_.write(frame, converter_, slot); },
            kPipelineDepth);
      }
      batch_ = std::make_shared<Tensor>(batch);
    } else if (!allowed) {
      stage_.reset();  // a lowered limit ends the thread
    }
    return batch;
  }

  void write(const AVFrame* frame, uint8_t* slot) override {
    if (batch_) {
      stage_->submit(frame, slot, batch_);
      return;
    }
    pipeline_.write(frame, converter_, slot);
  }

  void copySlot(uint8_t* dst, const uint8_t* src, int64_t bytes) override {
    if (batch_) {
      stage_->wait();  // `src` may still be waiting for its frame
    }
    std::memcpy(dst, src, static_cast<size_t>(bytes));
  }

  void finish() override {
    if (batch_) {
      std::shared_ptr<Tensor> batch = std::move(batch_);
      stage_->wait();
    }
  }

  void writeOnCallingThread() override {
    batch_.reset();  // nothing of this batch was queued yet
    stage_.reset();  // the conversion thread ends: the batch's workers use the limit
    converter_.setThreads(1);
  }

 private:
  // Whether the user asked for threads: num_ffmpeg_threads other than 1, or
  // a limit set with codecflow.set_num_threads (Note [Thread limit]).
  bool threadsAsked() const { return numThreads_ != 1 || threadLimitSet(); }

  // Not on a worker of parallel work (decode_clips' items), whose workers
  // use the limit already.
  bool pipelineAllowed() const {
    return mayPipeline_ && pixels_ >= kPipelinePixels && threadsAsked() && threadsForNewWork() >= 2;
  }

  // swscale's slice threads (the calling thread among them): the threads
  // the limit leaves once the conversion thread is counted, for large
  // frames, and no more than num_ffmpeg_threads when that is set.
  // None for the extra contexts of a GOP-parallel batch (SinkSpec::
  // mayPipeline false), nor for the decoder's own sink while it writes its
  // share of such a batch (writeOnCallingThread): the batch's workers
  // already use the limit.
  int sliceThreads(bool pipelined) const {
    if (!ownThreads_ || !threadsAsked() || pixels_ < kSlicePixels) {
      return 1;
    }
    int spare = threadsForNewWork() - (pipelined ? 1 : 0);
    if (numThreads_ > 1) {
      spare = std::min(spare, numThreads_);
    }
    return std::max(spare, 1);
  }

  int numThreads_;
  int64_t pixels_;
  bool mayPipeline_;
  bool ownThreads_;
  ColorConverter converter_;
  FramePipeline pipeline_;
  std::shared_ptr<Tensor> batch_;  // the batch being written through stage_
  std::unique_ptr<ConversionThread> stage_;  // last: joined before the rest goes
};

class CpuEncoderInput final : public EncoderInput {
 public:
  explicit CpuEncoderInput(const AVCodecContext* context)
      : width_(context->width), height_(context->height), format_(context->pix_fmt) {}

  void convert(const Tensor& frames, FrameLayout layout, int64_t i,
               UniqueAVFrame& frame) override;

 private:
  UniqueSwsContext makeScaler(AVPixelFormat srcFormat) const;

  int width_;
  int height_;
  AVPixelFormat format_;
  UniqueSwsContext scaler_;
  AVPixelFormat scalerSource_ = AV_PIX_FMT_NONE;
};

UniqueSwsContext CpuEncoderInput::makeScaler(AVPixelFormat srcFormat) const {
  // What the ffmpeg CLI's scale filter uses: bicubic, and slice threads on
  // every core codecflow may use (Note [Thread limit]; the bytes are the
  // same at any count).
  UniqueSwsContext scaler = openScaler(
      {width_, height_, srcFormat, width_, height_, format_, SWS_BICUBIC, threadLimit()});
  if (!scaler) {
    fail(ErrorKind::Unsupported,
         std::string("cannot convert RGB to ") + av_get_pix_fmt_name(format_));
  }
  return scaler;
}

void CpuEncoderInput::convert(const Tensor& frames, FrameLayout layout, int64_t i,
                              UniqueAVFrame& frame) {
  if (!frame || !av_frame_is_writable(frame.get()) || frame->format != format_) {
    frame = allocFrame();
    frame->format = format_;
    frame->width = width_;
    frame->height = height_;
    int rc = av_frame_get_buffer(frame.get(), 0);
    if (rc < 0) {
      failFFmpeg(ErrorKind::Runtime, "could not allocate a video frame", rc);
    }
  }
  bool nchw = layout == FrameLayout::NCHW;
  const auto& s = frames.strides();
  int64_t cStride = layout == FrameLayout::NV12 ? 0 : s[nchw ? 1 : 3];
  int64_t hStride = layout == FrameLayout::NV12 ? s[1] : s[nchw ? 2 : 1];
  const uint8_t* base = frames.dataAs<const uint8_t>() + i * s[0];
  const uint8_t* planes[4] = {nullptr, nullptr, nullptr, nullptr};
  int linesizes[4] = {0, 0, 0, 0};
  AVPixelFormat srcFormat;
  if (layout == FrameLayout::NV12) {
    int64_t rowStride = s[1];
    srcFormat = AV_PIX_FMT_NV12;
    planes[0] = base;
    planes[1] = base + rowStride * height_;
    linesizes[0] = linesizes[1] = static_cast<int>(rowStride);
  } else if (cStride == 1) {
    srcFormat = AV_PIX_FMT_RGB24;
    planes[0] = base;
    linesizes[0] = static_cast<int>(hStride);
  } else {
    // Planar RGB is swscale's GBRP, planes in G, B, R order.
    srcFormat = AV_PIX_FMT_GBRP;
    planes[0] = base + cStride;
    planes[1] = base + 2 * cStride;
    planes[2] = base;
    linesizes[0] = linesizes[1] = linesizes[2] = static_cast<int>(hStride);
  }
  if (!scaler_ || scalerSource_ != srcFormat) {
    scaler_ = makeScaler(srcFormat);
    scalerSource_ = srcFormat;
  }
  // The tensor's pixels, wrapped (not copied) in a frame for
  // sws_scale_frame, which wants reference-counted buffers.
  UniqueAVFrame source = allocFrame();
  source->format = srcFormat;
  source->width = width_;
  source->height = height_;
  for (int p = 0; p < 4; ++p) {
    source->data[p] = const_cast<uint8_t*>(planes[p]);
    source->linesize[p] = linesizes[p];
  }
  source->buf[0] = av_buffer_create(
      const_cast<uint8_t*>(base),
      static_cast<int>(std::min<int64_t>(
          hStride * height_ * (layout == FrameLayout::NV12 ? 3 : 2) / 2, INT32_MAX)),
      [](void*, uint8_t*) {}, nullptr, AV_BUFFER_FLAG_READONLY);
  if (source->buf[0] == nullptr) {
    throw std::bad_alloc();
  }
  int rc = sws_scale_frame(scaler_.get(), frame.get(), source.get());
  if (rc < 0) {
    failFFmpeg(ErrorKind::Runtime, "could not convert the frames to the encoder's format", rc);
  }
}

}  // namespace

std::unique_ptr<FrameSink> makeCpuFrameSink(const SinkSpec& spec) {
  return std::make_unique<CpuFrameSink>(spec, false);
}

std::unique_ptr<EncoderInput> makeCpuEncoderInput(const AVCodecContext* context) {
  return std::make_unique<CpuEncoderInput>(context);
}

void CpuBackend::checkDevice(int) const {}

std::shared_ptr<CodecOpener> CpuBackend::decoderOpener(int, const AVStream*) {
  return makeSoftwareCodecOpener();
}

std::unique_ptr<FrameSink> CpuBackend::makeSink(const SinkSpec& spec) {
  return std::make_unique<CpuFrameSink>(spec, true);
}

std::unique_ptr<EncoderInput> CpuBackend::encoderInput(int, AVCodecContext* context) {
  return makeCpuEncoderInput(context);
}

}  // namespace codecflow

#include "device/HwAccel.h"

#include <new>

#include "codecflow/Error.h"
#include "codecflow/Log.h"

extern "C" {
#include <libavutil/pixdesc.h>
}

namespace codecflow {

UniqueAVBufferRef openHwDevice(AVHWDeviceType type,
                               int index,
                               const std::vector<std::pair<std::string, std::string>>& options) {
  AVDictionary* raw = nullptr;
  for (const auto& [key, value] : options) {
    av_dict_set(&raw, key.c_str(), value.c_str(), 0);
  }
  UniqueAVDictionary dict(raw);
  AVBufferRef* ref = nullptr;
  int rc = av_hwdevice_ctx_create(&ref, type, std::to_string(index).c_str(), dict.get(), 0);
  if (rc < 0) {
    const char* name = av_hwdevice_get_type_name(type);
    failFFmpeg(ErrorKind::Runtime,
               std::string("could not open ") + (name != nullptr ? name : "the") + " device " +
                   std::to_string(index) + " (FFmpeg's " + (name != nullptr ? name : "") +
                   " device context)",
               rc);
  }
  return UniqueAVBufferRef(ref);
}

AVPixelFormat hwPixelFormat(const AVCodec* codec, AVHWDeviceType type, int method) {
  for (int i = 0; codec != nullptr; ++i) {
    const AVCodecHWConfig* config = avcodec_get_hw_config(codec, i);
    if (config == nullptr) {
      break;
    }
    if (config->device_type == type && (config->methods & method)) {
      return config->pix_fmt;
    }
  }
  return AV_PIX_FMT_NONE;
}

const AVCodec* hwDecoder(AVCodecID codec, AVHWDeviceType type) {
  auto usable = [type](const AVCodec* c) {
    return c != nullptr &&
           hwPixelFormat(c, type, AV_CODEC_HW_CONFIG_METHOD_HW_DEVICE_CTX) != AV_PIX_FMT_NONE;
  };
  const AVCodec* preferred = avcodec_find_decoder(codec);
  if (usable(preferred)) {
    return preferred;
  }
  void* state = nullptr;
  while (const AVCodec* c = av_codec_iterate(&state)) {
    if (c->id == codec && av_codec_is_decoder(c) && usable(c)) {
      return c;
    }
  }
  return nullptr;
}

AVHWDeviceType frameDeviceType(const AVFrame* frame) {
  if (frame->hw_frames_ctx == nullptr) {
    return AV_HWDEVICE_TYPE_NONE;
  }
  const auto* frames = reinterpret_cast<const AVHWFramesContext*>(frame->hw_frames_ctx->data);
  return frames->device_ctx->type;
}

void downloadFrame(const AVFrame* frame, AVFrame* out) {
  int rc = av_hwframe_transfer_data(out, frame, 0);
  if (rc < 0) {
    failFFmpeg(ErrorKind::Runtime, "could not download a hardware frame", rc);
  }
  av_frame_copy_props(out, frame);
  // libavcodec leaves the top/left crop of hardware frames to the user (it
  // can only shrink their width and height): applied here to the copy.
  out->crop_top = frame->crop_top;
  out->crop_left = frame->crop_left;
  out->crop_bottom = frame->crop_bottom;
  out->crop_right = frame->crop_right;
  rc = av_frame_apply_cropping(out, AV_FRAME_CROP_UNALIGNED);
  if (rc < 0) {
    failFFmpeg(ErrorKind::InvalidData, "could not crop a downloaded hardware frame", rc);
  }
}

UniqueAVBufferRef makeHwFramesContext(AVBufferRef* device, AVPixelFormat hwFormat,
                                      AVPixelFormat swFormat, int width, int height,
                                      int poolSize) {
  UniqueAVBufferRef ref(av_hwframe_ctx_alloc(device));
  if (!ref) {
    throw std::bad_alloc();
  }
  auto* frames = reinterpret_cast<AVHWFramesContext*>(ref->data);
  frames->format = hwFormat;
  frames->sw_format = swFormat;
  frames->width = width;
  frames->height = height;
  frames->initial_pool_size = poolSize;
  int rc = av_hwframe_ctx_init(ref.get());
  if (rc < 0) {
    failFFmpeg(ErrorKind::Runtime,
               std::string("could not create a pool of ") + av_get_pix_fmt_name(swFormat) + " " +
                   std::to_string(width) + "x" + std::to_string(height) + " hardware frames",
               rc);
  }
  return ref;
}

namespace {

// The device's frames when FFmpeg offers them; when the hwaccel cannot
// handle the stream FFmpeg asks again without them: then the first
// software format, i.e. software decoding.
AVPixelFormat chooseFormat(AVCodecContext* codec, const AVPixelFormat* formats) {
  AVPixelFormat wanted = AV_PIX_FMT_NONE;
  if (codec->hw_device_ctx != nullptr) {
    auto type = reinterpret_cast<const AVHWDeviceContext*>(codec->hw_device_ctx->data)->type;
    wanted = hwPixelFormat(codec->codec, type, AV_CODEC_HW_CONFIG_METHOD_HW_DEVICE_CTX);
  }
  for (const AVPixelFormat* p = formats; *p != AV_PIX_FMT_NONE; ++p) {
    if (*p == wanted) {
      return *p;
    }
  }
  for (const AVPixelFormat* p = formats; *p != AV_PIX_FMT_NONE; ++p) {
    const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(*p);
    if (desc != nullptr && !(desc->flags & AV_PIX_FMT_FLAG_HWACCEL)) {
      return *p;
    }
  }
  return AV_PIX_FMT_NONE;
}

std::string contextKey(int deviceIndex, const AVStream* stream, int numThreads) {
  const AVCodecParameters* p = stream->codecpar;
  std::string k = std::to_string(deviceIndex) + "/" + std::to_string(p->codec_id) + "/" +
                  std::to_string(p->width) + "x" + std::to_string(p->height) + "/" +
                  std::to_string(p->format) + "/" + std::to_string(p->profile) + "/" +
                  std::to_string(p->level) + "/" + std::to_string(stream->time_base.num) + ":" +
                  std::to_string(stream->time_base.den) + "/" + std::to_string(numThreads) + "/";
  if (p->extradata != nullptr) {
    k.append(reinterpret_cast<const char*>(p->extradata), p->extradata_size);
  }
  return k;
}

class HwCodecOpener final : public CodecOpener {
 public:
  HwCodecOpener(int deviceIndex, AVBufferRef* device, DecoderContextCache* cache,
                const AVCodec* decoder)
      : deviceIndex_(deviceIndex), device_(device), cache_(cache), decoder_(decoder) {}

  const AVCodec* decoder() const override { return decoder_; }

  UniqueAVCodecContext reuse(const AVStream* stream, int numThreads) override {
    return cache_ != nullptr ? cache_->take(contextKey(deviceIndex_, stream, numThreads))
                             : nullptr;
  }

  void configure(AVCodecContext* codec) override {
    codec->hw_device_ctx = av_buffer_ref(device_);
    if (codec->hw_device_ctx == nullptr) {
      throw std::bad_alloc();
    }
    codec->get_format = chooseFormat;
    // One decoding thread: the hardware decodes, and each frame thread would
    // add a surface to the hwaccel's pool (NVDEC refuses more than 32, which
    // the automatic thread count passes on many-core machines).
    codec->thread_count = 1;
  }

  void release(const AVStream* stream, int numThreads, UniqueAVCodecContext codec) override {
    if (cache_ != nullptr) {
      cache_->put(contextKey(deviceIndex_, stream, numThreads), std::move(codec));
    }
  }

  bool hardware() const override { return true; }

 private:
  int deviceIndex_;
  AVBufferRef* device_;  // owned by the backend, for the life of the process
  DecoderContextCache* cache_;
  const AVCodec* decoder_;
};

class SoftwareCodecOpener final : public CodecOpener {
 public:
  explicit SoftwareCodecOpener(std::string reason) : reason_(std::move(reason)) {}
  UniqueAVCodecContext reuse(const AVStream*, int) override { return nullptr; }
  void configure(AVCodecContext*) override {}
  void release(const AVStream*, int, UniqueAVCodecContext) override {}
  std::string unavailableReason() const override { return reason_; }

 private:
  std::string reason_;
};

}  // namespace

std::shared_ptr<CodecOpener> makeHwCodecOpener(int deviceIndex,
                                               AVBufferRef* device,
                                               DecoderContextCache* cache,
                                               const AVCodec* decoder) {
  return std::make_shared<HwCodecOpener>(deviceIndex, device, cache, decoder);
}

std::shared_ptr<CodecOpener> makeSoftwareCodecOpener(std::string reason) {
  return std::make_shared<SoftwareCodecOpener>(std::move(reason));
}

}  // namespace codecflow

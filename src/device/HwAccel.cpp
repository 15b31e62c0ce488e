#include "device/HwAccel.h"

#include <cstring>
#include <mutex>
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

bool decodesOnlyWithHwaccel(const AVCodec* decoder) {
  if (decoder == nullptr) {
    return false;
  }
  if (decoder->capabilities & AV_CODEC_CAP_HARDWARE) {
    return true;
  }
  return decoder->id == AV_CODEC_ID_AV1 && std::strcmp(decoder->name, "av1") == 0;
}

namespace {

// FFmpeg's default decoder for `codec` when it decodes in software, else
// the first one that does; nullptr when none does.
const AVCodec* softwareDecoder(AVCodecID codec) {
  const AVCodec* preferred = avcodec_find_decoder(codec);
  if (preferred != nullptr && !decodesOnlyWithHwaccel(preferred)) {
    return preferred;
  }
  void* state = nullptr;
  while (const AVCodec* c = av_codec_iterate(&state)) {
    if (c->id == codec && av_codec_is_decoder(c) && !decodesOnlyWithHwaccel(c)) {
      return c;
    }
  }
  return nullptr;
}

}  // namespace

DecoderChoice chooseDecoder(AVCodecID codec, AVHWDeviceType type, const std::string& hwName,
                            const std::function<std::string(const AVCodec*)>& refusal) {
  const AVCodec* hw = hwDecoder(codec, type);
  if (hw == nullptr) {
    return {nullptr, false, "FFmpeg has no " + hwName + " decoder for it"};
  }
  if (!decodesOnlyWithHwaccel(hw)) {
    return {hw, true, {}};
  }
  const AVCodec* software = softwareDecoder(codec);
  if (software == nullptr) {
    // Nothing else decodes it: the hardware decoder, which fails with
    // FFmpeg's reason if the device refuses the stream.
    return {hw, true, {}};
  }
  std::string why = refusal(hw);
  if (why.empty()) {
    return {hw, true, {}};
  }
  return {software, false,
          "FFmpeg's " + std::string(hw->name) + " decoder decodes only through " + hwName +
              ", which refused it: " + why + "; decoded by " + software->name};
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

// What get_format saw for one context, for the opener's hardwareRefusal()
// (the context's opaque points at it while an opener owns the context).
struct FormatState {
  mutable std::mutex mutex;
  bool choseHardware = false;  // the last call returned the device's frames
  uint64_t mark = 0;           // the thread's log then (Note [FFmpeg's log])
  std::string refusal;
};

// Why the device's frames were not taken, from within get_format: after a
// call that chose them, FFmpeg's hwaccel initialisation failed (its reason
// is in the log lines since); otherwise the decoder never offered them for
// this stream's format.
std::string refusalReason(const AVCodecContext* codec, AVHWDeviceType type,
                          AVPixelFormat software, bool choseHardware, uint64_t mark) {
  const char* typeName = av_hwdevice_get_type_name(type);
  std::string device = typeName != nullptr ? typeName : "hardware";
  if (choseHardware) {
    std::string log = ffmpegLogSince(mark);
    return "FFmpeg's " + device + " hwaccel could not start: " +
           (log.empty() ? std::string("no reason logged") : log);
  }
  const char* format = av_get_pix_fmt_name(software);
  const char* profile = avcodec_profile_name(codec->codec_id, codec->profile);
  return "FFmpeg's " + std::string(codec->codec != nullptr ? codec->codec->name : "") +
         " decoder offers no " + device + " frames for " + (format != nullptr ? format : "?") +
         (profile != nullptr ? std::string(" ") + profile : std::string()) + " " +
         std::to_string(codec->coded_width) + "x" + std::to_string(codec->coded_height);
}

// The device's frames when FFmpeg offers them; when the hwaccel cannot
// handle the stream FFmpeg asks again without them: then the first
// software format, i.e. software decoding, and the reason noted in the
// context's FormatState.
AVPixelFormat chooseFormat(AVCodecContext* codec, const AVPixelFormat* formats) {
  auto* state = static_cast<FormatState*>(codec->opaque);
  AVPixelFormat wanted = AV_PIX_FMT_NONE;
  AVHWDeviceType type = AV_HWDEVICE_TYPE_NONE;
  if (codec->hw_device_ctx != nullptr) {
    type = reinterpret_cast<const AVHWDeviceContext*>(codec->hw_device_ctx->data)->type;
    wanted = hwPixelFormat(codec->codec, type, AV_CODEC_HW_CONFIG_METHOD_HW_DEVICE_CTX);
  }
  for (const AVPixelFormat* p = formats; *p != AV_PIX_FMT_NONE; ++p) {
    if (*p == wanted) {
      if (state != nullptr) {
        std::lock_guard<std::mutex> lock(state->mutex);
        state->choseHardware = true;
        state->mark = ffmpegLogMark();
        state->refusal.clear();
      }
      return *p;
    }
  }
  for (const AVPixelFormat* p = formats; *p != AV_PIX_FMT_NONE; ++p) {
    const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(*p);
    if (desc != nullptr && !(desc->flags & AV_PIX_FMT_FLAG_HWACCEL)) {
      if (state != nullptr && wanted != AV_PIX_FMT_NONE) {
        std::lock_guard<std::mutex> lock(state->mutex);
        try {
          state->refusal = refusalReason(codec, type, *p, state->choseHardware, state->mark);
        } catch (...) {  // never unwind into FFmpeg
        }
        state->choseHardware = false;
      }
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
    UniqueAVCodecContext codec =
        cache_ != nullptr ? cache_->take(contextKey(deviceIndex_, stream, numThreads)) : nullptr;
    if (codec) {
      codec->opaque = &state_;
    }
    return codec;
  }

  void configure(AVCodecContext* codec) override {
    codec->opaque = &state_;
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
    if (codec) {
      codec->opaque = nullptr;  // the opener may go before the cached context
    }
    if (cache_ != nullptr) {
      cache_->put(contextKey(deviceIndex_, stream, numThreads), std::move(codec));
    }
  }

  bool hardware() const override { return true; }

  std::string hardwareRefusal() const override {
    std::lock_guard<std::mutex> lock(state_.mutex);
    return state_.refusal;
  }

 private:
  int deviceIndex_;
  AVBufferRef* device_;  // owned by the backend, for the life of the process
  DecoderContextCache* cache_;
  const AVCodec* decoder_;
  FormatState state_;  // the contexts' opaque while this opener has them
};

class SoftwareCodecOpener final : public CodecOpener {
 public:
  SoftwareCodecOpener(std::string reason, const AVCodec* decoder)
      : reason_(std::move(reason)), decoder_(decoder) {}
  const AVCodec* decoder() const override { return decoder_; }
  UniqueAVCodecContext reuse(const AVStream*, int) override { return nullptr; }
  void configure(AVCodecContext*) override {}
  void release(const AVStream*, int, UniqueAVCodecContext) override {}
  std::string unavailableReason() const override { return reason_; }

 private:
  std::string reason_;
  const AVCodec* decoder_;
};

}  // namespace

std::shared_ptr<CodecOpener> makeHwCodecOpener(int deviceIndex,
                                               AVBufferRef* device,
                                               DecoderContextCache* cache,
                                               const AVCodec* decoder) {
  return std::make_shared<HwCodecOpener>(deviceIndex, device, cache, decoder);
}

std::shared_ptr<CodecOpener> makeSoftwareCodecOpener(std::string reason,
                                                     const AVCodec* decoder) {
  return std::make_shared<SoftwareCodecOpener>(std::move(reason), decoder);
}

namespace {

// The OBUs of an AV1 stream's extradata: an av1C record (marker bit set)
// carries them after its four bytes, extradata extracted from the stream
// is OBUs already.
std::pair<const uint8_t*, int> av1ConfigObus(const AVCodecParameters* par) {
  if (par->codec_id != AV_CODEC_ID_AV1 || par->extradata == nullptr || par->extradata_size <= 0) {
    return {nullptr, 0};
  }
  if ((par->extradata[0] & 0x80) != 0) {
    return par->extradata_size > 4 ? std::make_pair(par->extradata + 4, par->extradata_size - 4)
                                   : std::make_pair(static_cast<const uint8_t*>(nullptr), 0);
  }
  return {par->extradata, par->extradata_size};
}

}  // namespace

std::string probeHwDecoder(const AVCodec* decoder, const AVStream* stream, AVBufferRef* device) {
  auto [obus, size] = av1ConfigObus(stream->codecpar);
  if (obus == nullptr) {
    return {};
  }
  UniqueAVCodecContext codec(avcodec_alloc_context3(decoder));
  if (!codec) {
    throw std::bad_alloc();
  }
  uint64_t mark = ffmpegLogMark();
  if (avcodec_parameters_to_context(codec.get(), stream->codecpar) < 0) {
    return {};
  }
  codec->pkt_timebase = stream->time_base;
  FormatState state;
  codec->opaque = &state;
  codec->get_format = chooseFormat;
  codec->thread_count = 1;
  if (device != nullptr) {
    codec->hw_device_ctx = av_buffer_ref(device);
    if (codec->hw_device_ctx == nullptr) {
      throw std::bad_alloc();
    }
  }
  if (avcodec_open2(codec.get(), decoder, nullptr) < 0) {
    std::string log = ffmpegLogSince(mark);
    return "could not open it" + (log.empty() ? std::string() : ": " + log);
  }
  UniqueAVPacket packet = allocPacket();
  if (av_new_packet(packet.get(), size) < 0) {
    throw std::bad_alloc();
  }
  std::memcpy(packet->data, obus, static_cast<size_t>(size));
  int rc = avcodec_send_packet(codec.get(), packet.get());
  if (rc >= 0 || rc == AVERROR(EAGAIN)) {
    return {};  // taken (codec->hwaccel is set), or no get_format yet
  }
  std::lock_guard<std::mutex> lock(state.mutex);
  if (!state.refusal.empty()) {
    return state.refusal;
  }
  std::string log = ffmpegLogSince(mark);
  return log.empty() ? std::string("FFmpeg logged no reason") : log;
}

}  // namespace codecflow

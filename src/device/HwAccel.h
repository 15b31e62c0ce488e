// FFmpeg hwaccel code generic over AVHWDeviceType (the pattern of FFmpeg's
// doc/examples/hw_decode.c): a backend for CUDA, VAAPI, Vulkan, ... names
// its device type and gets device contexts, decoder openers, downloads and
// frame pools from here.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "device/CodecOpener.h"
#include "ffmpeg/FFmpeg.h"

extern "C" {
#include <libavutil/hwcontext.h>
}

namespace codecflow {

// FFmpeg's device context of `type` for device `index` (a number, as
// av_hwdevice_ctx_create takes it), with `options` (key=value pairs given to
// it). Throws Runtime with FFmpeg's reason (e.g. "Cannot load libcuda.so.1").
UniqueAVBufferRef openHwDevice(
    AVHWDeviceType type, int index,
    const std::vector<std::pair<std::string, std::string>>& options = {});

// The pixel format of `codec`'s (a decoder's or an encoder's) hardware
// frames for `type`, or AV_PIX_FMT_NONE when it has no configuration with
// `method` (AV_CODEC_HW_CONFIG_METHOD_*).
AVPixelFormat hwPixelFormat(const AVCodec* codec, AVHWDeviceType type, int method);

// The decoder of `codec` that has a hardware configuration for `type`
// (attaching a device context), FFmpeg's default decoder first: the default
// may lack one (libdav1d for AV1, where FFmpeg's native av1 decoder has the
// hwaccels). nullptr when no decoder of the codec has one.
const AVCodec* hwDecoder(AVCodecID codec, AVHWDeviceType type);

// Whether `decoder` decodes only through a hwaccel, with no software path
// of its own: FFmpeg's native av1 decoder (FFmpeg 5.1 to 7 fail with "Your
// platform doesn't support hardware accelerated AV1 decoding" without one)
// and FFmpeg's hardware wrappers (AV_CODEC_CAP_HARDWARE, e.g. av1_cuvid).
bool decodesOnlyWithHwaccel(const AVCodec* decoder);

// The decoder a hardware device gets for a codec.
struct DecoderChoice {
  const AVCodec* decoder = nullptr;  // nullptr: FFmpeg's default decoder
  bool hardware = false;             // the device is attached to it
  std::string reason;                // why not, when !hardware
};

// Picks hwDecoder's decoder for `codec` on a device of `type`. One with a
// software path of its own is taken as it is (FFmpeg decodes what the
// hwaccel refuses in software, and the opener says why). For one without,
// `refusal(decoder)` says whether the device takes the stream ("" when it
// does or cannot tell, else FFmpeg's reason), and a refused stream goes to
// the codec's software decoder (libdav1d for AV1) with that reason. `hwName`
// names the hardware decoder in reasons ("NVDEC").
DecoderChoice chooseDecoder(AVCodecID codec, AVHWDeviceType type, const std::string& hwName,
                            const std::function<std::string(const AVCodec*)>& refusal);

// Whether `decoder`, with `device` attached (nullptr: none), takes `stream`:
// opens a context as a hardware opener does and sends it the stream's
// sequence header (its extradata), which runs get_format and FFmpeg's
// hwaccel initialisation. "" when the hwaccel took it or nothing tells
// (no sequence header in the extradata, a codec other than AV1); else
// FFmpeg's reason, from its log.
std::string probeHwDecoder(const AVCodec* decoder, const AVStream* stream, AVBufferRef* device);

// Contexts kept for reuse by a hardware opener (the NVDEC cache).
class DecoderContextCache {
 public:
  virtual ~DecoderContextCache() = default;
  virtual UniqueAVCodecContext take(const std::string& key) = 0;
  virtual void put(const std::string& key, UniqueAVCodecContext codec) = 0;
};

// Opens decoders on a hardware device: attaches `device` (a device context,
// of any type) to new contexts, with one decoding thread (frame threads
// would each add a hardware surface), and picks its frames in get_format, falling
// back to software frames when the hwaccel refuses the stream (then FFmpeg
// decodes on the CPU and the sink reports it). `cache`, when given, keeps
// released contexts by a key of everything that shapes the decoder.
// `decoder` is the one to open (hwDecoder's). When the hwaccel refuses
// the stream, hardwareRefusal() gives FFmpeg's reason (its log lines from
// the failed hwaccel initialisation, or the format it offered no hardware
// frames for).
std::shared_ptr<CodecOpener> makeHwCodecOpener(int deviceIndex,
                                               AVBufferRef* device,
                                               DecoderContextCache* cache,
                                               const AVCodec* decoder);

// Opens plain software decoders (`decoder`, nullptr: FFmpeg's default);
// `reason`, when not empty, says why a hardware device asked for is not
// used (no hwaccel for the codec, or the device refused the stream).
std::shared_ptr<CodecOpener> makeSoftwareCodecOpener(std::string reason = {},
                                                     const AVCodec* decoder = nullptr);

// Whether `frame` lives in hardware memory (any device type), and its
// device type (AV_HWDEVICE_TYPE_NONE for software frames).
AVHWDeviceType frameDeviceType(const AVFrame* frame);

// Copies a hardware frame to `out` (software frame, its properties too),
// with the frame's cropping applied (libavcodec applies only the right and
// bottom crop to hardware frames). Throws Runtime with FFmpeg's reason.
void downloadFrame(const AVFrame* frame, AVFrame* out);

// A pool of hardware frames of `type` on `device`: `swFormat` samples,
// width x height, for an encoder's hw_frames_ctx. Throws Runtime.
UniqueAVBufferRef makeHwFramesContext(AVBufferRef* device, AVPixelFormat hwFormat,
                                      AVPixelFormat swFormat, int width, int height,
                                      int poolSize);

}  // namespace codecflow

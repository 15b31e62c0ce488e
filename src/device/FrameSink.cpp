#include "device/FrameSink.h"

#include "codecflow/Error.h"
#include "device/HwAccel.h"

namespace codecflow {

namespace {

std::string deviceName(const DeviceBackend& backend, Device device) {
  return device.isCpu() ? "cpu" : backend.name() + ":" + std::to_string(device.index);
}

// The decode device's opener in front of the output device's sink.
class RoutedSink final : public FrameSink {
 public:
  RoutedSink(std::unique_ptr<FrameSink> sink, std::shared_ptr<CodecOpener> opener,
             std::string decodeName, bool decodeOnHardware, std::string codecName)
      : sink_(std::move(sink)),
        opener_(std::move(opener)),
        decodeName_(std::move(decodeName)),
        decodeOnHardware_(decodeOnHardware),
        codecName_(std::move(codecName)),
        downloaded_(allocFrame()) {
    if (!decodeOnHardware_) {
      fallback_ = {true, false, "no fallback: decoding on the CPU was asked for"};
    }
  }

  int outputHeight() const override { return sink_->outputHeight(); }
  int outputWidth() const override { return sink_->outputWidth(); }
  Tensor allocate(int64_t count) override { return sink_->allocate(count); }
  void copySlot(uint8_t* dst, const uint8_t* src, int64_t bytes) override {
    sink_->copySlot(dst, src, bytes);
  }
  void finish() override { sink_->finish(); }
  void writeOnCallingThread() override { sink_->writeOnCallingThread(); }
  std::shared_ptr<CodecOpener> codecOpener() override { return opener_; }
  CpuFallback cpuFallback() const override { return fallback_; }

  void write(const AVFrame* frame, uint8_t* slot) override {
    AVHWDeviceType type = frameDeviceType(frame);
    if (!fallback_.known) {
      if (type != AV_HWDEVICE_TYPE_NONE) {
        fallback_ = {true, false, "no fallback: decoded by the hardware decoder of " + decodeName_};
      } else {
        std::string refusal = opener_->hardwareRefusal();
        std::string why =
            opener_->hardware()
                ? " (" + (refusal.empty() ? std::string("FFmpeg gave no reason") : refusal) + ")"
                : " (" + opener_->unavailableReason() + ")";
        fallback_ = {true, true,
                     decodeName_ + "'s hardware decoder cannot decode this " + codecName_ +
                         " stream" + why + "; it was decoded on the CPU"};
      }
    }
    if (type == AV_HWDEVICE_TYPE_NONE || sink_->takesHardwareFrames(type)) {
      sink_->write(frame, slot);
      return;
    }
    downloadFrame(frame, downloaded_.get());
    sink_->write(downloaded_.get(), slot);
    av_frame_unref(downloaded_.get());
  }

 private:
  std::unique_ptr<FrameSink> sink_;
  std::shared_ptr<CodecOpener> opener_;
  std::string decodeName_;
  bool decodeOnHardware_;
  std::string codecName_;
  UniqueAVFrame downloaded_;
  CpuFallback fallback_;
};

}  // namespace

std::unique_ptr<FrameSink> makeFrameSink(const VideoDecoderOptions& options, bool floatOutput,
                                         const AVStream* stream, int width, int height,
                                         std::optional<double> rotation, bool mayPipeline) {
  Device decodeOn = options.decodeDevice.value_or(options.device);
  DeviceBackend& output = deviceBackend(options.device.kind);
  DeviceBackend& decode = deviceBackend(decodeOn.kind);
  output.checkDevice(options.device.index);
  if (!(decodeOn == options.device)) {
    decode.checkDevice(decodeOn.index);
  }
  SinkSpec spec;
  spec.device = options.device;
  spec.floatOutput = floatOutput;
  spec.width = width;
  spec.height = height;
  spec.rotation = rotation;
  spec.transforms = options.transforms;
  spec.numThreads = static_cast<int>(options.numThreads);
  spec.mayPipeline = mayPipeline;
  std::unique_ptr<FrameSink> sink = output.makeSink(spec);
  std::shared_ptr<CodecOpener> opener = decode.decoderOpener(decodeOn.index, stream);
  return std::make_unique<RoutedSink>(std::move(sink), std::move(opener),
                                      deviceName(decode, decodeOn), !decodeOn.isCpu(),
                                      avcodec_get_name(stream->codecpar->codec_id));
}

}  // namespace codecflow

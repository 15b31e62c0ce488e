#include "device/DeviceBackend.h"

#include <map>
#include <mutex>

#include "codecflow/Error.h"
#include "device/cpu/CpuBackend.h"

#ifdef CODECFLOW_HAS_CUDA
#include "device/cuda/CudaBackend.h"
#endif

namespace codecflow {

namespace {

struct Entry {
  DeviceBackendFactory factory;
  std::unique_ptr<DeviceBackend> backend;  // made on first use
};

struct Registry {
  std::mutex mutex;
  std::map<Device::Kind, Entry> entries;
};

Registry& registry() {
  // Leaked on purpose: backends hold device contexts that must outlive
  // every static destructor that might still decode.
  static auto* r = [] {
    auto* made = new Registry();
    // The built-in backends: one line each (Note [Adding a backend]).
    made->entries[Device::Kind::Cpu].factory = [] { return std::make_unique<CpuBackend>(); };
#ifdef CODECFLOW_HAS_CUDA
    made->entries[Device::Kind::Cuda].factory = [] { return std::make_unique<CudaBackend>(); };
#endif
    return made;
  }();
  return *r;
}

}  // namespace

bool registerDeviceBackend(Device::Kind kind, DeviceBackendFactory factory) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  Entry& entry = r.entries[kind];
  if (entry.backend) {
    // Decoders and encoders may hold references to it.
    fail(ErrorKind::Runtime, "the backend of device kind " +
                                 std::to_string(static_cast<int>(kind)) +
                                 " is in use and cannot be replaced");
  }
  entry.factory = std::move(factory);
  return true;
}

DeviceBackend& deviceBackend(Device::Kind kind) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto it = r.entries.find(kind);
  if (it == r.entries.end() || !it->second.factory) {
    if (kind == Device::Kind::Cuda) {
      fail(ErrorKind::Runtime, "a CUDA device was asked for, but this codecflow build has no "
                               "CUDA support (it was compiled without nvcc/the CUDA toolkit)");
    }
    fail(ErrorKind::Runtime, "no device backend is registered for device kind " +
                                 std::to_string(static_cast<int>(kind)));
  }
  if (!it->second.backend) {
    it->second.backend = it->second.factory();
  }
  return *it->second.backend;
}

bool isHardwareEncoder(const AVCodec* codec) {
  if (codec == nullptr) {
    return false;
  }
  if (codec->capabilities & AV_CODEC_CAP_HARDWARE) {
    return true;
  }
  return avcodec_get_hw_config(codec, 0) != nullptr;
}

// Note [Hardware encoders]
// An encoder named outright is used as named: a hardware one that cannot
// open fails (RuntimeError with FFmpeg's reason, before any output), and a
// CPU one given device frames gets them downloaded. A codec named by its
// codec name ("h264", "hevc") or chosen by the container tries the frames'
// device's hardware encoder first and falls back to the codec's CPU
// encoder, the reason kept in the stream's cpuFallback. CPU frames always
// take the CPU encoder such a name resolves to.
EncoderChoice chooseVideoEncoder(const std::string& requested, const AVCodec* resolved,
                                 Device device) {
  EncoderChoice choice;
  choice.first = resolved;
  if (isHardwareEncoder(resolved)) {
    choice.explicitHardware = true;
    return choice;
  }
  bool namesEncoder = !requested.empty() &&
                      avcodec_find_encoder_by_name(requested.c_str()) != nullptr;
  if (device.isCpu() || namesEncoder || resolved == nullptr) {
    return choice;
  }
  const AVCodec* hardware = deviceBackend(device.kind).hardwareEncoder(resolved->id);
  if (hardware != nullptr) {
    choice.first = hardware;
    choice.fallback = resolved;
  }
  return choice;
}

}  // namespace codecflow

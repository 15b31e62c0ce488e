#include <pybind11/stl.h>

#include "bindings.h"
#include "codecflow/Encoder.h"
#include "codecflow/Error.h"
#include "file_like.h"

namespace codecflow::python {

namespace {

// Destroys an Encoder without the GIL: its worker thread may need the GIL
// to finish a write to a file-like object.
struct ReleaseGilDeleter {
  void operator()(Encoder* encoder) const {
    py::gil_scoped_release release;
    delete encoder;
  }
};
using EncoderHolder = std::unique_ptr<Encoder, ReleaseGilDeleter>;

py::dict infoDict(const EncoderInfo& info) {
  py::dict d;
  d["codec"] = info.codec;
  d["pixel_format"] = info.pixelFormat;
  d["sample_format"] = info.sampleFormat;
  d["frame_size"] = info.frameSize;
  d["cpu_fallback"] = info.cpuFallback;
  d["cpu_fallback_reason"] = info.cpuFallbackReason;
  return d;
}

}  // namespace

void bindEncoder(py::module_& m) {
  m.def(
      "exact_frame_rate",
      [](double fps) {
        FrameRate rate = exactFrameRate(fps);
        return std::make_pair(rate.num, rate.den);
      },
      py::arg("fps"),
      "The exact (num, den) a stream gets for `fps`; ValueError outside (0, 1000].");
  m.def(
      "exact_frame_rate_fraction",
      [](const PyInt& num, const PyInt& den) {
        FrameRate rate = exactFrameRate(narrowInt<int64_t>(num, "frame_rate numerator"),
                                        narrowInt<int64_t>(den, "frame_rate denominator"));
        return std::make_pair(rate.num, rate.den);
      },
      py::arg("num"), py::arg("den"), "The reduced (num, den) of a rate given as a fraction.");
  m.def(
      "check_finite_samples",
      [](const py::object& samples) {
        Tensor tensor = fromDLPackObject(samples);
        py::gil_scoped_release release;
        checkFiniteSamples(tensor, "samples");
      },
      py::arg("samples"), "ValueError naming the first NaN or infinite sample.");
  py::class_<ByteSink, std::shared_ptr<ByteSink>>(m, "ByteSink");
  py::class_<MemorySink, ByteSink, std::shared_ptr<MemorySink>>(m, "MemorySink")
      .def(py::init<>())
      .def("take_bytes", [](MemorySink& self) { return toCapsule(self.takeBytes()); },
           "The bytes written, as a DLPack capsule of a 1-D uint8 tensor; empties the sink.");

  py::class_<Encoder, EncoderHolder>(m, "Encoder")
      .def(py::init([](const PyInt& maxQueuedFrames) {
             return EncoderHolder(new Encoder(narrowInt<int>(maxQueuedFrames, "max_queued_frames")));
           }),
           py::arg("max_queued_frames") = PyInt{0})
      .def(
          "add_video",
          [](Encoder& self, const PyInt& height, const PyInt& width, double frameRate,
             const std::string& codec,
             const std::string& pixelFormat, std::optional<double> crf,
             std::optional<std::string> preset, OptionList extraOptions,
             std::optional<std::pair<int64_t, int64_t>> frameRateFraction,
             const PyInt& cudaDevice) {
            VideoStreamOptions options;
            int device = narrowInt<int>(cudaDevice, "cuda device index");
            if (device >= 0) {
              options.device = Device::cuda(device);
            }
            options.height = narrowInt<int>(height, "height");
            options.width = narrowInt<int>(width, "width");
            options.frameRate = frameRate;
            if (frameRateFraction) {
              FrameRate exact = exactFrameRate(frameRateFraction->first, frameRateFraction->second);
              options.exactRate = exact;
            }
            options.codec = codec;
            options.pixelFormat = pixelFormat;
            options.crf = crf;
            options.preset = std::move(preset);
            options.extraOptions = std::move(extraOptions);
            return self.addVideo(std::move(options));
          },
          py::arg("height"), py::arg("width"), py::arg("frame_rate"), py::arg("codec") = "",
          py::arg("pixel_format") = "", py::arg("crf") = std::nullopt,
          py::arg("preset") = std::nullopt, py::arg("extra_options") = OptionList{},
          py::arg("frame_rate_fraction") = std::nullopt, py::arg("cuda_device") = PyInt{-1})
      .def(
          "add_audio",
          [](Encoder& self, const PyInt& sampleRate, const PyInt& numChannels,
             const std::optional<PyInt>& bitRate, const std::optional<PyInt>& outNumChannels,
             const std::optional<PyInt>& outSampleRate, const std::string& codec) {
            AudioStreamOptions options;
            options.sampleRate = narrowInt<int>(sampleRate, "sample_rate");
            options.numChannels = narrowInt<int>(numChannels, "num_channels");
            options.bitRate = narrowInt<int64_t>(bitRate, "bit_rate");
            options.outNumChannels = narrowInt<int>(outNumChannels, "out_num_channels");
            options.outSampleRate = narrowInt<int>(outSampleRate, "out_sample_rate");
            options.codec = codec;
            return self.addAudio(std::move(options));
          },
          py::arg("sample_rate"), py::arg("num_channels"), py::arg("bit_rate") = std::nullopt,
          py::arg("out_num_channels") = std::nullopt, py::arg("out_sample_rate") = std::nullopt,
          py::arg("codec") = "")
      .def("open_file", &Encoder::openFile, py::arg("path"), py::arg("format") = "",
           py::call_guard<py::gil_scoped_release>())
      .def(
          "open_file_like",
          [](Encoder& self, py::object fileLike, const std::string& format) {
            auto sink = std::make_shared<PyFileLike>(std::move(fileLike));
            py::gil_scoped_release release;
            self.openSink(std::move(sink), format);
          },
          py::arg("file_like"), py::arg("format"))
      .def(
          "open_sink",
          [](Encoder& self, std::shared_ptr<ByteSink> sink, const std::string& format) {
            py::gil_scoped_release release;
            self.openSink(std::move(sink), format);
          },
          py::arg("sink"), py::arg("format"))
      .def(
          "add_frames",
          [](Encoder& self, const PyInt& stream, const py::object& frames, bool channelsLast,
             bool nv12,
             const std::vector<double>& ptsSeconds, const std::vector<bool>& keyFrames) {
            Tensor tensor = fromDLPackObject(frames);
            FrameLayout layout = nv12           ? FrameLayout::NV12
                                 : channelsLast ? FrameLayout::NHWC
                                                : FrameLayout::NCHW;
            py::gil_scoped_release release;
            self.addFrames(narrowInt<int>(stream, "stream"), tensor, layout, ptsSeconds,
                           keyFrames);
          },
          py::arg("stream"), py::arg("frames"), py::arg("channels_last") = false,
          py::arg("nv12") = false,
          py::arg("pts_seconds") = std::vector<double>{},
          py::arg("key_frames") = std::vector<bool>{})
      .def(
          "add_samples",
          [](Encoder& self, const PyInt& stream, const py::object& samples) {
            int index = narrowInt<int>(stream, "stream");
            Tensor tensor = fromDLPackObject(samples);
            py::gil_scoped_release release;
            self.addSamples(index, tensor);
          },
          py::arg("stream"), py::arg("samples"))
      .def("flush", &Encoder::flush, py::call_guard<py::gil_scoped_release>())
      .def("close", &Encoder::close, py::call_guard<py::gil_scoped_release>())
      .def("abort", &Encoder::abort, py::call_guard<py::gil_scoped_release>())
      .def_property_readonly("queued_frames", &Encoder::queuedFrames)
      .def_property_readonly("is_open", &Encoder::isOpen)
      .def("stream_info", [](const Encoder& self, const PyInt& stream) {
        return infoDict(self.streamInfo(narrowInt<int>(stream, "stream")));
      });
}

}  // namespace codecflow::python

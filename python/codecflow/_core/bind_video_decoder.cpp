#include <pybind11/stl.h>

#include <string>

#include "bindings.h"
#include "codecflow/Error.h"
#include "codecflow/VideoDecoder.h"

namespace codecflow::python {

namespace {

py::tuple toPython(DecodedFrames&& frames) {
  return py::make_tuple(toCapsule(frames.data), std::move(frames.ptsSeconds),
                        std::move(frames.durationSeconds));
}

TransformStep makeStep(const std::string& kind, const PyInt& height, const PyInt& width,
                       const PyInt& top, const PyInt& left) {
  TransformStep::Kind parsed = TransformStep::Kind::Resize;
  if (kind == "resize") {
    parsed = TransformStep::Kind::Resize;
  } else if (kind == "crop") {
    parsed = TransformStep::Kind::Crop;
  } else {
    fail(ErrorKind::InvalidArgument, "unknown transform kind '" + kind + "'; known: resize, crop");
  }
  return TransformStep::make(parsed, toCore(height, kTransformSizeRange),
                             toCore(width, kTransformSizeRange),
                             toCore(top, kTransformCornerRange),
                             toCore(left, kTransformCornerRange));
}

}  // namespace

VideoDecoderOptions videoDecoderOptions(
    const std::optional<PyInt>& streamIndex, const PyInt& numThreads, bool exact,
    std::optional<std::vector<std::tuple<PyInt, PyInt, bool>>> custom,
    std::vector<TransformStep> transforms, const std::string& outputDType,
    const PyInt& cudaDevice, const std::string& cudaBackend,
    std::map<std::string, std::string> ffmpegOptions, const std::optional<py::bytes>& savedIndex,
    bool rescanBadSavedIndex, const std::optional<py::function>& transformsFor) {
  VideoDecoderOptions options;
  options.streamIndex = toCore(streamIndex, kVideoStreamIndexRange);
  options.numThreads = toCore(numThreads, kNumThreadsRange);
  options.seekMode = exact ? SeekMode::Exact : SeekMode::Approximate;
  if (custom) {
    std::vector<CustomFrame> frames;
    for (const auto& [pts, duration, key] : *custom) {
      frames.push_back({narrowInt<int64_t>(pts, "pts of custom_frame_mappings"),
                        narrowInt<int64_t>(duration, "duration of custom_frame_mappings"),
                        key});
    }
    options.customFrames = std::move(frames);
  }
  options.transforms = std::move(transforms);
  if (transformsFor) {
    // Called and finally released by the core without the GIL:
    // both take it back.
    std::shared_ptr<py::function> fn(new py::function(*transformsFor),
                                     [](py::function* f) {
                                       py::gil_scoped_acquire gil;
                                       delete f;
                                     });
    options.transformsFor = [fn](int height, int width) {
      py::gil_scoped_acquire gil;
      return (*fn)(height, width).cast<std::vector<TransformStep>>();
    };
  }
  if (outputDType == "uint8") {
    options.outputDType = OutputDType::UInt8;
  } else if (outputDType == "float32") {
    options.outputDType = OutputDType::Float32;
  } else if (outputDType == "auto") {
    options.outputDType = OutputDType::Auto;
  } else {
    fail(ErrorKind::InvalidArgument, "unknown output dtype '" + outputDType +
                                         "'; known: uint8, float32, auto");
  }
  int device = narrowInt<int>(cudaDevice, "cuda device index");
  if (device >= 0) {
    options.device = Device::cuda(device);
  }
  // "nvdec" and "ffmpeg" both decode through FFmpeg's CUDA hwaccel.
  (void)cudaBackend;
  options.ffmpegOptions = std::move(ffmpegOptions);
  if (savedIndex) {
    options.savedIndex = *savedIndex;
  }
  options.rescanBadSavedIndex = rescanBadSavedIndex;
  return options;
}

void bindVideoDecoder(py::module_& m) {
  py::class_<TransformStep>(m, "TransformStep")
      .def(py::init(&makeStep), py::arg("kind"), py::arg("height"), py::arg("width"),
           py::arg("top") = PyInt{-1}, py::arg("left") = PyInt{-1})
      // Pickled as its constructor's arguments, so that a pickled decoder
      // keeps its transforms (a RandomCrop keeps the position it drew).
      .def(py::pickle(
          [](const TransformStep& step) {
            const char* kind = step.kind == TransformStep::Kind::Resize ? "resize" : "crop";
            return py::make_tuple(kind, step.height, step.width, step.top, step.left);
          },
          [](const py::tuple& state) {
            if (state.size() != 5) {
              fail(ErrorKind::InvalidArgument, "a pickled TransformStep holds 5 values, got " +
                                                   std::to_string(state.size()));
            }
            return makeStep(state[0].cast<std::string>(), state[1].cast<PyInt>(),
                            state[2].cast<PyInt>(), state[3].cast<PyInt>(),
                            state[4].cast<PyInt>());
          }));

  py::class_<VideoDecoder>(m, "VideoDecoder")
      .def(py::init([](const Source& source, const std::optional<PyInt>& streamIndex,
                       const PyInt& numThreads,
                       bool exact,
                       std::optional<std::vector<std::tuple<PyInt, PyInt, bool>>> custom,
                       std::vector<TransformStep> transforms, const std::string& outputDType,
                       const PyInt& cudaDevice, const std::string& cudaBackend,
                       std::map<std::string, std::string> ffmpegOptions,
                       const std::optional<py::bytes>& savedIndex, bool rescanBadSavedIndex,
                       const std::optional<py::function>& transformsFor) {
             VideoDecoderOptions options = videoDecoderOptions(
                 streamIndex, numThreads, exact, std::move(custom), std::move(transforms),
                 outputDType, cudaDevice, cudaBackend, std::move(ffmpegOptions), savedIndex,
                 rescanBadSavedIndex, transformsFor);
             py::gil_scoped_release release;
             return std::make_unique<VideoDecoder>(source, std::move(options));
           }),
           py::arg("source"), py::arg("stream_index") = std::nullopt,
           py::arg("num_threads") = PyInt{1},
           py::arg("exact") = true, py::arg("custom_frames") = std::nullopt,
           py::arg("transforms") = std::vector<TransformStep>{},
           py::arg("output_dtype") = "uint8", py::arg("cuda_device") = PyInt{-1},
           py::arg("cuda_backend") = "ffmpeg",
           py::arg("ffmpeg_options") = std::map<std::string, std::string>{},
           py::arg("saved_index") = std::nullopt, py::arg("rescan_bad_saved_index") = false,
           py::arg("transforms_for") = std::nullopt)
      .def_property_readonly("metadata", &VideoDecoder::metadata)
      .def_property_readonly("stream_index", &VideoDecoder::streamIndex)
      .def_property_readonly("num_frames", &VideoDecoder::numFrames)
      .def_property_readonly("output_height", &VideoDecoder::outputHeight)
      .def_property_readonly("output_width", &VideoDecoder::outputWidth)
      .def_property_readonly("time_base", &VideoDecoder::timeBase)
      .def_property_readonly("exact", &VideoDecoder::exact)
      .def_property_readonly("float_output", &VideoDecoder::floatOutput)
      .def_property_readonly(
          "cpu_fallback",
          [](const VideoDecoder& self) {
            // Without the GIL: it waits for the decoder's lock, which a decoding
            // thread may hold while it takes the GIL (the device allocator).
            CpuFallback f = withoutGil([&] { return self.cpuFallback(); });
            return py::make_tuple(f.known, f.fellBack, f.reason);
          },
          "(known, fell back, reason) of a decoder on a CUDA device.")
      .def("index_pts", &VideoDecoder::indexPts)
      .def("index_durations", &VideoDecoder::indexDurations)
      .def("index_key_frames", &VideoDecoder::indexKeyFrames)
      .def("key_frame_indices", &VideoDecoder::keyFrameIndices)
      .def("saved_index",
           [](const VideoDecoder& self) { return py::bytes(self.savedIndex()); })
      .def_property_readonly("saved_index_problem", &VideoDecoder::savedIndexProblem)
      .def("key_frames",
           [](VideoDecoder& self) {
             return toPython(withoutGil([&] { return self.keyFrames(); }));
           })
      .def_property_readonly("begin_seconds", &VideoDecoder::beginSeconds)
      .def_property_readonly("end_seconds", &VideoDecoder::endSeconds)
      .def(
          "frames_at",
          [](VideoDecoder& self, const std::vector<int64_t>& indices) {
            return toPython(withoutGil([&] { return self.framesAt(indices); }));
          },
          py::arg("indices"),
          "Frames at these indices as (DLPack capsule NHWC, pts seconds, duration seconds).")
      .def(
          "frames_played_at",
          [](VideoDecoder& self, const std::vector<double>& seconds) {
            return toPython(withoutGil([&] { return self.framesPlayedAt(seconds); }));
          },
          py::arg("seconds"))
      .def(
          "frames_in_range",
          [](VideoDecoder& self, int64_t start, std::optional<int64_t> stop, int64_t step) {
            return toPython(withoutGil([&] { return self.framesInRange(start, stop, step); }));
          },
          py::arg("start"), py::arg("stop"), py::arg("step"))
      .def(
          "frames_played_in_range",
          [](VideoDecoder& self, double start, double stop, std::optional<double> fps) {
            return toPython(withoutGil([&] { return self.framesPlayedInRange(start, stop, fps); }));
          },
          py::arg("start"), py::arg("stop"), py::arg("fps"));

  m.def(
      "inspect_saved_index",
      [](const py::bytes& bytes) {
        SavedIndexInfo info = inspectSavedIndex(bytes);
        std::vector<std::tuple<int64_t, int64_t, bool>> frames;
        for (const CustomFrame& f : info.frames) {
          frames.emplace_back(f.pts, f.duration, f.keyFrame);
        }
        return py::make_tuple(info.streamIndex, info.timeBase, frames, info.numSeekPoints);
      },
      py::arg("data"), "(stream index, time base, [(pts, duration, key)], seek points).");
}

}  // namespace codecflow::python

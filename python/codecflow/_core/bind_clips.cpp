// [extra] Many videos in one call: the requests of decode_clips, decoded by
// the core on its own threads with the GIL released throughout.
#include <pybind11/stl.h>

#include "bindings.h"
#include "codecflow/Clips.h"

namespace codecflow::python {

void bindClips(py::module_& m) {
  py::class_<ClipRequest>(m, "ClipRequest")
      .def(py::init([](const Source& source, std::optional<std::vector<int64_t>> indices,
                       std::optional<std::vector<double>> seconds,
                       const std::optional<PyInt>& streamIndex, const PyInt& numThreads,
                       bool exact, std::vector<TransformStep> transforms,
                       const std::string& outputDType,
                       std::map<std::string, std::string> ffmpegOptions,
                       const std::optional<py::bytes>& savedIndex,
                       const std::optional<py::function>& transformsFor) {
             if (indices.has_value() == seconds.has_value()) {
               fail(ErrorKind::InvalidArgument,
                    "a clip asks for frame indices or for times, exactly one of them");
             }
             ClipRequest request{source,
                                 videoDecoderOptions(streamIndex, numThreads, exact,
                                                     std::nullopt, std::move(transforms),
                                                     outputDType, PyInt{-1}, "ffmpeg",
                                                     std::move(ffmpegOptions), savedIndex,
                                                     false, transformsFor),
                                 indices.value_or(std::vector<int64_t>{}), std::move(seconds)};
             return request;
           }),
           py::arg("source"), py::arg("indices") = std::nullopt,
           py::arg("seconds") = std::nullopt, py::arg("stream_index") = std::nullopt,
           py::arg("num_threads") = PyInt{1}, py::arg("exact") = true,
           py::arg("transforms") = std::vector<TransformStep>{},
           py::arg("output_dtype") = "uint8",
           py::arg("ffmpeg_options") = std::map<std::string, std::string>{},
           py::arg("saved_index") = std::nullopt, py::arg("transforms_for") = std::nullopt);

  m.def(
      "decode_clips",
      [](const std::vector<ClipRequest>& requests, const PyInt& numThreads) {
        int64_t threads = toCore(numThreads, kClipThreadsRange);
        std::vector<DecodedFrames> results =
            withoutGil([&] { return decodeClips(requests, threads); });
        py::list out;
        for (DecodedFrames& frames : results) {
          out.append(py::make_tuple(toCapsule(frames.data), std::move(frames.ptsSeconds),
                                    std::move(frames.durationSeconds)));
        }
        return out;
      },
      py::arg("requests"), py::arg("num_threads") = PyInt{0},
      "[(DLPack capsule NHWC, pts seconds, duration seconds)] of each request, in order.");
}

}  // namespace codecflow::python

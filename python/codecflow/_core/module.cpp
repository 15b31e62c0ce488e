// The codecflow._core extension module: the C++ core, bound for Python.
#include <pybind11/stl.h>

#include "bindings.h"
#include "codecflow/Log.h"
#include "codecflow/Threads.h"

namespace py = pybind11;
using namespace codecflow;

PYBIND11_MODULE(_core, m) {
  m.doc() = "codecflow's compiled core; use the codecflow package instead.";
  python::registerErrors(m);
  python::bindTensor(m);
  python::bindSource(m);
  python::bindMetadata(m);
  python::bindVideoDecoder(m);
  python::bindAudio(m);
  python::bindCuda(m);
  python::bindEncoder(m);
  python::bindFfmpegInfo(m);
  python::bindClips(m);
  m.def(
      "set_ffmpeg_log_level",
      [](const python::PyInt& level) { setFFmpegLogLevel(python::narrowInt<int>(level, "FFmpeg log level")); },
      py::arg("level"));
  m.def("get_ffmpeg_log_level", &ffmpegLogLevel);
  m.def("ffmpeg_major_version", &ffmpegMajorVersion);
  m.def(
      "set_num_threads",
      [](const std::optional<python::PyInt>& n) {
        if (n) {
          setThreadLimit(python::toCore(*n, kThreadLimitRange));
        } else {
          resetThreadLimit();
        }
      },
      py::arg("n"));
  m.def("get_num_threads", &threadLimit);
  m.def("thread_limit_set", &threadLimitSet);
}

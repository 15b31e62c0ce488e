#include <pybind11/stl.h>

#include "bindings.h"
#include "codecflow/FfmpegInfo.h"

namespace codecflow::python {

void bindFfmpegInfo(py::module_& m) {
  m.def(
      "ffmpeg_libraries",
      [] {
        py::list out;
        for (const FfmpegLibrary& lib : ffmpegLibraries()) {
          out.append(py::make_tuple(lib.name, lib.version, lib.configuration));
        }
        return out;
      },
      "[(name, version, configuration)] of the loaded FFmpeg libraries.");
  m.def(
      "ffmpeg_codecs",
      [] {
        py::list out;
        for (const FfmpegCodec& c : ffmpegCodecs()) {
          out.append(py::make_tuple(c.name, c.longName, c.mediaType, c.decoder, c.hardware));
        }
        return out;
      },
      "[(name, long name, media type, is decoder, is hardware)] of FFmpeg's codecs.");
  m.def("ffmpeg_hardware_device_types", &ffmpegHardwareDeviceTypes);
}

}  // namespace codecflow::python

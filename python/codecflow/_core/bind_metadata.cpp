#include <pybind11/stl.h>

#include "bindings.h"
#include "codecflow/Metadata.h"
#include "codecflow/Source.h"

namespace codecflow::python {

void bindMetadata(py::module_& m) {
  py::enum_<MediaType>(m, "MediaType")
      .value("VIDEO", MediaType::Video)
      .value("AUDIO", MediaType::Audio)
      .value("OTHER", MediaType::Other);

  py::class_<StreamMetadata>(m, "StreamMetadata")
      .def_readonly("stream_index", &StreamMetadata::streamIndex)
      .def_readonly("media_type", &StreamMetadata::mediaType)
      .def_readonly("codec", &StreamMetadata::codec)
      .def_readonly("duration_seconds_from_header", &StreamMetadata::durationSecondsFromHeader)
      .def_readonly("begin_stream_seconds_from_header",
                    &StreamMetadata::beginStreamSecondsFromHeader)
      .def_readonly("bit_rate", &StreamMetadata::bitRate)
      .def_readonly("duration_seconds_from_container",
                    &StreamMetadata::durationSecondsFromContainer)
      .def_readonly("width", &StreamMetadata::width)
      .def_readonly("height", &StreamMetadata::height)
      .def_readonly("num_frames_from_header", &StreamMetadata::numFramesFromHeader)
      .def_readonly("average_fps_from_header", &StreamMetadata::averageFpsFromHeader)
      .def_readonly("sample_aspect_num", &StreamMetadata::sampleAspectNum)
      .def_readonly("sample_aspect_den", &StreamMetadata::sampleAspectDen)
      .def_readonly("rotation", &StreamMetadata::rotation)
      .def_readonly("color_primaries", &StreamMetadata::colorPrimaries)
      .def_readonly("color_space", &StreamMetadata::colorSpace)
      .def_readonly("color_transfer_characteristic",
                    &StreamMetadata::colorTransferCharacteristic)
      .def_readonly("color_range", &StreamMetadata::colorRange)
      .def_readonly("pixel_format", &StreamMetadata::pixelFormat)
      .def_readonly("bits_per_component", &StreamMetadata::bitsPerComponent)
      .def_readonly("begin_stream_seconds_from_content",
                    &StreamMetadata::beginStreamSecondsFromContent)
      .def_readonly("end_stream_seconds_from_content", &StreamMetadata::endStreamSecondsFromContent)
      .def_readonly("num_frames_from_content", &StreamMetadata::numFramesFromContent)
      .def_readonly("sample_rate", &StreamMetadata::sampleRate)
      .def_readonly("num_channels", &StreamMetadata::numChannels)
      .def_readonly("sample_format", &StreamMetadata::sampleFormat);

  py::class_<ContainerMetadata>(m, "ContainerMetadata")
      .def_readonly("duration_seconds_from_header", &ContainerMetadata::durationSecondsFromHeader)
      .def_readonly("bit_rate_from_header", &ContainerMetadata::bitRateFromHeader)
      .def_readonly("best_video_stream_index", &ContainerMetadata::bestVideoStreamIndex)
      .def_readonly("best_audio_stream_index", &ContainerMetadata::bestAudioStreamIndex)
      .def_readonly("streams", &ContainerMetadata::streams);

  m.def("read_container_metadata", &readContainerMetadata, py::arg("source"),
        py::call_guard<py::gil_scoped_release>());
}

}  // namespace codecflow::python

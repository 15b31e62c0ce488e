#include <pybind11/stl.h>

#include "bindings.h"
#include "codecflow/AudioDecoder.h"
#include "codecflow/WavDecoder.h"

namespace codecflow::python {

namespace {

py::tuple toPython(DecodedSamples&& samples) {
  return py::make_tuple(toCapsule(samples.data), samples.ptsSeconds, samples.sampleRate);
}

// Binds the two methods both audio decoders share, releasing the GIL while
// they read and decode.
template <typename Decoder, typename Class>
void bindSampleMethods(Class& cls) {
  cls.def(
         "all_samples",
         [](Decoder& self) {
           return toPython(withoutGil([&] { return self.allSamples(); }));
         },
         "Every sample as (DLPack capsule (C, N) float32, pts seconds, sample rate).")
      .def(
          "samples_in_range",
          [](Decoder& self, double start, std::optional<double> stop) {
            return toPython(withoutGil([&] { return self.samplesInRange(start, stop); }));
          },
          py::arg("start_seconds"), py::arg("stop_seconds") = std::nullopt,
          "The samples played in [start, stop), as all_samples() returns them.");
}

}  // namespace

void bindAudio(py::module_& m) {
  py::class_<AudioDecoder> audio(m, "AudioDecoder");
  audio
      .def(py::init([](const Source& source, const std::optional<PyInt>& streamIndex,
                       const std::optional<PyInt>& sampleRate,
                       const std::optional<PyInt>& numChannels) {
             AudioDecoderOptions options;
             options.streamIndex = toCore(streamIndex, kAudioStreamIndexRange);
             options.sampleRate = toCore(sampleRate, kSampleRateRange);
             options.numChannels = toCore(numChannels, kNumChannelsRange);
             py::gil_scoped_release release;
             return std::make_unique<AudioDecoder>(source, options);
           }),
           py::arg("source"), py::arg("stream_index") = std::nullopt,
           py::arg("sample_rate") = std::nullopt,
           py::arg("num_channels") = std::nullopt)
      .def_property_readonly("metadata", &AudioDecoder::metadata)
      .def_property_readonly("stream_index", &AudioDecoder::streamIndex)
      .def_property_readonly("sample_rate", &AudioDecoder::outputSampleRate)
      .def_property_readonly("num_channels", &AudioDecoder::outputNumChannels)
      .def_property_readonly("begin_seconds", &AudioDecoder::beginSeconds);
  bindSampleMethods<AudioDecoder>(audio);

  py::class_<WavDecoder> wav(m, "WavDecoder");
  wav.def(py::init([](const Source& source) {
            py::gil_scoped_release release;
            return std::make_unique<WavDecoder>(source);
          }),
          py::arg("source"))
      .def_property_readonly("metadata", &WavDecoder::metadata)
      .def_property_readonly("sample_rate", &WavDecoder::sampleRate)
      .def_property_readonly("num_channels", &WavDecoder::numChannels)
      .def_property_readonly("num_samples", &WavDecoder::numSamples);
  bindSampleMethods<WavDecoder>(wav);
}

}  // namespace codecflow::python

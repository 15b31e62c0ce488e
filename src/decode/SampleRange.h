// Seconds to sample indices, shared by AudioDecoder and WavDecoder so that
// both cut ranges the same way.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "codecflow/Error.h"

namespace codecflow {

// The index of the sample nearest to `seconds` on a timeline whose sample 0
// plays at t0 (ties to even, as Python's round()); 0 for times before t0.
inline int64_t sampleIndexAt(double seconds, double t0, int rate) {
  double x = (seconds - t0) * rate;
  if (!(x > 0)) {
    return 0;
  }
  if (x >= 9.0e18) {
    return std::numeric_limits<int64_t>::max();
  }
  return std::llrint(x);
}

struct SampleRange {
  int64_t first = 0;
  int64_t stop = std::numeric_limits<int64_t>::max();  // exclusive; max: to the end
};

// Note [Empty ranges]
// As TorchCodec cuts them: [t, t) holds no samples and is not an error,
// wherever t lies. A range that ends at or before the first sample's time,
// or starts at or after the end of the last sample, is an error
// (InvalidArgument, failEmptyRange). Any other range overlaps the audio and
// returns the samples its bounds round to: none at all for a range narrower
// than a sample that rounds both bounds to the same index.

// True for a range [t, t).
inline bool isZeroLengthRange(double start, std::optional<double> stop) {
  return stop && start == *stop;
}

// Checks and converts [start, stop) seconds. Throws InvalidArgument for NaN
// bounds and for start > stop.
inline SampleRange sampleRangeOf(double start, std::optional<double> stop, double t0, int rate) {
  if (std::isnan(start) || (stop && std::isnan(*stop))) {
    fail(ErrorKind::InvalidArgument, "start_seconds and stop_seconds must not be NaN");
  }
  if (stop && start > *stop) {
    fail(ErrorKind::InvalidArgument, "start_seconds (" + std::to_string(start) +
                                         ") must not be greater than stop_seconds (" +
                                         std::to_string(*stop) + ")");
  }
  SampleRange range;
  range.first = sampleIndexAt(start, t0, rate);
  if (stop) {
    range.stop = sampleIndexAt(*stop, t0, rate);
  }
  return range;
}

// Throws the InvalidArgument of a range that holds no samples.
[[noreturn]] inline void failEmptyRange(const std::string& source, double start,
                                        std::optional<double> stop, double t0, double end) {
  fail(ErrorKind::InvalidArgument,
       "no samples of '" + source + "' are played in [" + std::to_string(start) + ", " +
           (stop ? std::to_string(*stop) : std::string("end")) + ") s: the audio plays from " +
           std::to_string(t0) + " s to " + std::to_string(end) + " s");
}

}  // namespace codecflow

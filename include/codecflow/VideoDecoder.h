// Decodes the frames of one video stream into RGB tensors.
//
// Thread safety: every method may be called from any thread; calls on one
// decoder are serialized by its own mutex. Errors are codecflow::Error.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "codecflow/Error.h"
#include "codecflow/Metadata.h"
#include "codecflow/Source.h"
#include "codecflow/Tensor.h"

namespace codecflow {

enum class SeekMode { Exact, Approximate };

// The sizes a resize or crop may have, and the corners of a crop.
inline constexpr IntRange kTransformSizeRange{"transform size", 1, 16384};
inline constexpr IntRange kTransformCornerRange{"crop corner", -1, 16383};

// One step of the decoder's own transforms, applied in order to the RGB
// frame before it reaches the output.
struct TransformStep {
  enum class Kind { Resize, Crop };
  // A step with checked values: sizes in kTransformSizeRange, corners in
  // kTransformCornerRange (-1: centred). Throws InvalidArgument.
  static TransformStep make(Kind kind, int64_t height, int64_t width, int64_t top = -1,
                            int64_t left = -1);
  Kind kind = Kind::Resize;
  int height = 0;
  int width = 0;
  // Crop only: the top-left corner, or -1 to centre the crop.
  int top = -1;
  int left = -1;
};

enum class OutputDType {
  UInt8,    // RGB24
  Float32,  // [0, 1], through 16-bit RGB for sources deeper than 8 bits
  Auto,     // UInt8 for 8-bit sources, Float32 for deeper ones
};

// A frame of a custom frame mapping (times in the stream's time base).
struct CustomFrame {
  int64_t pts = 0;
  int64_t duration = 0;
  bool keyFrame = false;
};

// Whether a decoder asked to decode on a GPU fell back to the CPU.
struct CpuFallback {
  bool known = false;     // false until the first frame was decoded
  bool fellBack = false;  // frames were decoded on the CPU and uploaded
  std::string reason;     // why, or what happened instead
};

// The valid ranges of the numeric options, checked by the constructor
// (InvalidArgument beyond them). More decoding threads than 64 buy nothing
// (FFmpeg's own frame-thread limit is lower) and cost memory per thread.
inline constexpr IntRange kVideoStreamIndexRange{"stream_index", 0, 65535};
inline constexpr IntRange kNumThreadsRange{"num_ffmpeg_threads", 0, 64};

struct VideoDecoderOptions {
  std::optional<int64_t> streamIndex;  // none: FFmpeg's best video stream
  int64_t numThreads = 1;    // 0: FFmpeg chooses
  SeekMode seekMode = SeekMode::Exact;
  std::optional<std::vector<CustomFrame>> customFrames;
  std::vector<TransformStep> transforms;
  // Transforms that depend on the size of the frames they apply to (a crop
  // checks its fit, a random crop draws its corner): when set, called once
  // with the chosen stream's displayed height and width (rotation applied),
  // before the index scan and any decoding, and its steps replace
  // `transforms`. What it throws reaches the caller unchanged.
  std::function<std::vector<TransformStep>(int height, int width)> transformsFor;
  OutputDType outputDType = OutputDType::UInt8;
  // Where frames are returned: CPU tensors, or CUDA tensors (colour
  // conversion on the GPU).
  Device device = Device::cpu();
  // Where frames are decoded; none: on `device`. A CUDA device decodes with
  // NVDEC through FFmpeg's CUDA hwaccel (software where NVDEC cannot, said
  // by cpuFallback()); the CPU decodes in software. Frames decoded on one
  // and returned on the other are downloaded or uploaded.
  std::optional<Device> decodeDevice;
  // [extra] FFmpeg options by name, each given to the demuxer (and its
  // protocol) or the decoder, whichever knows it; InvalidArgument names a
  // key that neither knows.
  std::map<std::string, std::string> ffmpegOptions;
  // [extra] An index that VideoDecoder::savedIndex() returned, used in exact
  // mode instead of scanning. One that does not load (damaged, another
  // stream) throws InvalidData, or with rescanBadSavedIndex is replaced by
  // a scan and reported by savedIndexProblem().
  std::string savedIndex;
  bool rescanBadSavedIndex = false;
};

// Frames and their times (seconds), in the order they were asked for.
struct DecodedFrames {
  Tensor data;  // (N, H, W, 3), uint8 or float32
  std::vector<double> ptsSeconds;
  std::vector<double> durationSeconds;
};

// [extra] What a saved index (VideoDecoder::savedIndex()) holds, after the
// checks loading it makes; throws InvalidData for bytes that fail them.
struct SavedIndexInfo {
  int streamIndex = 0;
  std::pair<int, int> timeBase{0, 1};
  std::vector<CustomFrame> frames;
  int64_t numSeekPoints = 0;
};
SavedIndexInfo inspectSavedIndex(const std::string& bytes);

class VideoDecoder {
 public:
  VideoDecoder(Source source, VideoDecoderOptions options);
  ~VideoDecoder();
  VideoDecoder(const VideoDecoder&) = delete;
  VideoDecoder& operator=(const VideoDecoder&) = delete;

  // Header values, and in exact mode (or with custom frames) the
  // *FromContent ones.
  const StreamMetadata& metadata() const;
  int streamIndex() const;
  // Frames the decoder can return: the index's count in exact mode, the
  // header's estimate in approximate mode.
  int64_t numFrames() const;
  // Output frame size, after rotation and transforms.
  int outputHeight() const;
  int outputWidth() const;
  // The stream's time base as (num, den).
  std::pair<int, int> timeBase() const;
  bool exact() const;
  // Whether frames come out as float32 (after resolving OutputDType::Auto).
  bool floatOutput() const;

  // Where the stream starts and stops being shown (seconds): the scanned
  // frames' span in exact mode; in approximate mode the header's start (or
  // 0) and that plus the duration (header, else frames / fps, else the
  // container's), or nullopt when no duration is known.
  double beginSeconds() const;
  std::optional<double> endSeconds() const;

  // Per-frame pts/duration (in the stream's time base) of the index; empty
  // in approximate mode.
  std::vector<int64_t> indexPts() const;
  std::vector<int64_t> indexDurations() const;
  std::vector<bool> indexKeyFrames() const;
  // Indices of the shown frames that are key frames, ascending. A key frame
  // that an edit list discards is no shown frame, so it is not listed.
  // Throws Runtime in approximate mode, which has no index.
  std::vector<int64_t> keyFrameIndices() const;

  // [extra] The frame index as bytes for VideoDecoderOptions::savedIndex
  // (Note [Saved frame indices]). Throws Runtime in approximate mode.
  std::string savedIndex() const;
  // [extra] Why the saved index given was not used, or empty.
  const std::string& savedIndexProblem() const;

  // [extra] The key frames (those of keyFrameIndices()), decoding nothing
  // else: FFmpeg's skip_frame=nokey. Throws Runtime in approximate mode.
  DecodedFrames keyFrames();

  // Whether a decoder on a CUDA device fell back to CPU decoding.
  CpuFallback cpuFallback() const;

  // The frames at these indices, in this order; duplicates allowed, each
  // distinct frame decoded once. Throws OutOfRange for an index outside
  // [0, numFrames()).
  DecodedFrames framesAt(const std::vector<int64_t>& indices);

  // Frames start, start + step, ... before stop, the bounds normalized as
  // Python's slice(start, stop, step).indices(numFrames()) does: negative
  // bounds count from the end, both clamp to [0, numFrames()], no stop means
  // the end, and start >= stop gives no frames. Throws InvalidArgument for
  // step <= 0.
  DecodedFrames framesInRange(int64_t start, std::optional<int64_t> stop, int64_t step);

  // The frames shown at these times (seconds): pts <= t < next pts, times
  // compared in the stream's time base (Note [Times to timestamps]). Throws
  // OutOfRange for a time outside [beginSeconds(), endSeconds()).
  DecodedFrames framesPlayedAt(const std::vector<double>& seconds);

  // The frames on screen during [start, stop): the one shown at start, then
  // every later frame whose pts is before stop; none when start == stop.
  // With fps: round((stop - start) * fps) frames, the i-th the one shown at
  // start + i / fps, with that time as its pts and 1 / fps as its duration.
  // Throws InvalidArgument when start > stop, start lies outside
  // [beginSeconds(), endSeconds()), stop after endSeconds(), or fps <= 0.
  DecodedFrames framesPlayedInRange(double start, double stop, std::optional<double> fps);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The most frames one resampled range may ask for.
inline constexpr int64_t kMaxResampledFrames = 1'000'000;

// The times start, start + 1/fps, ... before stop (seconds) at which a range
// resampled to `fps` shows a frame. Throws InvalidArgument for an fps that
// is not a finite number in (0, 1e6], non-finite bounds, or a range that
// asks for more than kMaxResampledFrames frames.
std::vector<double> resampledTimes(double startSeconds, double stopSeconds, double fps);

}  // namespace codecflow

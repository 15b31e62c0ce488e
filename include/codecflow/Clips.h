// [extra] Many videos in one call (codecflow.decoders.decode_clips; the
// threads are src/decode/ParallelClips.cpp's): each
// request opens its own decoder and decodes its frames, the requests spread
// over a few threads that end with the call.
#pragma once

#include <optional>
#include <vector>

#include "codecflow/Source.h"
#include "codecflow/VideoDecoder.h"

namespace codecflow {

struct ClipRequest {
  Source source;
  VideoDecoderOptions options;
  // Frame indices, or with `seconds` the times at which frames are shown.
  std::vector<int64_t> indices;
  std::optional<std::vector<double>> seconds;
};

// The frames of every request, in the requests' order, decoded on up to
// `numThreads` threads (0: threadLimit(); never more than it). Inside a
// request one context decodes (no GOP-parallel workers of its own). The
// first failing request (lowest position) throws an Error of the kind it
// failed with, its message naming the request's position and source; the
// requests not started yet are then skipped. Thread safety: requests share
// nothing; the call may run beside any other.
std::vector<DecodedFrames> decodeClips(const std::vector<ClipRequest>& requests,
                                       int64_t numThreads);

// The range of decode_clips' num_threads (0: the process-wide limit).
inline constexpr IntRange kClipThreadsRange{"num_threads", 0, 4096};

}  // namespace codecflow

#include "codecflow/Clips.h"

#include <algorithm>
#include <string>

#include "codecflow/Error.h"
#include "codecflow/Threads.h"
#include "decode/Parallel.h"

namespace codecflow {

std::vector<DecodedFrames> decodeClips(const std::vector<ClipRequest>& requests,
                                       int64_t numThreads) {
  checkRange(kClipThreadsRange, numThreads);
  int workers = parallelWorkers(requests.size());
  if (numThreads > 0) {
    workers = std::min<int>(workers, static_cast<int>(numThreads));
  }
  std::vector<DecodedFrames> results(requests.size());
  runParallel(requests.size(), workers, [&](int, size_t i) {
    const ClipRequest& request = requests[i];
    auto where = [&] {
      return "decode_clips item " + std::to_string(i) + " ('" + request.source.description() +
             "'): ";
    };
    try {
      VideoDecoder decoder(request.source, request.options);
      results[i] = request.seconds ? decoder.framesPlayedAt(*request.seconds)
                                   : decoder.framesAt(request.indices);
    } catch (const Error& e) {
      throw Error(e.kind(), where() + e.what());
    }
  });
  return results;
}

}  // namespace codecflow

#include "decode/CutTail.h"

#include <algorithm>
#include <vector>

#include "codecflow/Error.h"

namespace codecflow {

void keepFramesThatDecode(FrameIndex& index, VideoStreamDecoder& decoder) {
  int64_t point = index.cutTailSeekPoint();
  if (point < 0) {
    return;
  }
  bool fromStart = index.seekPoints().empty();
  int64_t from = fromStart ? INT64_MIN : index.seekPoints()[point].pts;
  std::vector<int64_t> decoded;
  try {
    for (int attempt = 0; attempt < 2; ++attempt, fromStart = true) {
      decoder.seek(fromStart ? INT64_MIN : index.seekPoints()[point].seekTimestamp());
      decoded.clear();
      while (decoder.advance()) {
        decoded.push_back(decoder.currentPts());
      }
      if (fromStart ||
          (!decoded.empty() && *std::min_element(decoded.begin(), decoded.end()) <= from)) {
        break;  // else the seek landed past the key frame: decode it all
      }
    }
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::InvalidData) {
      throw;
    }
    // Damaged before the end: decoding raises there, as for any file.
    decoder.seek(INT64_MIN);
    return;
  }
  std::sort(decoded.begin(), decoded.end());
  index.keepDecodedTail(point, decoded);
  decoder.seek(INT64_MIN);
}

}  // namespace codecflow

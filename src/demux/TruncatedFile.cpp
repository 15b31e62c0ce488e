#include "demux/TruncatedFile.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "demux/FrameIndex.h"
#include "codecflow/Error.h"

namespace codecflow {

int64_t fileSizeOf(AVFormatContext* format) {
  return format->pb != nullptr ? avio_size(format->pb) : -1;
}

bool packetMayBeCut(AVFormatContext* format, const AVPacket* packet, int64_t fileSize) {
  if (packet->flags & AV_PKT_FLAG_CORRUPT) {
    return true;
  }
  if (fileSize <= 0 || packet->pos < 0 || packet->pos + packet->size < fileSize) {
    return false;
  }
  // It reaches the end of the file: whole if the container's index says
  // so (a complete MP4 whose last sample is the last byte).
  AVStream* stream = format->streams[packet->stream_index];
  for (int i = avformat_index_get_entries_count(stream) - 1; i >= 0; --i) {
    const AVIndexEntry* entry = avformat_index_get_entry(stream, i);
    if (entry != nullptr && entry->pos == packet->pos) {
      return entry->size > packet->size;
    }
  }
  return true;
}

namespace {

// An EBML variable-length integer at `p` (at most `n` bytes): its value and
// length, or length 0. All ones (an unknown size) gives -1.
std::pair<int64_t, int> readVint(const uint8_t* p, int n, bool keepMarker) {
  if (n <= 0 || p[0] == 0) {
    return {0, 0};
  }
  int length = 1;
  while (!(p[0] & (0x80 >> (length - 1)))) {
    ++length;
  }
  if (length > n) {
    return {0, 0};
  }
  int64_t value = keepMarker ? p[0] : (p[0] & (0xFF >> length));
  bool allOnes = value == (0xFF >> length);
  for (int i = 1; i < length; ++i) {
    value = (value << 8) | p[i];
    allOnes = allOnes && p[i] == 0xFF;
  }
  return {allOnes && !keepMarker ? -1 : value, length};
}

// The size an AVI (its first RIFF chunk) or Matroska file (its Segment)
// declares in its first bytes, or -1 when unknown.
int64_t declaredSize(AVFormatContext* format) {
  AVIOContext* pb = format->pb;
  if (!(pb->seekable & AVIO_SEEKABLE_NORMAL)) {
    return -1;
  }
  std::string name = format->iformat->name;
  bool avi = name == "avi";
  bool matroska = name.find("matroska") != std::string::npos;
  if (!avi && !matroska) {
    return -1;
  }
  uint8_t head[64] = {0};
  int64_t saved = avio_tell(pb);
  int got = avio_seek(pb, 0, SEEK_SET) == 0 ? avio_read(pb, head, sizeof head) : -1;
  if (avio_seek(pb, saved, SEEK_SET) != saved) {
    fail(ErrorKind::Runtime, "could not return to the demuxer's position after reading the header");
  }
  if (got < 12) {
    return -1;
  }
  if (avi) {
    if (std::memcmp(head, "RIFF", 4) != 0) {
      return -1;
    }
    return 8 + (static_cast<int64_t>(head[4]) | head[5] << 8 | head[6] << 16 |
                static_cast<int64_t>(head[7]) << 24);
  }
  // The EBML header element, then the Segment (ID 0x18538067).
  auto [ebmlId, idLength] = readVint(head, got, true);
  auto [ebmlSize, sizeLength] = readVint(head + idLength, got - idLength, false);
  if (ebmlId != 0x1A45DFA3 || sizeLength == 0 || ebmlSize < 0) {
    return -1;
  }
  int64_t at = idLength + sizeLength + ebmlSize;
  if (at + 12 > got) {
    return -1;
  }
  auto [segmentId, segmentIdLength] = readVint(head + at, got - static_cast<int>(at), true);
  auto [segmentSize, segmentSizeLength] =
      readVint(head + at + segmentIdLength, got - static_cast<int>(at) - segmentIdLength, false);
  if (segmentId != 0x18538067 || segmentSizeLength == 0 || segmentSize < 0) {
    return -1;
  }
  return at + segmentIdLength + segmentSizeLength + segmentSize;
}

}  // namespace

bool fileCutShort(AVFormatContext* format, int streamIndex) {
  int64_t fileSize = format->pb != nullptr ? avio_size(format->pb) : -1;
  if (fileSize <= 0) {
    return false;
  }
  if (declaredSize(format) > fileSize) {
    return true;
  }
  AVStream* stream = format->streams[streamIndex];
  for (int i = avformat_index_get_entries_count(stream) - 1; i >= 0; --i) {
    const AVIndexEntry* entry = avformat_index_get_entry(stream, i);
    if (entry != nullptr && entry->pos + entry->size > fileSize) {
      return true;
    }
  }
  return false;
}

}  // namespace codecflow

// Signs that a media file ends before its container says it does
// (Note [A file cut short] in FrameIndex.h).
#pragma once

extern "C" {
#include <libavformat/avformat.h>
}

namespace codecflow {

class FrameIndex;

// Whether `packet` may hold only the start of its data because the file
// ends inside it: it reaches the end of the file and the container's index,
// where there is one, gives it more bytes (or the demuxer marked it corrupt).
// `fileSize` is fileSizeOf(format).
bool packetMayBeCut(AVFormatContext* format, const AVPacket* packet, int64_t fileSize);

// The size of the file being read, or a negative number when unknown.
int64_t fileSizeOf(AVFormatContext* format);

// Whether, from what the demuxer read with the header, the file is shorter
// than its container says: the container's index places data of stream
// `streamIndex` past the end (MP4), or the size an AVI or Matroska file
// declares in its first bytes runs past it. Reads no packets.
bool fileCutShort(AVFormatContext* format, int streamIndex);

}  // namespace codecflow

#include "ffmpeg/FFmpeg.h"

#include <new>

namespace codecflow {

UniqueAVFrame allocFrame() {
  UniqueAVFrame frame(av_frame_alloc());
  if (!frame) {
    throw std::bad_alloc();
  }
  return frame;
}

UniqueAVPacket allocPacket() {
  UniqueAVPacket packet(av_packet_alloc());
  if (!packet) {
    throw std::bad_alloc();
  }
  return packet;
}

}  // namespace codecflow

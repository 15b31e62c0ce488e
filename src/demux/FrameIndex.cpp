#include "demux/FrameIndex.h"

#include <algorithm>

#include "demux/Demuxer.h"
#include "demux/TruncatedFile.h"

namespace codecflow {

FrameIndex FrameIndex::scan(Demuxer& demuxer, int streamIndex) {
  FrameIndex index;
  UniqueAVPacket packet = allocPacket();
  int64_t untimed = 0;
  int64_t untimedDuration = 0;
  bool lastMayBeCut = false;
  int64_t fileSize = fileSizeOf(demuxer.format());
  int64_t lastDts = AV_NOPTS_VALUE;
  while (demuxer.readPacket(packet.get())) {
    PacketRef unref(packet.get());
    if (packet->stream_index != streamIndex) {
      continue;
    }
    lastMayBeCut = packetMayBeCut(demuxer.format(), packet.get(), fileSize);
    lastDts = packet->dts != AV_NOPTS_VALUE ? packet->dts : packet->pts;
    int64_t pts = packet->pts != AV_NOPTS_VALUE ? packet->pts : packet->dts;
    if (pts == AV_NOPTS_VALUE) {
      ++untimed;
      if (untimedDuration <= 0) {
        untimedDuration = packet->duration;
      }
      continue;
    }
    bool key = (packet->flags & AV_PKT_FLAG_KEY) != 0;
    if (key) {
      int64_t dts = packet->dts != AV_NOPTS_VALUE ? packet->dts : pts;
      index.seekPoints_.push_back({pts, dts});
    }
    if ((packet->flags & AV_PKT_FLAG_DISCARD) == 0) {
      index.frames_.push_back({pts, packet->duration, key});
    }
  }
  if (index.frames_.empty() && untimed > 0) {
    // Note [Streams without timestamps]
    index.numberedDuration_ = untimedDuration > 0 ? untimedDuration : 1;
    index.frames_.reserve(static_cast<size_t>(untimed));
    for (int64_t i = 0; i < untimed; ++i) {
      index.frames_.push_back({i * index.numberedDuration_, index.numberedDuration_, i == 0});
    }
  }
  index.finish();
  if (lastMayBeCut && !index.frames_.empty()) {
    // The last key frame decoded before the cut packet.
    index.cutTailSeekPoint_ = 0;
    for (size_t i = index.seekPoints_.size(); i-- > 0;) {
      if (lastDts == AV_NOPTS_VALUE || index.seekPoints_[i].dts <= lastDts) {
        index.cutTailSeekPoint_ = static_cast<int64_t>(i);
        break;
      }
    }
  }
  demuxer.seekBackward(streamIndex, INT64_MIN);
  return index;
}

FrameIndex FrameIndex::fromFrames(std::vector<FrameEntry> frames) {
  FrameIndex index;
  index.frames_ = std::move(frames);
  for (const FrameEntry& f : index.frames_) {
    if (f.keyFrame) {
      index.seekPoints_.push_back({f.pts, f.pts});
    }
  }
  index.finish();
  return index;
}

void FrameIndex::finish() {
  std::stable_sort(frames_.begin(), frames_.end(),
                   [](const FrameEntry& a, const FrameEntry& b) { return a.pts < b.pts; });
  // Two packets with one pts would make frame lookup by pts ambiguous; the
  // decoder shows one frame per pts.
  frames_.erase(std::unique(frames_.begin(), frames_.end(),
                            [](const FrameEntry& a, const FrameEntry& b) {
                              return a.pts == b.pts;
                            }),
                frames_.end());
  // A missing duration is the gap to the next frame; the last frame keeps
  // the typical gap.
  for (size_t i = 0; i < frames_.size(); ++i) {
    if (frames_[i].duration <= 0) {
      if (i + 1 < frames_.size()) {
        frames_[i].duration = frames_[i + 1].pts - frames_[i].pts;
      } else if (i > 0) {
        frames_[i].duration = frames_[i].pts - frames_[i - 1].pts;
      }
    }
  }
  std::sort(seekPoints_.begin(), seekPoints_.end(),
            [](const SeekPoint& a, const SeekPoint& b) { return a.pts < b.pts; });
}

void FrameIndex::keepDecodedTail(int64_t seekPoint, const std::vector<int64_t>& decoded) {
  int64_t from = seekPoints_.empty() ? INT64_MIN : seekPoints_[seekPoint].pts;
  frames_.erase(std::remove_if(frames_.begin(), frames_.end(),
                               [&](const FrameEntry& f) {
                                 return f.pts >= from && !std::binary_search(decoded.begin(),
                                                                            decoded.end(), f.pts);
                               }),
                frames_.end());
  cutTailSeekPoint_ = -1;
}

int64_t FrameIndex::seekPointBefore(int64_t pts) const {
  auto it = std::upper_bound(seekPoints_.begin(), seekPoints_.end(), pts,
                             [](int64_t value, const SeekPoint& p) { return value < p.pts; });
  return static_cast<int64_t>(it - seekPoints_.begin()) - 1;
}

int64_t FrameIndex::findPts(int64_t pts) const {
  auto it = std::lower_bound(frames_.begin(), frames_.end(), pts,
                             [](const FrameEntry& f, int64_t value) { return f.pts < value; });
  if (it == frames_.end() || it->pts != pts) {
    return -1;
  }
  return static_cast<int64_t>(it - frames_.begin());
}

}  // namespace codecflow

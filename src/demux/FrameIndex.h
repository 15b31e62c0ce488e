// The frames of a video stream in presentation order, and the key frames
// decoding can start from.
//
// Note [Frames and seek points]
// Frames are the packets that produce a shown frame, sorted by pts: frame i
// is the i-th shown frame, whatever order it is asked in. Packets that a
// container's edit list marks as discarded are decoded but never shown, so
// they are not frames; their key frames remain seek points, because the shown
// frames after them cannot be decoded without them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

extern "C" {
#include <libavutil/rational.h>
}

namespace codecflow {

class Demuxer;

struct FrameEntry {
  int64_t pts = 0;
  int64_t duration = 0;
  bool keyFrame = false;
};

struct SeekPoint {
  int64_t pts = 0;
  int64_t dts = 0;
  // The earlier of pts and dts: seeking backward to it lands on this key
  // frame or an earlier one, whether the demuxer seeks by pts or by dts.
  int64_t seekTimestamp() const { return pts < dts ? pts : dts; }
};

class FrameIndex {
 public:
  FrameIndex() = default;

  // Reads every packet of the stream (no decoding) and rewinds the demuxer.
  static FrameIndex scan(Demuxer& demuxer, int streamIndex);

  // An index from given frames (e.g. an ffprobe dump); their key frames are
  // the seek points.
  static FrameIndex fromFrames(std::vector<FrameEntry> frames);

  const std::vector<FrameEntry>& frames() const { return frames_; }
  const std::vector<SeekPoint>& seekPoints() const { return seekPoints_; }
  int64_t size() const { return static_cast<int64_t>(frames_.size()); }
  bool empty() const { return frames_.empty(); }

  // The position in seekPoints() of the last seek point whose pts is at or
  // before `pts`, or -1 when none is (decode from the start of the stream).
  int64_t seekPointBefore(int64_t pts) const;

  // The position of the frame with exactly this pts, or -1.
  int64_t findPts(int64_t pts) const;

  // Note [Streams without timestamps]
  // A raw elementary stream (Annex B H.264, ...) has no timestamps at all,
  // and a packet's place in decode order says nothing about where its frame
  // is shown. Such a stream's frames are numbered in the order the decoder
  // outputs them: frame i gets pts i * duration (the duration the parser
  // gives its packets), and every read starts at the beginning of the
  // stream (no seek points). This is the frame duration then, else 0.
  int64_t numberedFrameDuration() const { return numberedDuration_; }

  // The index as bytes that load() takes back unchanged, tagged with the
  // stream it describes (Note [Saved frame indices], FrameIndexIO.cpp).
  std::string save(int streamIndex, AVRational timeBase) const;

  // An index from save()'s bytes. Throws InvalidData saying what is wrong
  // when the bytes are not a saved index (damaged, truncated, another
  // format or version) or describe another stream or time base.
  static FrameIndex load(std::string_view bytes, int streamIndex, AVRational timeBase);

  // The saved index when it loads, else a scan. A saved index that does
  // not load throws, or with `rescanBad` is scanned over and the reason
  // stored in `problem`.
  static FrameIndex loadOrScan(Demuxer& demuxer, int streamIndex, AVRational timeBase,
                               const std::string& saved, bool rescanBad, std::string& problem);

  // Validates bytes as load() does, whatever stream they describe.
  static struct SavedFrameIndex inspect(std::string_view bytes);

  // Note [A file cut short]
  // A file that ends early (an interrupted download or write) can end in
  // the middle of a packet: the demuxer returns what is there, and the
  // decoder may or may not make a frame of it, as in the ffmpeg CLI. The
  // scan notes whether the stream's last packet may be such a partial one
  // (it reaches the end of the file and the container's own index, where
  // there is one, gives it more bytes); the video decoder then decodes the
  // last GOP once and keeps only the frames that really come out, so that
  // every count and every frame selection agrees with what decodes.
  //
  // The seek point to decode the stream's possibly cut end from, or -1 when
  // its last packet is whole.
  int64_t cutTailSeekPoint() const { return cutTailSeekPoint_; }
  // Leaves out the frames from the pts of seek point `seekPoint` that are
  // not in `decoded` (sorted): they do not decode.
  void keepDecodedTail(int64_t seekPoint, const std::vector<int64_t>& decoded);

 private:
  void finish();

  std::vector<FrameEntry> frames_;
  std::vector<SeekPoint> seekPoints_;
  int64_t numberedDuration_ = 0;
  int64_t cutTailSeekPoint_ = -1;
};

// What a saved index describes, without loading it into a decoder.
struct SavedFrameIndex {
  int streamIndex = 0;
  AVRational timeBase{0, 1};
  FrameIndex index;
};

}  // namespace codecflow

// One video stream's decoder over the packet -> frame loop of
// PacketDecoder.h, with a one-frame lookahead so that "the frame shown at t"
// can be answered without losing the frame after it. Damaged packets follow
// Note [Damaged packets] there: InvalidData in the middle of the stream,
// skipped right after a seek and at the end of a file cut short. Frames'
// times: PtsRule::BestEffortFirst, numbered where they have none.
#pragma once

#include <cstdint>
#include <memory>

#include "decode/PacketDecoder.h"
#include "demux/Demuxer.h"
#include "device/CodecOpener.h"
#include "ffmpeg/FFmpeg.h"

namespace codecflow {

class VideoStreamDecoder {
 public:
  // `codecOptions` go to avcodec_open2 (a context is then never reused).
  VideoStreamDecoder(Demuxer& demuxer, int streamIndex, int numThreads,
                     std::shared_ptr<CodecOpener> opener = nullptr,
                     const FfmpegOptions& codecOptions = {});
  ~VideoStreamDecoder();

  AVCodecContext* codec() const { return loop_.codec(); }

  // Drops all decoder state and moves the demuxer so that decoding resumes
  // at a key frame at or before `timestamp`.
  void seek(int64_t timestamp);

  // The frame most recently consumed (nullptr before any), and its pts.
  const AVFrame* current() const { return hasCurrent_ ? current_.get() : nullptr; }
  int64_t currentPts() const { return currentPts_; }

  // Lets the decoder drop frames that no other frame refers to
  // (AVDISCARD_NONREF) while their packet's pts lies before `pts`: rolling
  // forward to a frame then decodes only what that frame depends on. The
  // frame at `pts` itself and everything after it are always decoded.
  // INT64_MIN (the default) decodes every frame.
  void skipUnreferencedBefore(int64_t pts) { skipBefore_ = pts; }

  // Numbers frames that carry no timestamp in output order since the last
  // seek: i * duration (Note [Streams without timestamps]).
  void numberFrames(int64_t duration) { numberedDuration_ = duration; }

  // [extra] Decodes key frames only (AVDISCARD_NONKEY: FFmpeg's
  // skip_frame=nokey). Turning it off drops the decoder's state, since the
  // skipped frames left nothing to continue from: seek() before decoding.
  void setKeyFramesOnly(bool on);

  // [extra] The result of `decode()` run on key frames only. A key frame that
  // the codec does not treat as one (its container says key, its bitstream
  // does not) is skipped too; `decode()` then fails and runs again in full.
  template <typename Decode>
  auto withKeyFramesOnly(Decode decode) -> decltype(decode()) {
    setKeyFramesOnly(true);
    try {
      auto result = decode();
      setKeyFramesOnly(false);
      return result;
    } catch (const std::exception&) {
      setKeyFramesOnly(false);
    }
    return decode();
  }

  // The pts of the next frame without consuming it; false at the end.
  bool peekPts(int64_t& pts);
  // Consumes the next frame into current(); false at the end.
  bool advance();

 private:
  int64_t ptsOf(const AVFrame* frame);
  // Sets the context's skip_frame for the packet about to be sent.
  void chooseDiscard(AVCodecContext* codec, const AVPacket* packet) const;

  Demuxer& demuxer_;
  int streamIndex_;
  int numThreads_;
  std::shared_ptr<CodecOpener> opener_;
  PacketDecoder loop_;
  UniqueAVFrame current_;
  UniqueAVFrame pending_;
  bool hasCurrent_ = false;
  bool hasPending_ = false;
  int64_t currentPts_ = INT64_MIN;
  int64_t pendingPts_ = INT64_MIN;
  int64_t skipBefore_ = INT64_MIN;
  int64_t numberedDuration_ = 0;
  int64_t framesOut_ = 0;  // frames received since the last seek
  AVDiscard baseDiscard_ = AVDISCARD_DEFAULT;  // the skip_frame the context opened with
  bool keyFramesOnly_ = false;
};

}  // namespace codecflow

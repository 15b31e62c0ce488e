// Saving and loading frame indices.
//
// Note [Saved frame indices]
// A saved index is read back from files that other processes write, that
// disks damage and that anyone can replace, so nothing in it is trusted:
//
//   magic "CFLWIDX\0", u32 version, i32 stream index, i32 time base num,
//   i32 time base den, i64 numbered frame duration (Note [Streams without
//   timestamps], FrameIndex.h; 0 for streams with timestamps),
//   u64 frame count, u64 seek point count,
//   frames (i64 pts, i64 duration, u8 key) x frame count,
//   seek points (i64 pts, i64 dts) x seek point count,
//   u64 FNV-1a hash of every byte before it.
//
// All little-endian. Loading checks the size against the counts before
// allocating anything, the hash, and every invariant the decoder relies on:
// frames strictly increasing by pts, durations >= 0 with pts + duration
// representable, key flags 0 or 1, seek points sorted, a positive time base.
#include <cstring>
#include <limits>

#include "demux/FrameIndex.h"
#include "codecflow/VideoDecoder.h"
#include "codecflow/Error.h"

namespace codecflow {

namespace {

constexpr char kMagic[8] = {'C', 'F', 'L', 'W', 'I', 'D', 'X', '\0'};
constexpr uint32_t kVersion = 2;
constexpr size_t kHeaderBytes = 8 + 4 + 4 + 4 + 4 + 8 + 8 + 8;
constexpr size_t kFrameBytes = 8 + 8 + 1;
constexpr size_t kSeekBytes = 8 + 8;
constexpr size_t kHashBytes = 8;

uint64_t fnv1a(std::string_view bytes) {
  uint64_t hash = 1469598103934665603ULL;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return hash;
}

class Writer {
 public:
  void bytes(const void* data, size_t size) { out_.append(static_cast<const char*>(data), size); }
  template <typename T>
  void value(T v) {
    unsigned char buffer[sizeof(T)];
    auto u = static_cast<std::make_unsigned_t<T>>(v);
    for (size_t i = 0; i < sizeof(T); ++i) {
      buffer[i] = static_cast<unsigned char>(u >> (8 * i));
    }
    bytes(buffer, sizeof(T));
  }
  std::string& str() { return out_; }

 private:
  std::string out_;
};

class Reader {
 public:
  Reader(std::string_view in, size_t pos) : in_(in), pos_(pos) {}
  template <typename T>
  T value() {
    std::make_unsigned_t<T> u = 0;
    for (size_t i = 0; i < sizeof(T); ++i) {
      u |= static_cast<std::make_unsigned_t<T>>(static_cast<unsigned char>(in_[pos_ + i]))
           << (8 * i);
    }
    pos_ += sizeof(T);
    return static_cast<T>(u);
  }

 private:
  std::string_view in_;
  size_t pos_;
};

[[noreturn]] void reject(const std::string& why) {
  fail(ErrorKind::InvalidData, "not a valid saved frame index: " + why);
}

}  // namespace

std::string FrameIndex::save(int streamIndex, AVRational timeBase) const {
  Writer w;
  w.bytes(kMagic, sizeof(kMagic));
  w.value<uint32_t>(kVersion);
  w.value<int32_t>(streamIndex);
  w.value<int32_t>(timeBase.num);
  w.value<int32_t>(timeBase.den);
  w.value<int64_t>(numberedDuration_);
  w.value<uint64_t>(frames_.size());
  w.value<uint64_t>(seekPoints_.size());
  for (const FrameEntry& f : frames_) {
    w.value<int64_t>(f.pts);
    w.value<int64_t>(f.duration);
    w.value<uint8_t>(f.keyFrame ? 1 : 0);
  }
  for (const SeekPoint& p : seekPoints_) {
    w.value<int64_t>(p.pts);
    w.value<int64_t>(p.dts);
  }
  w.value<uint64_t>(fnv1a(w.str()));
  return std::move(w.str());
}

SavedFrameIndex FrameIndex::inspect(std::string_view bytes) {
  if (bytes.size() < kHeaderBytes + kHashBytes) {
    reject(std::to_string(bytes.size()) + " bytes, fewer than any saved index holds");
  }
  if (std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) {
    reject("it does not start as one (another file format)");
  }
  Reader r(bytes, sizeof(kMagic));
  uint32_t version = r.value<uint32_t>();
  if (version != kVersion) {
    reject("format version " + std::to_string(version) + ", this build reads version " +
           std::to_string(kVersion));
  }
  SavedFrameIndex info;
  info.streamIndex = r.value<int32_t>();
  info.timeBase.num = r.value<int32_t>();
  info.timeBase.den = r.value<int32_t>();
  int64_t numberedDuration = r.value<int64_t>();
  uint64_t frameCount = r.value<uint64_t>();
  uint64_t seekCount = r.value<uint64_t>();
  // Sizes first, without overflowing: the counts come from the file.
  size_t body = bytes.size() - kHeaderBytes - kHashBytes;
  if (frameCount > body / kFrameBytes || seekCount > body / kSeekBytes ||
      frameCount * kFrameBytes + seekCount * kSeekBytes != body) {
    reject("its counts (" + std::to_string(frameCount) + " frames, " +
           std::to_string(seekCount) + " seek points) do not match its size (" +
           std::to_string(bytes.size()) + " bytes)");
  }
  std::string_view hashed = bytes.substr(0, bytes.size() - kHashBytes);
  Reader tail(bytes, bytes.size() - kHashBytes);
  if (tail.value<uint64_t>() != fnv1a(hashed)) {
    reject("its checksum does not match (damaged)");
  }
  if (info.streamIndex < 0 || info.timeBase.num <= 0 || info.timeBase.den <= 0) {
    reject("stream " + std::to_string(info.streamIndex) + ", time base " +
           std::to_string(info.timeBase.num) + "/" + std::to_string(info.timeBase.den));
  }
  if (numberedDuration < 0) {
    reject("a negative frame duration for numbered frames (" + std::to_string(numberedDuration) +
           ")");
  }
  FrameIndex& index = info.index;
  index.numberedDuration_ = numberedDuration;
  index.frames_.reserve(frameCount);
  for (uint64_t i = 0; i < frameCount; ++i) {
    FrameEntry f;
    f.pts = r.value<int64_t>();
    f.duration = r.value<int64_t>();
    uint8_t key = r.value<uint8_t>();
    if (key > 1 || f.duration < 0 || f.duration > std::numeric_limits<int64_t>::max() - f.pts ||
        (i > 0 && f.pts <= index.frames_.back().pts)) {
      reject("frame " + std::to_string(i) + " (pts " + std::to_string(f.pts) + ", duration " +
             std::to_string(f.duration) + ") breaks the order or the limits of an index");
    }
    f.keyFrame = key == 1;
    index.frames_.push_back(f);
  }
  index.seekPoints_.reserve(seekCount);
  for (uint64_t i = 0; i < seekCount; ++i) {
    SeekPoint p;
    p.pts = r.value<int64_t>();
    p.dts = r.value<int64_t>();
    if (i > 0 && p.pts < index.seekPoints_.back().pts) {
      reject("seek point " + std::to_string(i) + " is out of order");
    }
    index.seekPoints_.push_back(p);
  }
  return info;
}

FrameIndex FrameIndex::load(std::string_view bytes, int streamIndex, AVRational timeBase) {
  SavedFrameIndex info = inspect(bytes);
  if (info.streamIndex != streamIndex || info.timeBase.num != timeBase.num ||
      info.timeBase.den != timeBase.den) {
    reject("it describes stream " + std::to_string(info.streamIndex) + " in time base " +
           std::to_string(info.timeBase.num) + "/" + std::to_string(info.timeBase.den) +
           ", not stream " + std::to_string(streamIndex) + " in " +
           std::to_string(timeBase.num) + "/" + std::to_string(timeBase.den));
  }
  return std::move(info.index);
}

SavedIndexInfo inspectSavedIndex(const std::string& bytes) {
  SavedFrameIndex saved = FrameIndex::inspect(bytes);
  SavedIndexInfo info;
  info.streamIndex = saved.streamIndex;
  info.timeBase = {saved.timeBase.num, saved.timeBase.den};
  for (const FrameEntry& f : saved.index.frames()) {
    info.frames.push_back({f.pts, f.duration, f.keyFrame});
  }
  info.numSeekPoints = static_cast<int64_t>(saved.index.seekPoints().size());
  return info;
}

FrameIndex FrameIndex::loadOrScan(Demuxer& demuxer, int streamIndex, AVRational timeBase,
                                  const std::string& saved, bool rescanBad,
                                  std::string& problem) {
  if (!saved.empty()) {
    try {
      return load(saved, streamIndex, timeBase);
    } catch (const Error& error) {
      if (!rescanBad) {
        throw;
      }
      problem = error.what();
    }
  }
  return scan(demuxer, streamIndex);
}

}  // namespace codecflow

// Where encoded media comes from: a path (or URL) that FFmpeg opens itself,
// or a ByteStream read on demand (memory, a Python file-like object, ...).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "codecflow/Tensor.h"

namespace codecflow {

// A seekable stream of bytes. Implementations may throw from read and seek:
// the core never lets an exception unwind through FFmpeg; it stashes the
// exception, lets FFmpeg fail, and rethrows it unchanged to the caller.
class ByteStream {
 public:
  virtual ~ByteStream() = default;
  // Reads up to `size` bytes into `buffer`; returns the count, 0 at the end.
  virtual int64_t read(uint8_t* buffer, int64_t size) = 0;
  // Moves to `offset` relative to SEEK_SET, SEEK_CUR or SEEK_END and returns
  // the new absolute position.
  virtual int64_t seek(int64_t offset, int whence) = 0;
  // Total size in bytes, or -1 when unknown.
  virtual int64_t size() { return -1; }
};

// A ByteStream over bytes in memory, which it keeps alive but never copies.
class MemoryStream : public ByteStream {
 public:
  MemoryStream(const uint8_t* data, int64_t size, std::shared_ptr<const void> owner);
  int64_t read(uint8_t* buffer, int64_t size) override;
  int64_t seek(int64_t offset, int whence) override;
  int64_t size() override { return size_; }

 private:
  const uint8_t* data_;
  int64_t size_;
  int64_t position_ = 0;
  std::shared_ptr<const void> owner_;
};

class Source {
 public:
  enum class Kind { Path, Stream };

  static Source fromPath(std::string path);
  // A source over a 1-D contiguous uint8 CPU tensor, without copying it;
  // `description` names it in messages ("<tensor of N bytes>" when empty).
  static Source fromTensor(const Tensor& bytes, std::string description = {});
  // A source over a copy of `bytes`.
  static Source fromBytes(std::string bytes);
  // A source that reads through `stream` (a file-like object, say).
  static Source fromStream(std::shared_ptr<ByteStream> stream, std::string description);

  Kind kind() const { return kind_; }
  const std::string& path() const { return path_; }
  // Whether several openings read independently (a path, bytes in memory):
  // a file-like object has one stream position, which openings share.
  bool opensIndependently() const { return kind_ == Kind::Path || memoryOwner_ != nullptr; }
  // The stream to read a new opening from, positioned at its start: a fresh
  // reader over the same bytes for memory sources, so that several openings
  // never disturb each other; the one shared stream otherwise.
  std::shared_ptr<ByteStream> openStream() const;
  // The path, or a short description such as "<bytes of size 1234>", for
  // error messages.
  const std::string& description() const { return description_; }

 private:
  Kind kind_ = Kind::Path;
  std::string path_;
  std::shared_ptr<ByteStream> stream_;
  std::shared_ptr<const void> memoryOwner_;
  const uint8_t* memoryData_ = nullptr;
  int64_t memorySize_ = 0;
  std::string description_;
};

}  // namespace codecflow

#include "io/FileStream.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "codecflow/Error.h"

namespace codecflow {

namespace {

// Reads a local file with pread: no buffering of its own, since every read
// is a large block of samples.
class FileStream : public ByteStream {
 public:
  FileStream(int fd, int64_t size) : fd_(fd), size_(size) {}
  ~FileStream() override { ::close(fd_); }

  int64_t read(uint8_t* buffer, int64_t size) override {
    int64_t done = 0;
    while (done < size) {
      ssize_t n = ::pread(fd_, buffer + done, static_cast<size_t>(size - done), position_ + done);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n < 0) {
        fail(ErrorKind::Io, std::string("could not read the file: ") + std::strerror(errno));
      }
      if (n == 0) {
        break;
      }
      done += n;
    }
    position_ += done;
    return done;
  }

  int64_t seek(int64_t offset, int whence) override {
    int64_t base = whence == SEEK_CUR ? position_ : whence == SEEK_END ? size_ : 0;
    if (base + offset < 0) {
      fail(ErrorKind::Io, "seek to a negative position");
    }
    position_ = base + offset;
    return position_;
  }

  int64_t size() override { return size_; }

 private:
  int fd_;
  int64_t size_;
  int64_t position_ = 0;
};

}  // namespace

std::shared_ptr<ByteStream> openFileStream(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    fail(ErrorKind::NotFound, "no such file: '" + path + "'");
  }
  if (S_ISDIR(info.st_mode)) {
    fail(ErrorKind::IsDirectory, "'" + path + "' is a directory, not a WAV file");
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    fail(errno == ENOENT ? ErrorKind::NotFound : ErrorKind::Io,
         "could not open '" + path + "': " + std::strerror(errno));
  }
  return std::make_shared<FileStream>(fd, static_cast<int64_t>(info.st_size));
}

}  // namespace codecflow

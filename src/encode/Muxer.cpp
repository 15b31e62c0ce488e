#include "encode/Muxer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <random>
#include <utility>

#include "codecflow/Error.h"

extern "C" {
#include <libavutil/opt.h>
}

namespace codecflow {

namespace {

bool isUrl(const std::string& path) { return path.find("://") != std::string::npos; }

std::string randomTag() {
  static thread_local std::mt19937_64 engine{std::random_device{}()};
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string tag;
  uint64_t bits = engine();
  for (int i = 0; i < 12; ++i) {
    tag += kDigits[bits & 15];
    bits >>= 4;
  }
  return tag;
}

[[noreturn]] void failCreate(const std::string& path, int error) {
  fail(error == ENOENT ? ErrorKind::NotFound : ErrorKind::Io,
       "could not create '" + path + "' (make sure it is a valid, writable path): " +
           std::strerror(error));
}

}  // namespace

Muxer::Muxer(std::string path, const std::string& format, std::shared_ptr<ByteSink> sink)
    : path_(std::move(path)), sink_(std::move(sink)) {
  description_ = sink_ ? "<file-like object, format " + format + ">" : "'" + path_ + "'";
  AVFormatContext* raw = nullptr;
  int rc = 0;
  if (!format.empty() && av_guess_format(format.c_str(), nullptr, nullptr) == nullptr) {
    // Not a muxer name ("mkv", "m4a", "aac"): take it as an extension.
    std::string probe = "output." + format;
    rc = avformat_alloc_output_context2(&raw, nullptr, nullptr, probe.c_str());
  } else {
    rc = avformat_alloc_output_context2(&raw, nullptr, format.empty() ? nullptr : format.c_str(),
                                        path_.empty() ? nullptr : path_.c_str());
  }
  if (rc < 0 || raw == nullptr) {
    if (!format.empty()) {
      fail(ErrorKind::InvalidArgument, "invalid format '" + format +
                                           "': FFmpeg has no such container (check the desired "
                                           "format, e.g. mp4, mkv, webm, wav, mp3, flac)");
    }
    fail(ErrorKind::InvalidArgument, "cannot pick a container for " + description_ +
                                         " from its extension; check the desired extension "
                                         "(e.g. .mp4, .mkv, .webm, .wav, .mp3, .flac)");
  }
  format_.reset(raw);
}

Muxer::~Muxer() {
  if (opened_ && !closed_) {
    abort();
  }
}

AVStream* Muxer::addStream(const AVCodecContext* codec) {
  AVStream* stream = avformat_new_stream(format_.get(), nullptr);
  if (stream == nullptr) {
    throw std::bad_alloc();
  }
  int rc = avcodec_parameters_from_context(stream->codecpar, codec);
  if (rc < 0) {
    failFFmpeg(ErrorKind::Runtime, "could not describe stream " + std::to_string(stream->index),
               rc);
  }
  // A hint: the muxer may pick another time base in write_header.
  stream->time_base = codec->time_base;
  if (codec->codec_type == AVMEDIA_TYPE_VIDEO) {
    stream->avg_frame_rate = codec->framerate;
    stream->r_frame_rate = codec->framerate;
  }
  return stream;
}

bool Muxer::hasOption(const std::string& key) const {
  void* target = nullptr;
  const AVOption* option = av_opt_find2(format_.get(), key.c_str(), nullptr, 0,
                                        AV_OPT_SEARCH_CHILDREN, &target);
  return option != nullptr && target != nullptr && option->type != AV_OPT_TYPE_CONST &&
         (option->flags & AV_OPT_FLAG_ENCODING_PARAM) != 0;
}

void Muxer::setOption(const std::string& key, const std::string& value,
                      const std::string& label) {
  int rc = av_opt_set(format_.get(), key.c_str(), value.c_str(), AV_OPT_SEARCH_CHILDREN);
  if (rc < 0) {
    fail(ErrorKind::InvalidArgument, "invalid " + label + "='" + value + "' for container '" +
                                         format_->oformat->name + "': " + ffmpegErrorText(rc));
  }
}

bool Muxer::isFragmented() const {
  void* priv = format_->priv_data;
  if (priv == nullptr || format_->oformat->priv_class == nullptr) {
    return false;
  }
  int64_t flags = 0;
  if (av_opt_get_int(priv, "movflags", 0, &flags) >= 0) {
    for (const char* name :
         {"frag_keyframe", "frag_custom", "frag_every_frame", "empty_moov", "frag_discont"}) {
      const AVOption* flag = av_opt_find(priv, name, "movflags", 0, 0);
      if (flag != nullptr && (flags & flag->default_val.i64) != 0) {
        return true;
      }
    }
  }
  for (const char* name : {"frag_duration", "frag_size"}) {
    int64_t value = 0;
    if (av_opt_get_int(priv, name, 0, &value) >= 0 && value > 0) {
      return true;
    }
  }
  return false;
}

void Muxer::prepareTarget() {
  target_ = path_;
  temporary_.clear();
  if (isUrl(path_)) {
    return;
  }
  struct stat info {};
  bool exists = ::stat(path_.c_str(), &info) == 0;
  if (exists && S_ISDIR(info.st_mode)) {
    fail(ErrorKind::IsDirectory, "cannot write to '" + path_ + "': it is a directory");
  }
  if (exists && !S_ISREG(info.st_mode)) {
    return;  // a FIFO, a device (/dev/stdout): written in place
  }
  if (!exists) {
    struct stat link {};
    if (::lstat(path_.c_str(), &link) == 0) {
      return;  // a dangling symbolic link: the link's own business
    }
  }
  if (isFragmented()) {
    return;
  }
  if (exists) {
    char* real = ::realpath(path_.c_str(), nullptr);
    if (real != nullptr) {
      target_ = real;
      std::free(real);
    }
  }
  size_t slash = target_.rfind('/');
  std::string dir = slash == std::string::npos ? "" : target_.substr(0, slash + 1);
  std::string name = slash == std::string::npos ? target_ : target_.substr(slash + 1);
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string candidate = dir + "." + name + "." + randomTag() + ".partial";
    int fd = ::open(candidate.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) {
      if (errno == EEXIST) {
        continue;
      }
      if (exists && (errno == EACCES || errno == EPERM || errno == EROFS)) {
        // A writable file in a directory we may not add to: in place.
        target_ = path_;
        return;
      }
      failCreate(path_, errno);
    }
    ::close(fd);
    keptMode_ = exists ? static_cast<int>(info.st_mode & 07777) : -1;
    temporary_ = candidate;
    return;
  }
  failCreate(path_, EEXIST);
}

void Muxer::failWith(const std::string& what, int averror) {
  if (writer_ && writer_->hasPending()) {
    writer_->rethrowPending();
  }
  failFFmpeg(ErrorKind::Runtime, what + " " + description_, averror);
}

void Muxer::open() {
  if (sink_) {
    writer_ = std::make_unique<AvioWriter>(sink_);
    format_->pb = writer_->context();
    format_->flags |= AVFMT_FLAG_CUSTOM_IO;
  } else if (!(format_->oformat->flags & AVFMT_NOFILE)) {
    prepareTarget();
    const std::string& written = temporary_.empty() ? path_ : temporary_;
    int rc = avio_open(&format_->pb, written.c_str(), AVIO_FLAG_WRITE);
    if (rc < 0) {
      if (!temporary_.empty()) {
        ::unlink(temporary_.c_str());
      }
      failFFmpeg(rc == AVERROR(ENOENT) ? ErrorKind::NotFound : ErrorKind::Io,
                 "could not create '" + path_ + "' (make sure it is a valid, writable path)", rc);
    }
  }
  opened_ = true;
  int rc = avformat_write_header(format_.get(), nullptr);
  if (rc < 0) {
    // A header the container refuses (e.g. a codec it cannot hold): the
    // options were wrong, not the data.
    if (writer_ && writer_->hasPending()) {
      writer_->rethrowPending();
    }
    failFFmpeg(ErrorKind::InvalidArgument, "could not write the header of " + description_, rc);
  }
}

void Muxer::write(AVPacket* packet, AVRational from, int streamIndex) {
  AVStream* stream = format_->streams[streamIndex];
  packet->stream_index = streamIndex;
  av_packet_rescale_ts(packet, from, stream->time_base);
  // av_interleaved_write_frame takes the packet's reference (and leaves it
  // blank) whatever it returns.
  int rc = av_interleaved_write_frame(format_.get(), packet);
  if (rc < 0) {
    failWith("could not write a packet of stream " + std::to_string(streamIndex) + " to", rc);
  }
}

void Muxer::finish() {
  if (closed_) {
    return;
  }
  int rc = av_write_trailer(format_.get());
  if (rc < 0) {
    failWith("could not write the trailer of", rc);
  }
  if (format_->pb != nullptr) {
    avio_flush(format_->pb);
    if (writer_ && writer_->hasPending()) {
      writer_->rethrowPending();
    }
  }
  bool flushed = format_->pb == nullptr || format_->pb->error >= 0;
  closeOutput();
  if (!temporary_.empty()) {
    std::string written = std::exchange(temporary_, std::string());
    if (keptMode_ >= 0) {
      (void)::chmod(written.c_str(), static_cast<mode_t>(keptMode_));
    }
    if (!flushed || ::rename(written.c_str(), target_.c_str()) != 0) {
      int error = flushed ? errno : EIO;
      ::unlink(written.c_str());
      fail(ErrorKind::Io, "could not write " + description_ + ": " + std::strerror(error));
    }
  }
}

void Muxer::closeOutput() noexcept {
  if (closed_) {
    return;
  }
  closed_ = true;
  if (!sink_ && format_->pb != nullptr && !(format_->oformat->flags & AVFMT_NOFILE)) {
    avio_closep(&format_->pb);
  }
  format_->pb = nullptr;
}

void Muxer::abort() noexcept {
  if (!opened_ || closed_) {
    return;
  }
  closeOutput();
  if (!temporary_.empty()) {
    ::unlink(temporary_.c_str());
    temporary_.clear();
    return;
  }
  // Written in place: only a regular file is ours to remove (never a
  // device such as /dev/null, nor a FIFO).
  struct stat info {};
  if (!sink_ && !isUrl(path_) && ::stat(path_.c_str(), &info) == 0 && S_ISREG(info.st_mode)) {
    ::unlink(path_.c_str());
  }
}

}  // namespace codecflow

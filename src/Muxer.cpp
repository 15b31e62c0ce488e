#include "Muxer.h"

#include <sys/stat.h>
#include <unistd.h>

#include "codecflow/Error.h"

namespace codecflow {

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
    struct stat info {};
    if (path_.find("://") == std::string::npos && ::stat(path_.c_str(), &info) == 0 &&
        S_ISDIR(info.st_mode)) {
      fail(ErrorKind::IsDirectory, "cannot write to '" + path_ + "': it is a directory");
    }
    int rc = avio_open(&format_->pb, path_.c_str(), AVIO_FLAG_WRITE);
    if (rc < 0) {
      failFFmpeg(ErrorKind::Io,
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
  closeOutput();
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
  // Only a regular file is ours to remove (never a device such as
  // /dev/null).
  struct stat info {};
  if (!sink_ && path_.find("://") == std::string::npos && ::stat(path_.c_str(), &info) == 0 &&
      S_ISREG(info.st_mode)) {
    ::unlink(path_.c_str());
  }
}

}  // namespace codecflow

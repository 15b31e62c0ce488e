#include "Demuxer.h"

#include <sys/stat.h>

#include <sstream>

#include "codecflow/Error.h"

namespace codecflow {

double toSeconds(int64_t ts, AVRational timeBase) {
  return static_cast<double>(ts) * av_q2d(timeBase);
}

Demuxer::Demuxer(Source source, const FfmpegOptions& formatOptions)
    : source_(std::move(source)) {
  const std::string& name = source_.description();
  if (source_.kind() == Source::Kind::Path) {
    // Check the file system ourselves: FFmpeg reports a directory or a
    // missing file with less precise errors on some protocols.
    struct stat info {};
    if (source_.path().find("://") == std::string::npos) {
      if (::stat(source_.path().c_str(), &info) != 0) {
        fail(ErrorKind::NotFound, "no such file: '" + name + "'");
      }
      if (S_ISDIR(info.st_mode)) {
        fail(ErrorKind::IsDirectory, "'" + name + "' is a directory, not a media file");
      }
    }
  }
  AVFormatContext* raw = avformat_alloc_context();
  if (raw == nullptr) {
    throw std::bad_alloc();
  }
  if (source_.kind() == Source::Kind::Stream) {
    reader_ = std::make_unique<AvioReader>(source_.openStream());
    raw->pb = reader_->context();
    raw->flags |= AVFMT_FLAG_CUSTOM_IO;
  }
  // avformat_open_input frees the context on failure.
  AVDictionary* dict = toDictionary(formatOptions).release();
  int rc = avformat_open_input(&raw, source_.kind() == Source::Kind::Path
                                         ? source_.path().c_str() : nullptr,
                               nullptr, &dict);
  av_dict_free(&dict);  // what this demuxer did not use
  if (rc < 0) {
    failWith("could not open '" + name + "' (not a media file, or empty or corrupt)",
             rc == AVERROR(EIO) || rc == AVERROR_EOF ? AVERROR_INVALIDDATA : rc);
  }
  format_.reset(raw);
  // The tty demuxer turns any file named *.txt (or *.ans, ...) into ANSI-art
  // "video"; a text file is not media.
  if (format_->iformat != nullptr && std::string(format_->iformat->name) == "tty") {
    fail(ErrorKind::InvalidData, "'" + name + "' is a text file, not a media file");
  }
  rc = avformat_find_stream_info(format_.get(), nullptr);
  if (rc < 0) {
    failWith("could not read stream information of '" + name + "'", rc);
  }
  if (reader_ && reader_->hasPending()) {
    reader_->rethrowPending();
  }
}

void Demuxer::failWith(const std::string& what, int averror) {
  if (reader_) {
    reader_->rethrowPending();
  }
  failFFmpeg(ErrorKind::InvalidData, what, averror);
}

AVStream* Demuxer::stream(int index) const {
  if (index < 0 || index >= static_cast<int>(format_->nb_streams)) {
    fail(ErrorKind::InvalidArgument, "stream index " + std::to_string(index) +
                                         " is out of range for '" + source_.description() +
                                         "', which has " +
                                         std::to_string(format_->nb_streams) + " streams");
  }
  return format_->streams[index];
}

int Demuxer::bestStream(AVMediaType type) const {
  int index = av_find_best_stream(format_.get(), type, -1, -1, nullptr, 0);
  return index < 0 ? -1 : index;
}

int Demuxer::selectStream(int requested, AVMediaType type) const {
  const char* typeName = av_get_media_type_string(type);
  std::ostringstream valid;
  bool any = false;
  for (unsigned i = 0; i < format_->nb_streams; ++i) {
    if (format_->streams[i]->codecpar->codec_type == type) {
      valid << (any ? ", " : "") << i;
      any = true;
    }
  }
  if (requested < 0) {
    int best = bestStream(type);
    if (best < 0) {
      fail(ErrorKind::InvalidArgument,
           "'" + source_.description() + "' has no " + typeName + " stream");
    }
    return best;
  }
  if (requested >= static_cast<int>(format_->nb_streams) ||
      format_->streams[requested]->codecpar->codec_type != type) {
    fail(ErrorKind::InvalidArgument,
         "stream index " + std::to_string(requested) + " of '" + source_.description() +
             "' is not a " + typeName + " stream; " + typeName + " streams: " +
             (any ? valid.str() : std::string("none")));
  }
  return requested;
}

bool Demuxer::readPacket(AVPacket* packet) {
  int rc = av_read_frame(format_.get(), packet);
  if (rc == AVERROR_EOF) {
    if (reader_) {
      reader_->rethrowPending();
    }
    return false;
  }
  if (rc < 0) {
    failWith("could not read a packet from '" + source_.description() + "'", rc);
  }
  return true;
}

void Demuxer::seekBackward(int streamIndex, int64_t timestamp) {
  int rc = av_seek_frame(format_.get(), streamIndex, timestamp, AVSEEK_FLAG_BACKWARD);
  if (rc < 0) {
    // Some demuxers cannot seek backward to a timestamp before their first
    // key frame; the start of the file is always a valid place to begin.
    rc = avformat_seek_file(format_.get(), streamIndex, INT64_MIN, INT64_MIN, timestamp, 0);
  }
  if (rc < 0) {
    failWith("could not seek in '" + source_.description() + "'", rc);
  }
}

}  // namespace codecflow

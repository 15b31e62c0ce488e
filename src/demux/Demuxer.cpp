#include "demux/Demuxer.h"

#include <sys/stat.h>

#include <sstream>
#include <vector>

#include "codecflow/Error.h"
#include "codecflow/Log.h"

namespace codecflow {

double toSeconds(int64_t ts, AVRational timeBase) {
  return static_cast<double>(ts) * av_q2d(timeBase);
}

namespace {

// A path that names a network URL (http://, rtmp://, ...), not a local file.
bool isNetworkUrl(const std::string& path) {
  size_t scheme = path.find("://");
  return scheme != std::string::npos && path.compare(0, scheme, "file") != 0 &&
         path.compare(0, scheme, "pipe") != 0;
}

// Protocols allowed to media given as bytes or a file-like object: none.
// Such media is read through our own I/O; a demuxer that opens further
// files or URLs (an HLS or concat playlist) must not reach the local file
// system or the network from untrusted bytes.
constexpr const char* kStreamProtocols = "none";

}  // namespace

Demuxer::Demuxer(Source source, const FfmpegOptions& formatOptions)
    : source_(std::move(source)), formatOptions_(formatOptions) {
  FFmpegLogScope logScope;
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
  open();
}

void Demuxer::open() {
  const std::string& name = source_.description();
  // Built aside and swapped in once open: a failed reopening leaves the
  // demuxer as it was.
  std::unique_ptr<AvioReader> reader;
  AVFormatContext* raw = avformat_alloc_context();
  if (raw == nullptr) {
    throw std::bad_alloc();
  }
  AVDictionary* options = toDictionary(formatOptions_).release();
  if (source_.kind() == Source::Kind::Stream) {
    try {
      reader = std::make_unique<AvioReader>(source_.openStream());
    } catch (...) {
      avformat_free_context(raw);
      throw;
    }
    raw->pb = reader->context();
    raw->flags |= AVFMT_FLAG_CUSTOM_IO;
    av_dict_set(&options, "protocol_whitelist", kStreamProtocols, 0);
  }
  // avformat_open_input frees the context on failure.
  int rc = avformat_open_input(&raw, source_.kind() == Source::Kind::Path
                                         ? source_.path().c_str() : nullptr,
                               nullptr, &options);
  av_dict_free(&options);  // what this demuxer did not use
  auto rethrowPending = [&] {
    if (reader) {
      reader->rethrowPending();
    }
  };
  if (rc < 0) {
    rethrowPending();
    std::string what = "could not open '" + name + "'";
    if (source_.kind() == Source::Kind::Path && isNetworkUrl(source_.path())) {
      failNetwork(ErrorKind::InvalidData, what, rc);
    }
    failFFmpeg(ErrorKind::InvalidData, what + " (not a media file, or empty or corrupt)",
               rc == AVERROR(EIO) || rc == AVERROR_EOF ? AVERROR_INVALIDDATA : rc);
  }
  UniqueDemuxContext format(raw);
  // The tty demuxer turns any file named *.txt (or *.ans, ...) into ANSI-art
  // "video"; a text file is not media.
  if (format->iformat != nullptr && std::string(format->iformat->name) == "tty") {
    fail(ErrorKind::InvalidData, "'" + name + "' is a text file, not a media file");
  }
  rc = avformat_find_stream_info(format.get(), nullptr);
  rethrowPending();
  if (rc < 0) {
    failFFmpeg(ErrorKind::InvalidData, "could not read stream information of '" + name + "'", rc);
  }
  format_.reset();  // before the reader it reads through
  reader_ = std::move(reader);
  format_ = std::move(format);
}

void Demuxer::failWith(const std::string& what, int averror) {
  if (reader_) {
    reader_->rethrowPending();
  }
  if (source_.kind() == Source::Kind::Path && isNetworkUrl(source_.path())) {
    failNetwork(ErrorKind::InvalidData, what, averror);
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
    if (reader_) {
      reader_->rethrowPending();
    }
    // A container without seeking (raw elementary streams have no index to
    // seek by): opened again, it reads from its start, which lies before any
    // key frame asked for; the caller decodes forward from there.
    std::vector<int> discard;
    for (unsigned i = 0; i < format_->nb_streams; ++i) {
      discard.push_back(format_->streams[i]->discard);
    }
    unsigned streams = format_->nb_streams;
    open();
    if (format_->nb_streams != streams) {
      fail(ErrorKind::InvalidData, "'" + source_.description() +
                                       "' changed while it was read: it has " +
                                       std::to_string(format_->nb_streams) +
                                       " streams now, " + std::to_string(streams) + " before");
    }
    for (unsigned i = 0; i < streams; ++i) {
      format_->streams[i]->discard = static_cast<AVDiscard>(discard[i]);
    }
  }
}

}  // namespace codecflow

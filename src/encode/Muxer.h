// An output container: streams in, interleaved packets out, to a path or a
// ByteSink.
//
// Creating a Muxer picks the container and creates no output; open()
// creates the output and writes the header. A Muxer that is destroyed or
// aborted before finish() removes the file it created, so that no partial
// file is left behind.
//
// Note [Atomic outputs]
// A path that names a regular file (or nothing yet) is written to a
// temporary file beside it, `.<name>.<random>.partial`, renamed onto the
// path by finish(): the path holds either its old content or the complete
// new file, even when the process is killed (which leaves the temporary
// file only). The rename goes through a symbolic link to its target, and
// an existing file's permission bits are kept. Written in place are
// outputs that are not regular files (FIFOs, /dev/stdout, URLs) and
// fragmented mp4/mov (movflags with frag_* or empty_moov, frag_duration,
// frag_size), which is readable while it is written and after a cut, and
// an existing file in a directory where no file can be created.
#pragma once

#include <memory>
#include <string>

#include "io/AvioBridge.h"
#include "codecflow/Encoder.h"
#include "ffmpeg/FFmpeg.h"

namespace codecflow {

class Muxer {
 public:
  // `path` (may be empty for a sink) and `format` (may be empty for a
  // path: guessed from the extension). Throws InvalidArgument for an
  // unknown format or extension.
  Muxer(std::string path, const std::string& format, std::shared_ptr<ByteSink> sink);
  ~Muxer();
  Muxer(const Muxer&) = delete;
  Muxer& operator=(const Muxer&) = delete;

  const AVOutputFormat* container() const { return format_->oformat; }
  // Whether codecs must put their headers in extradata.
  bool wantsGlobalHeader() const { return (format_->oformat->flags & AVFMT_GLOBALHEADER) != 0; }

  // Whether the container (the format context or the muxer's private
  // options) has an option `key`.
  bool hasOption(const std::string& key) const;
  // Sets a container option, checked now. `label` names it in messages.
  // Throws InvalidArgument.
  void setOption(const std::string& key, const std::string& value, const std::string& label);

  // Adds a stream described by an opened codec context; returns its index.
  AVStream* addStream(const AVCodecContext* codec);

  // Creates the output and writes the header.
  void open();
  // Writes one packet (timestamps in the codec time base `from`), taking
  // its contents. Interleaves by dts across streams.
  void write(AVPacket* packet, AVRational from, int streamIndex);
  // Flushes the interleaving queues and writes the trailer; closes the
  // output.
  void finish();
  // Closes the output without a trailer and removes a file it created.
  void abort() noexcept;

  bool isOpen() const { return opened_ && !closed_; }
  const std::string& description() const { return description_; }

 private:
  [[noreturn]] void failWith(const std::string& what, int averror);
  void closeOutput() noexcept;
  bool isFragmented() const;
  // Picks where a path is written (Note [Atomic outputs]) and creates the
  // temporary file if there is one.
  void prepareTarget();

  std::string path_;
  std::string target_;     // the file the output replaces (links resolved)
  std::string temporary_;  // empty: written in place
  int keptMode_ = -1;      // the replaced file's permission bits
  std::string description_;
  std::shared_ptr<ByteSink> sink_;
  std::unique_ptr<AvioWriter> writer_;
  UniqueMuxContext format_;
  bool opened_ = false;
  bool closed_ = false;
};

}  // namespace codecflow

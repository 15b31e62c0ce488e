#include <cmath>

#include "demux/Demuxer.h"
#include "codecflow/Metadata.h"
#include "ffmpeg/Compat.h"

extern "C" {
#include <libavutil/pixdesc.h>
}

namespace codecflow {

namespace {

std::optional<std::string> nameOr(const char* name, bool specified) {
  if (!specified || name == nullptr) {
    return std::nullopt;
  }
  return std::string(name);
}

}  // namespace

StreamMetadata Demuxer::streamMetadata(int index) const {
  const AVStream* st = stream(index);
  const AVCodecParameters* par = st->codecpar;
  StreamMetadata m;
  m.streamIndex = index;
  m.mediaType = par->codec_type == AVMEDIA_TYPE_VIDEO   ? MediaType::Video
                : par->codec_type == AVMEDIA_TYPE_AUDIO ? MediaType::Audio
                                                        : MediaType::Other;
  m.codec = avcodec_get_name(par->codec_id);
  if (st->duration != AV_NOPTS_VALUE && st->duration > 0) {
    m.durationSecondsFromHeader = toSeconds(st->duration, st->time_base);
  } else if (format_->duration != AV_NOPTS_VALUE && format_->duration > 0 &&
           format_->nb_streams == 1) {
    // Containers such as WebM give one duration for the whole file; with a
    // single stream it is that stream's.
    m.durationSecondsFromHeader = static_cast<double>(format_->duration) / AV_TIME_BASE;
  }
  if (format_->duration != AV_NOPTS_VALUE && format_->duration > 0) {
    m.durationSecondsFromContainer = static_cast<double>(format_->duration) / AV_TIME_BASE;
  }
  if (st->start_time != AV_NOPTS_VALUE) {
    m.beginStreamSecondsFromHeader = toSeconds(st->start_time, st->time_base);
  }
  if (par->bit_rate > 0) {
    m.bitRate = par->bit_rate;
  }
  if (par->codec_type == AVMEDIA_TYPE_VIDEO) {
    m.width = par->width;
    m.height = par->height;
    if (st->nb_frames > 0) {
      m.numFramesFromHeader = st->nb_frames;
    }
    if (st->avg_frame_rate.num > 0 && st->avg_frame_rate.den > 0) {
      m.averageFpsFromHeader = av_q2d(st->avg_frame_rate);
    } else if (st->r_frame_rate.num > 0 && st->r_frame_rate.den > 0) {
      m.averageFpsFromHeader = av_q2d(st->r_frame_rate);
    }
    AVRational sar = st->sample_aspect_ratio.num > 0 ? st->sample_aspect_ratio
                                                     : par->sample_aspect_ratio;
    if (sar.num > 0 && sar.den > 0) {
      av_reduce(&sar.num, &sar.den, sar.num, sar.den, INT32_MAX);
      m.sampleAspectNum = sar.num;
      m.sampleAspectDen = sar.den;
    }
    if (const int32_t* matrix = compat::displayMatrix(st)) {
      double angle = av_display_rotation_get(matrix);
      if (!std::isnan(angle)) {
        m.rotation = angle;
        // Displayed size: a quarter turn swaps width and height.
        long quarter = std::lround(std::fabs(angle) / 90.0);
        if (quarter % 2 == 1) {
          std::swap(m.width, m.height);
        }
      }
    }
    m.colorPrimaries = nameOr(av_color_primaries_name(par->color_primaries),
                              par->color_primaries != AVCOL_PRI_UNSPECIFIED);
    m.colorSpace = nameOr(av_color_space_name(par->color_space),
                          par->color_space != AVCOL_SPC_UNSPECIFIED);
    m.colorTransferCharacteristic = nameOr(av_color_transfer_name(par->color_trc),
                                           par->color_trc != AVCOL_TRC_UNSPECIFIED);
    m.colorRange = nameOr(av_color_range_name(par->color_range),
                          par->color_range != AVCOL_RANGE_UNSPECIFIED);
    auto fmt = static_cast<AVPixelFormat>(par->format);
    m.pixelFormat = nameOr(av_get_pix_fmt_name(fmt), fmt != AV_PIX_FMT_NONE);
    if (const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(fmt)) {
      m.bitsPerComponent = desc->comp[0].depth;
    }
  } else if (par->codec_type == AVMEDIA_TYPE_AUDIO) {
    m.sampleRate = par->sample_rate;
    m.numChannels = compat::channelCount(par);
    m.sampleFormat = nameOr(av_get_sample_fmt_name(static_cast<AVSampleFormat>(par->format)),
                            par->format >= 0);
  }
  return m;
}

ContainerMetadata Demuxer::metadata() const {
  ContainerMetadata c;
  const AVFormatContext* fmt = format_.get();
  if (fmt->duration != AV_NOPTS_VALUE && fmt->duration > 0) {
    c.durationSecondsFromHeader = static_cast<double>(fmt->duration) / AV_TIME_BASE;
  }
  if (fmt->bit_rate > 0) {
    c.bitRateFromHeader = fmt->bit_rate;
  }
  int video = bestStream(AVMEDIA_TYPE_VIDEO);
  int audio = bestStream(AVMEDIA_TYPE_AUDIO);
  if (video >= 0) {
    c.bestVideoStreamIndex = video;
  }
  if (audio >= 0) {
    c.bestAudioStreamIndex = audio;
  }
  for (unsigned i = 0; i < fmt->nb_streams; ++i) {
    c.streams.push_back(streamMetadata(static_cast<int>(i)));
  }
  return c;
}

ContainerMetadata readContainerMetadata(const Source& source) {
  return Demuxer(source).metadata();
}

}  // namespace codecflow

#include "convert/ConverterContexts.h"

extern "C" {
#include <libavutil/opt.h>
}

namespace codecflow {

UniqueSwsContext openScaler(const ScalerSpec& spec) {
  UniqueSwsContext context(sws_alloc_context());
  if (!context) {
    return context;
  }
  SwsContext* c = context.get();
  av_opt_set_int(c, "srcw", spec.srcWidth, 0);
  av_opt_set_int(c, "srch", spec.srcHeight, 0);
  av_opt_set_int(c, "src_format", spec.srcFormat, 0);
  av_opt_set_int(c, "dstw", spec.dstWidth, 0);
  av_opt_set_int(c, "dsth", spec.dstHeight, 0);
  av_opt_set_int(c, "dst_format", spec.dstFormat, 0);
  av_opt_set_int(c, "sws_flags", spec.flags, 0);
  av_opt_set_int(c, "threads", spec.threads, 0);
  if (sws_init_context(c, nullptr, nullptr) < 0) {
    context.reset();
  }
  return context;
}

int openResampler(UniqueSwrContext& out, const AVChannelLayout& outLayout,
                  AVSampleFormat outFormat, int outRate, const AVChannelLayout& inLayout,
                  AVSampleFormat inFormat, int inRate) {
  SwrContext* raw = nullptr;
  // FFmpeg 5.1 declares the layouts non-const; it only reads them.
  int rc = swr_alloc_set_opts2(&raw, const_cast<AVChannelLayout*>(&outLayout), outFormat, outRate,
                               const_cast<AVChannelLayout*>(&inLayout), inFormat, inRate, 0,
                               nullptr);
  out.reset(raw);
  if (rc >= 0) {
    rc = swr_init(out.get());
  }
  return rc;
}

}  // namespace codecflow

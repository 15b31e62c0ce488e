// The decoding half of Note [A file cut short] (FrameIndex.h): the frames
// of a stream's last, partial packet that really decode.
#pragma once

#include "decode/VideoStreamDecoder.h"
#include "demux/FrameIndex.h"

namespace codecflow {

// Where `index`'s stream may end in a partial packet, decodes its last GOP
// once with `decoder` and leaves out of `index` the frames that do not come
// out; the decoder is left rewound. A stream damaged there is left as it is
// (decoding it raises where the damage is).
void keepFramesThatDecode(FrameIndex& index, VideoStreamDecoder& decoder);

}  // namespace codecflow

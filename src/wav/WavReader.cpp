#include "wav/WavReader.h"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "codecflow/Error.h"

namespace codecflow {

namespace {

constexpr uint16_t kTagPcm = 0x0001;
constexpr uint16_t kTagFloat = 0x0003;
constexpr uint16_t kTagExtensible = 0xFFFE;
// Bytes 2-15 of the KSDATAFORMAT_SUBTYPE_* GUIDs; bytes 0-1 hold the tag.
constexpr uint8_t kSubtypeSuffix[14] = {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80,
                                        0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};
constexpr int64_t kChunkBytes = 1 << 20;

uint16_t le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}
uint64_t le64(const uint8_t* p) {
  return static_cast<uint64_t>(le32(p)) | (static_cast<uint64_t>(le32(p + 4)) << 32);
}

const char* compressedName(uint16_t tag) {
  switch (tag) {
    case 0x0002:
      return "Microsoft ADPCM";
    case 0x0006:
      return "A-law";
    case 0x0007:
      return "mu-law";
    case 0x0011:
      return "IMA ADPCM";
    case 0x0031:
      return "GSM 6.10";
    case 0x0050:
      return "MPEG audio";
    case 0x0055:
      return "MP3";
    case 0x00FF:
    case 0x1610:
      return "AAC";
    default:
      return "an unsupported encoding";
  }
}

// Sample converters: each equals the conversion swresample applies to the
// sample format FFmpeg's PCM decoder produces for it (so that the output is
// bit for bit AudioDecoder's).
struct LoadU8 {
  static constexpr int bytes = 1;
  float operator()(const uint8_t* p) const {
    return static_cast<float>(static_cast<int>(p[0]) - 0x80) * (1.0f / 128);
  }
};
struct LoadS16 {
  static constexpr int bytes = 2;
  float operator()(const uint8_t* p) const {
    return static_cast<float>(static_cast<int16_t>(le16(p))) * (1.0f / (1 << 15));
  }
};
struct LoadS24 {
  static constexpr int bytes = 3;
  // FFmpeg decodes 24-bit PCM to the top bits of an int32.
  float operator()(const uint8_t* p) const {
    uint32_t v = (static_cast<uint32_t>(p[0]) << 8) | (static_cast<uint32_t>(p[1]) << 16) |
                 (static_cast<uint32_t>(p[2]) << 24);
    return static_cast<float>(static_cast<int32_t>(v)) * (1.0f / 2147483648.0f);
  }
};
struct LoadS32 {
  static constexpr int bytes = 4;
  float operator()(const uint8_t* p) const {
    return static_cast<float>(static_cast<int32_t>(le32(p))) * (1.0f / 2147483648.0f);
  }
};
struct LoadS64 {
  static constexpr int bytes = 8;
  float operator()(const uint8_t* p) const {
    return static_cast<float>(static_cast<int64_t>(le64(p))) * (1.0f / 9223372036854775808.0f);
  }
};
struct LoadF32 {
  static constexpr int bytes = 4;
  float operator()(const uint8_t* p) const { return std::bit_cast<float>(le32(p)); }
};
struct LoadF64 {
  static constexpr int bytes = 8;
  float operator()(const uint8_t* p) const {
    return static_cast<float>(std::bit_cast<double>(le64(p)));
  }
};

template <typename Load>
void deinterleave(const uint8_t* in, int64_t count, int channels, float* const* out) {
  Load load;
  const int64_t step = static_cast<int64_t>(Load::bytes) * channels;
  for (int c = 0; c < channels; ++c) {
    const uint8_t* p = in + static_cast<int64_t>(c) * Load::bytes;
    float* dst = out[c];
    for (int64_t i = 0; i < count; ++i, p += step) {
      dst[i] = load(p);
    }
  }
}

using Deinterleave = void (*)(const uint8_t*, int64_t, int, float* const*);

// Note [WAV sample types]
// Everything codecflow knows about a WAV sample type, in one row: its size
// in the file, FFmpeg's names for the codec and the decoded sample format
// (the metadata AudioDecoder reports for the same file), and the converter
// to float32. Rows are in WavSampleType's order.
struct SampleTypeRow {
  WavSampleType type;
  bool isFloat;
  int bytes;
  const char* codec;
  const char* sampleFormat;
  Deinterleave deinterleave;
};

constexpr SampleTypeRow kSampleTypes[] = {
    {WavSampleType::UInt8, false, 1, "pcm_u8", "u8", &deinterleave<LoadU8>},
    {WavSampleType::Int16, false, 2, "pcm_s16le", "s16", &deinterleave<LoadS16>},
    {WavSampleType::Int24, false, 3, "pcm_s24le", "s32", &deinterleave<LoadS24>},
    {WavSampleType::Int32, false, 4, "pcm_s32le", "s32", &deinterleave<LoadS32>},
    {WavSampleType::Int64, false, 8, "pcm_s64le", "s64", &deinterleave<LoadS64>},
    {WavSampleType::Float32, true, 4, "pcm_f32le", "flt", &deinterleave<LoadF32>},
    {WavSampleType::Float64, true, 8, "pcm_f64le", "dbl", &deinterleave<LoadF64>},
};

const SampleTypeRow& rowOf(WavSampleType type) { return kSampleTypes[static_cast<int>(type)]; }

// The type of samples stored in `bytes` bytes, float or integer; nullptr
// when WAV has none.
const SampleTypeRow* rowFor(bool isFloat, int bytes) {
  for (const SampleTypeRow& row : kSampleTypes) {
    if (row.isFloat == isFloat && row.bytes == bytes) {
      return &row;
    }
  }
  return nullptr;
}

}  // namespace

const char* wavCodecName(WavSampleType type) { return rowOf(type).codec; }

const char* wavSampleFormatName(WavSampleType type) { return rowOf(type).sampleFormat; }

WavReader::WavReader(std::shared_ptr<ByteStream> stream, std::string description)
    : stream_(std::move(stream)), description_(std::move(description)) {
  parse();
}

void WavReader::malformed(const std::string& what) const {
  fail(ErrorKind::InvalidData, "'" + description_ + "' is not a valid WAV file: " + what);
}

void WavReader::readExactly(uint8_t* buffer, int64_t size, const char* what) {
  int64_t done = 0;
  while (done < size) {
    int64_t n = stream_->read(buffer + done, size - done);
    if (n <= 0) {
      malformed(std::string("the file ends inside ") + what + " (truncated)");
    }
    done += n;
  }
  position_ += size;
}

void WavReader::parse() {
  uint8_t header[12];
  stream_->seek(0, SEEK_SET);
  position_ = 0;
  int64_t total = stream_->size();
  if (total == 0) {
    malformed("it is empty");
  }
  readExactly(header, 12, "the RIFF header");
  if (std::memcmp(header, "RIFX", 4) == 0) {
    malformed("big-endian RIFX files are not supported");
  }
  bool rf64 = std::memcmp(header, "RF64", 4) == 0 || std::memcmp(header, "BW64", 4) == 0;
  if ((std::memcmp(header, "RIFF", 4) != 0 && !rf64) || std::memcmp(header + 8, "WAVE", 4) != 0) {
    malformed("it does not start with a RIFF/RF64 'WAVE' header");
  }
  format_.rf64 = rf64;
  uint64_t dataSize64 = 0;
  bool haveFormat = false;
  bool first = true;
  while (true) {
    uint8_t chunk[8];
    int64_t n = stream_->read(chunk, 8);
    if (n < 8) {
      malformed(haveFormat ? "it has no 'data' chunk" : "it has no 'fmt ' chunk");
    }
    position_ += 8;
    uint32_t size = le32(chunk + 4);
    if (rf64 && first && std::memcmp(chunk, "ds64", 4) != 0) {
      malformed("an RF64 file must start with a 'ds64' chunk");
    }
    first = false;
    if (std::memcmp(chunk, "ds64", 4) == 0) {
      if (size < 24) {
        malformed("its 'ds64' chunk is too short (" + std::to_string(size) + " bytes)");
      }
      checkChunkFits("ds64", size, total);
      uint8_t body[24];
      readExactly(body, sizeof(body), "the 'ds64' chunk");
      skipTo(position_ + (size - sizeof(body)));
      dataSize64 = le64(body + 8);
    } else if (std::memcmp(chunk, "fmt ", 4) == 0) {
      if (size < 16) {
        malformed("its 'fmt ' chunk is too short (" + std::to_string(size) + " bytes)");
      }
      checkChunkFits("fmt ", size, total);
      // Only the fields parseFormat reads (40 bytes at most) are read; the
      // size in the header never decides an allocation.
      uint8_t body[40] = {0};
      uint32_t used = std::min<uint32_t>(size, sizeof(body));
      readExactly(body, used, "the 'fmt ' chunk");
      skipTo(position_ + (size - used));
      parseFormat(body, used);
      haveFormat = true;
    } else if (std::memcmp(chunk, "data", 4) == 0) {
      if (!haveFormat) {
        malformed("its 'data' chunk comes before the 'fmt ' chunk");
      }
      format_.dataOffset = position_;
      uint64_t bytes = size;
      if (rf64 && size == 0xFFFFFFFFu) {
        bytes = dataSize64;
      }
      // A size the file cannot hold (a truncated file, or a streaming
      // writer's placeholder): the samples that are there, as FFmpeg does.
      if (total >= 0) {
        uint64_t available = static_cast<uint64_t>(std::max<int64_t>(total - position_, 0));
        if (bytes > available || (!rf64 && (size == 0 || size == 0xFFFFFFFFu))) {
          bytes = available;
        }
      }
      format_.numSamples = static_cast<int64_t>(bytes / format_.blockAlign);
      return;
    } else {
      // Any other chunk (LIST, fact, PEAK, JUNK, ...) is skipped.
      int64_t next = position_ + size;
      if (total >= 0 && next > total) {
        malformed(haveFormat ? "it has no 'data' chunk" : "it has no 'fmt ' chunk");
      }
      stream_->seek(next, SEEK_SET);
      position_ = next;
    }
    if (size & 1) {  // chunks are padded to an even size
      stream_->seek(position_ + 1, SEEK_SET);
      position_ += 1;
    }
  }
}

void WavReader::checkChunkFits(const char* id, uint32_t size, int64_t total) const {
  if (total >= 0 && static_cast<int64_t>(size) > total - position_) {
    malformed(std::string("the file ends inside the '") + id + "' chunk, which claims " +
              std::to_string(size) + " bytes where " +
              std::to_string(std::max<int64_t>(total - position_, 0)) + " follow (truncated)");
  }
}

void WavReader::skipTo(int64_t position) {
  if (position != position_) {
    stream_->seek(position, SEEK_SET);
    position_ = position;
  }
}

void WavReader::parseFormat(const uint8_t* chunk, uint32_t size) {
  uint16_t tag = le16(chunk);
  format_.formatTag = tag;
  format_.channels = le16(chunk + 2);
  format_.sampleRate = static_cast<int>(le32(chunk + 4));
  format_.byteRate = le32(chunk + 8);
  format_.blockAlign = le16(chunk + 12);
  format_.bitsPerSample = le16(chunk + 14);
  if (tag == kTagExtensible) {
    uint16_t extra = size >= 18 ? le16(chunk + 16) : 0;
    if (size < 40 || extra < 22) {
      malformed("its WAVE_FORMAT_EXTENSIBLE 'fmt ' chunk is too short (" + std::to_string(size) +
                " bytes)");
    }
    format_.channelMask = le32(chunk + 20);
    const uint8_t* guid = chunk + 24;
    if (std::memcmp(guid + 2, kSubtypeSuffix, sizeof(kSubtypeSuffix)) != 0) {
      malformed("its WAVE_FORMAT_EXTENSIBLE sub-format is not a standard one; "
                "WavDecoder reads PCM and IEEE float only");
    }
    tag = le16(guid);
  }
  if (tag != kTagPcm && tag != kTagFloat) {
    char hex[8];
    std::snprintf(hex, sizeof(hex), "0x%04X", tag);
    malformed(std::string("it is compressed (format tag ") + hex + ", " + compressedName(tag) +
              "); WavDecoder reads PCM and IEEE float only, AudioDecoder decodes the rest");
  }
  int bits = format_.bitsPerSample;
  // Integer samples are stored in whole bytes (e.g. 20-bit ones in 3).
  bool isFloat = tag == kTagFloat;
  const SampleTypeRow* row =
      isFloat ? (bits == 32 || bits == 64 ? rowFor(true, bits / 8) : nullptr)
              : rowFor(false, (bits + 7) / 8);
  bool known = row != nullptr;
  if (known) {
    format_.type = row->type;
  }
  if (!known || bits <= 0) {
    malformed(std::to_string(bits) + "-bit " + (tag == kTagFloat ? "float" : "integer") +
              " samples are not supported (integers: 8, 16, 24, 32 or 64 bits; floats: 32 or "
              "64 bits)");
  }
  if (format_.channels <= 0) {
    malformed("it has 0 channels");
  }
  if (format_.sampleRate <= 0) {
    malformed("its sample rate is " + std::to_string(le32(chunk + 4)));
  }
  int expected = rowOf(format_.type).bytes * format_.channels;
  if (format_.blockAlign != expected) {
    malformed("its block align is " + std::to_string(format_.blockAlign) + " bytes, but " +
              std::to_string(format_.channels) + " channels of " + std::to_string(bits) +
              "-bit samples take " + std::to_string(expected));
  }
}

void WavReader::read(int64_t first, int64_t count, SampleBuffer& out) {
  count = std::clamp<int64_t>(std::min(count, format_.numSamples - first), 0, INT64_MAX);
  if (count == 0) {
    return;
  }
  const int channels = format_.channels;
  const int64_t block = format_.blockAlign;
  out.reserve(out.size() + count);
  int64_t perChunk = std::max<int64_t>(1, kChunkBytes / block);
  std::vector<uint8_t> buffer(static_cast<size_t>(std::min(perChunk, count) * block));
  int64_t offset = format_.dataOffset + first * block;
  stream_->seek(offset, SEEK_SET);
  position_ = offset;
  std::vector<float*> planes(static_cast<size_t>(channels));
  for (int64_t done = 0; done < count;) {
    int64_t n = std::min(perChunk, count - done);
    readExactly(buffer.data(), n * block, "the samples");
    for (int c = 0; c < channels; ++c) {
      planes[c] = out.end(c) + done;
    }
    rowOf(format_.type).deinterleave(buffer.data(), n, channels, planes.data());
    done += n;
  }
  out.grow(count);
}

}  // namespace codecflow

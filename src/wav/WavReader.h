// A RIFF/RF64 WAV parser and sample reader over a ByteStream: reads the
// chunk headers up to the data chunk, then exactly the bytes of the samples
// asked for.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "tensor/SampleBuffer.h"
#include "codecflow/Source.h"

namespace codecflow {

enum class WavSampleType { UInt8, Int16, Int24, Int32, Int64, Float32, Float64 };

struct WavFormat {
  WavSampleType type = WavSampleType::Int16;
  int channels = 0;
  int sampleRate = 0;
  int blockAlign = 0;      // bytes of one sample of every channel
  int bitsPerSample = 0;   // container bits of one sample
  int64_t byteRate = 0;
  uint16_t formatTag = 0;  // as written (0xFFFE for WAVE_FORMAT_EXTENSIBLE)
  uint32_t channelMask = 0;
  bool rf64 = false;
  int64_t dataOffset = 0;  // of the first sample, in bytes
  int64_t numSamples = 0;  // per channel, as far as the file holds them
};

// FFmpeg's names for the codec and the decoded sample format of a type.
const char* wavCodecName(WavSampleType type);
const char* wavSampleFormatName(WavSampleType type);

class WavReader {
 public:
  // Parses the header. Throws InvalidData naming what is wrong.
  WavReader(std::shared_ptr<ByteStream> stream, std::string description);

  const WavFormat& format() const { return format_; }

  // Appends samples [first, first + count) of every channel to `out`,
  // converted to float32. Throws InvalidData when the file is shorter than
  // its header said when it was opened.
  void read(int64_t first, int64_t count, SampleBuffer& out);

 private:
  [[noreturn]] void malformed(const std::string& what) const;
  void readExactly(uint8_t* buffer, int64_t size, const char* what);
  void parse();
  // Throws InvalidData when a chunk claims more bytes than follow it.
  void checkChunkFits(const char* id, uint32_t size, int64_t total) const;
  void skipTo(int64_t position);
  void parseFormat(const uint8_t* chunk, uint32_t size);

  std::shared_ptr<ByteStream> stream_;
  std::string description_;
  WavFormat format_;
  int64_t position_ = 0;
};

}  // namespace codecflow

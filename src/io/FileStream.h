// A ByteStream over a local file, read with pread (no buffering of its
// own: its readers ask for large blocks).
#pragma once

#include <memory>
#include <string>

#include "codecflow/Source.h"

namespace codecflow {

// Opens `path`. Throws NotFound, IsDirectory or Io naming the path.
std::shared_ptr<ByteStream> openFileStream(const std::string& path);

}  // namespace codecflow

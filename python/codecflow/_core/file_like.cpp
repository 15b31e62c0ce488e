#include "file_like.h"

#include <cstring>
#include <string>

#include "bindings.h"
#include "codecflow/Error.h"

namespace codecflow::python {

PyFileLike::PyFileLike(py::object fileLike) : fileLike_(std::move(fileLike)) {}

PyFileLike::~PyFileLike() {
  py::gil_scoped_acquire gil;
  fileLike_ = py::object();
}

int64_t PyFileLike::read(uint8_t* buffer, int64_t size) {
  py::gil_scoped_acquire gil;
  py::object chunk = fileLike_.attr("read")(size);
  if (chunk.is_none()) {
    return 0;  // a non-blocking stream with nothing yet: treated as the end
  }
  if (!PyObject_CheckBuffer(chunk.ptr())) {
    fail(ErrorKind::TypeMismatch, "read() of a file-like source must return bytes, got " +
                                      py::str(py::type::of(chunk).attr("__name__")).cast<std::string>() +
                                      " (is the file open in text mode?)");
  }
  py::buffer_info info = py::buffer(chunk).request();
  int64_t length = info.size * info.itemsize;
  if (length > size) {
    fail(ErrorKind::Io, "read(" + std::to_string(size) + ") returned " + std::to_string(length) +
                            " bytes");
  }
  std::memcpy(buffer, info.ptr, static_cast<size_t>(length));
  return length;
}

void PyFileLike::write(const uint8_t* data, int64_t size) {
  py::gil_scoped_acquire gil;
  int64_t done = 0;
  while (done < size) {
    py::object written = fileLike_.attr("write")(
        py::bytes(reinterpret_cast<const char*>(data + done), static_cast<size_t>(size - done)));
    if (written.is_none()) {
      return;  // write() that returns nothing wrote everything
    }
    auto n = positionOf(written, "write()");
    if (n <= 0) {
      fail(ErrorKind::Io, "write() of the file-like object wrote " + std::to_string(n) + " of " +
                              std::to_string(size - done) + " bytes");
    }
    done += n;
  }
}

int64_t PyFileLike::seek(int64_t offset, int whence) {
  py::gil_scoped_acquire gil;
  py::object position = fileLike_.attr("seek")(offset, whence);
  if (position.is_none()) {
    return positionOf(fileLike_.attr("tell")(), "tell()");
  }
  return positionOf(position, "seek()");
}

int64_t PyFileLike::size() {
  py::gil_scoped_acquire gil;
  py::object tell = fileLike_.attr("tell");
  py::object seek = fileLike_.attr("seek");
  int64_t here = positionOf(tell(), "tell()");
  seek(0, 2);
  int64_t end = positionOf(tell(), "tell()");
  seek(here, 0);
  return end;
}

}  // namespace codecflow::python

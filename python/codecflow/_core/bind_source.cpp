#include <pybind11/stl.h>

#include <cstring>

#include "bindings.h"
#include "codecflow/Error.h"
#include "codecflow/Source.h"

namespace codecflow::python {

namespace {

// Reads a Python binary file-like object on demand. Called by FFmpeg with
// the GIL released: each call takes the GIL for the Python call only. A
// Python exception propagates as py::error_already_set, which the core
// stashes and rethrows once FFmpeg returns (Note [Exceptions and FFmpeg
// callbacks]), so the caller sees the original exception.
class FileLikeStream : public ByteStream {
 public:
  explicit FileLikeStream(py::object fileLike) : fileLike_(std::move(fileLike)) {}

  ~FileLikeStream() override {
    py::gil_scoped_acquire gil;
    fileLike_ = py::object();
  }

  int64_t read(uint8_t* buffer, int64_t size) override {
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

  int64_t seek(int64_t offset, int whence) override {
    py::gil_scoped_acquire gil;
    py::object position = fileLike_.attr("seek")(offset, whence);
    if (position.is_none()) {
      return positionOf(fileLike_.attr("tell")(), "tell()");
    }
    return positionOf(position, "seek()");
  }

  int64_t size() override {
    py::gil_scoped_acquire gil;
    py::object tell = fileLike_.attr("tell");
    py::object seek = fileLike_.attr("seek");
    int64_t here = positionOf(tell(), "tell()");
    seek(0, 2);
    int64_t end = positionOf(tell(), "tell()");
    seek(here, 0);
    return end;
  }

 private:
  py::object fileLike_;
};

// Keeps a Python object alive from C++ (released with the GIL held).
std::shared_ptr<const void> holdPython(py::object object) {
  auto* held = new py::object(std::move(object));
  return std::shared_ptr<const void>(held, [](const void* p) {
    py::gil_scoped_acquire gil;
    delete static_cast<const py::object*>(p);
  });
}

}  // namespace

void bindSource(py::module_& m) {
  py::class_<Source>(m, "Source")
      .def_static("from_path", &Source::fromPath, py::arg("path"))
      .def_static(
          "from_bytes",
          [](const py::bytes& data) {
            // Alias the bytes object's buffer instead of copying it.
            char* pointer = nullptr;
            Py_ssize_t length = 0;
            PyBytes_AsStringAndSize(data.ptr(), &pointer, &length);
            auto owner = holdPython(data);
            Tensor view = Tensor::fromBlob(pointer, {length}, {}, DType::UInt8, Device::cpu(),
                                           std::const_pointer_cast<void>(owner));
            return Source::fromTensor(view, "<bytes of size " + std::to_string(length) + ">");
          },
          py::arg("data"))
      .def_static(
          "from_tensor", [](const py::object& tensor) { return Source::fromTensor(fromDLPackObject(tensor)); },
          py::arg("tensor"))
      .def_static(
          "from_file_like",
          [](const py::object& fileLike) {
            return Source::fromStream(std::make_shared<FileLikeStream>(fileLike),
                                      "<file-like object " +
                                          py::repr(fileLike).cast<std::string>() + ">");
          },
          py::arg("file_like"))
      .def_property_readonly("description", &Source::description)
      .def_property_readonly("is_path", [](const Source& s) { return s.kind() == Source::Kind::Path; });
}

}  // namespace codecflow::python

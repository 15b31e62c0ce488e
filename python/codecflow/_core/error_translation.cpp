// The translation of the core's typed errors into the public exception
// classes, which live in codecflow._errors so that each can inherit from
// CodecflowError and the builtin the API promises for its case.
#include <cerrno>

#include "bindings.h"
#include "codecflow/Error.h"

namespace codecflow::python {

namespace {

const char* className(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::InvalidArgument:
      return "InvalidArgumentError";
    case ErrorKind::InvalidData:
      return "InvalidMediaError";
    case ErrorKind::OutOfRange:
      return "OutOfRangeError";
    case ErrorKind::TypeMismatch:
      return "InvalidTypeError";
    case ErrorKind::NotFound:
      return "MediaNotFoundError";
    case ErrorKind::IsDirectory:
      return "MediaIsADirectoryError";
    case ErrorKind::Io:
      return "MediaIOError";
    case ErrorKind::Network:
      return "NetworkError";
    case ErrorKind::Timeout:
      return "NetworkTimeoutError";
    case ErrorKind::Unsupported:
    case ErrorKind::Runtime:
      break;
  }
  return "CodecflowError";
}

void translate(std::exception_ptr pointer) {
  try {
    if (pointer) {
      std::rethrow_exception(pointer);
    }
  } catch (const Error& e) {
    py::object cls = py::module_::import("codecflow._errors").attr(className(e.kind()));
    if (e.kind() == ErrorKind::NotFound || e.kind() == ErrorKind::IsDirectory) {
      // OSErrors with an errno, as the builtins for a missing path have.
      int code = e.kind() == ErrorKind::NotFound ? ENOENT : EISDIR;
      PyErr_SetObject(cls.ptr(), py::make_tuple(code, e.what()).ptr());
    } else {
      PyErr_SetString(cls.ptr(), e.what());
    }
  }
}

}  // namespace

void registerErrors(py::module_&) { py::register_exception_translator(&translate); }

}  // namespace codecflow::python

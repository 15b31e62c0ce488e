#include <pybind11/stl.h>

#include <cerrno>

#include "bindings.h"
#include "codecflow/Error.h"

namespace codecflow::python {

namespace {

void deleteUnconsumedCapsule(PyObject* capsule) {
  // A consumer renames the capsule to "used_dltensor" and owns the tensor;
  // otherwise the tensor is still ours to release.
  if (PyCapsule_IsValid(capsule, "dltensor")) {
    auto* managed = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(capsule, "dltensor"));
    if (managed != nullptr && managed->deleter != nullptr) {
      managed->deleter(managed);
    }
  }
}

// Maps core error kinds to the public exception classes, which live in
// codecflow._errors so that they can inherit from two builtins.
void translate(std::exception_ptr pointer) {
  try {
    if (pointer) {
      std::rethrow_exception(pointer);
    }
  } catch (const Error& e) {
    const char* name = nullptr;
    switch (e.kind()) {
      case ErrorKind::InvalidArgument:
        name = "InvalidArgumentError";
        break;
      case ErrorKind::InvalidData:
        name = "InvalidMediaError";
        break;
      case ErrorKind::OutOfRange:
        name = "OutOfRangeError";
        break;
      case ErrorKind::TypeMismatch:
        PyErr_SetString(PyExc_TypeError, e.what());
        return;
      case ErrorKind::NotFound:
        name = "MediaNotFoundError";
        break;
      case ErrorKind::IsDirectory:
        name = "MediaIsADirectoryError";
        break;
      case ErrorKind::Io:
        PyErr_SetString(PyExc_OSError, e.what());
        return;
      case ErrorKind::Network:
        name = "NetworkError";
        break;
      case ErrorKind::Timeout:
        name = "NetworkTimeoutError";
        break;
      case ErrorKind::Unsupported:
      case ErrorKind::Runtime:
        name = "CodecflowError";
        break;
    }
    py::object cls = py::module_::import("codecflow._errors").attr(name);
    if (e.kind() == ErrorKind::NotFound || e.kind() == ErrorKind::IsDirectory) {
      int code = e.kind() == ErrorKind::NotFound ? ENOENT : EISDIR;
      PyErr_SetObject(cls.ptr(), py::make_tuple(code, e.what()).ptr());
    } else {
      PyErr_SetString(cls.ptr(), e.what());
    }
  }
}

}  // namespace

void registerErrors(py::module_&) { py::register_exception_translator(&translate); }

py::capsule toCapsule(const Tensor& tensor) {
  DLManagedTensor* managed = tensor.toDLPack();
  PyObject* capsule = PyCapsule_New(managed, "dltensor", &deleteUnconsumedCapsule);
  if (capsule == nullptr) {
    managed->deleter(managed);
    throw py::error_already_set();
  }
  return py::reinterpret_steal<py::capsule>(capsule);
}

Tensor fromDLPackObject(const py::object& object) {
  if (!py::hasattr(object, "__dlpack__")) {
    fail(ErrorKind::TypeMismatch, std::string("expected a tensor or array with __dlpack__, got ") +
                                      py::str(py::type::of(object).attr("__name__")).cast<std::string>());
  }
  py::object capsule = object.attr("__dlpack__")();
  auto* managed = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(capsule.ptr(), "dltensor"));
  if (managed == nullptr) {
    throw py::error_already_set();
  }
  // We own the tensor now: mark the capsule consumed so that it does not
  // release it too.
  PyCapsule_SetName(capsule.ptr(), "used_dltensor");
  PyCapsule_SetDestructor(capsule.ptr(), nullptr);
  return Tensor::fromDLPack(managed);
}

void bindTensor(py::module_& m) {
  m.def(
      "_empty_uint8",
      [](std::vector<int64_t> shape) { return toCapsule(Tensor::empty(std::move(shape), DType::UInt8)); },
      "A new uninitialized uint8 tensor as a DLPack capsule (tests the export path).");
  m.def(
      "_roundtrip",
      [](const py::object& object) { return toCapsule(fromDLPackObject(object)); },
      "Imports an object through DLPack and exports it again, aliasing the same memory.");
  m.def("frame_cache_limit", &frameCacheLimit);
  m.def(
      "set_frame_cache_limit",
      [](const PyInt& bytes) {
        int64_t value = toCore(bytes, kFrameCacheLimitRange);
        py::gil_scoped_release release;
        setFrameCacheLimit(value);
      },
      py::arg("bytes"));
  m.def("use_default_frame_cache_limit", &useDefaultFrameCacheLimit,
        py::call_guard<py::gil_scoped_release>());
  m.def("frame_cache_bytes", &frameCacheBytes);
}

}  // namespace codecflow::python

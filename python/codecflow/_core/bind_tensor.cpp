#include <pybind11/stl.h>

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

}  // namespace

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

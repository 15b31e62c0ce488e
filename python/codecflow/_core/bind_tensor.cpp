#include <pybind11/stl.h>

#include "bindings.h"
#include "codecflow/Cuda.h"
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

namespace {

py::capsule capsuleOf(DLManagedTensor* managed) {
  PyObject* capsule = PyCapsule_New(managed, "dltensor", &deleteUnconsumedCapsule);
  if (capsule == nullptr) {
    managed->deleter(managed);
    throw py::error_already_set();
  }
  return py::reinterpret_steal<py::capsule>(capsule);
}

// Note [Handing CUDA tensors over]
// A CUDA batch is ready in the order of codecflow's stream of its GPU, not
// on the host. Its consumer names its own stream in __dlpack__(stream=)
// (torch.from_dlpack passes torch's current stream), which then waits for
// an event of codecflow's stream. When the consumer drops the tensor,
// codecflow's stream waits for what the consumer queued on that stream
// before the memory goes back to its allocator on codecflow's stream, so
// a later batch never overwrites memory a pending kernel still reads. Work
// on other streams is the consumer's to order (as record_stream is in
// torch).
struct HandedOver {
  DLManagedTensor outer;
  DLManagedTensor* inner;
  int device;
  int64_t consumer;
};

void releaseHandedOver(DLManagedTensor* self) {
  auto* handed = static_cast<HandedOver*>(self->manager_ctx);
  cudaTakeBack(handed->device, handed->consumer);
  handed->inner->deleter(handed->inner);
  delete handed;
}

struct CudaTensorExport {
  Tensor tensor;
};

py::capsule exportCuda(const CudaTensorExport& self, const py::object& stream) {
  int64_t consumer = 1;  // None: the legacy default stream, as DLPack says
  if (!stream.is_none()) {
    if (!py::isinstance<py::int_>(stream) || py::isinstance<py::bool_>(stream)) {
      fail(ErrorKind::TypeMismatch, "__dlpack__'s stream must be an int or None, got " +
                                        py::str(py::type::of(stream).attr("__name__"))
                                            .cast<std::string>());
    }
    consumer = stream.cast<int64_t>();
  }
  int device = self.tensor.device().index;
  cudaHandOver(device, consumer);
  DLManagedTensor* inner = self.tensor.toDLPack();
  auto* handed = new HandedOver{*inner, inner, device, consumer};
  handed->outer.manager_ctx = handed;
  handed->outer.deleter = &releaseHandedOver;
  return capsuleOf(&handed->outer);
}

}  // namespace

py::object toCapsule(const Tensor& tensor) {
  if (!tensor.device().isCpu()) {
    return py::cast(CudaTensorExport{tensor});
  }
  return capsuleOf(tensor.toDLPack());
}

Tensor fromDLPackObject(const py::object& object) {
  if (!py::hasattr(object, "__dlpack__")) {
    fail(ErrorKind::TypeMismatch, std::string("expected a tensor or array with __dlpack__, got ") +
                                      py::str(py::type::of(object).attr("__name__")).cast<std::string>());
  }
  py::object capsule;
  if (builtWithCuda() && py::hasattr(object, "__dlpack_device__")) {
    auto where = object.attr("__dlpack_device__")().cast<py::tuple>();
    if (where.size() == 2 && where[0].cast<int>() == kDLCUDA) {
      // The producer orders codecflow's stream after its pending work; one
      // without the stream argument is taken as it is (its own order).
      int64_t ours = cudaStream(where[1].cast<int>());
      try {
        capsule = object.attr("__dlpack__")(py::arg("stream") = ours);
      } catch (py::error_already_set& error) {
        if (!error.matches(PyExc_TypeError)) {
          throw;
        }
      }
    }
  }
  if (!capsule) {
    capsule = object.attr("__dlpack__")();
  }
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
  py::class_<CudaTensorExport>(
      m, "CudaTensorExport",
      "A CUDA tensor of codecflow for torch.from_dlpack (DLPack's stream protocol).")
      .def("__dlpack__", &exportCuda, py::arg("stream") = py::none(),
           "A DLPack capsule; `stream` (DLPack's numbering: None or 1 the legacy default "
           "stream, 2 the per-thread one, -1 none, else a cudaStream_t) waits for the "
           "batch's work. Each call hands out a new capsule.")
      .def("__dlpack_device__", [](const CudaTensorExport& self) {
        return py::make_tuple(static_cast<int>(kDLCUDA), self.tensor.device().index);
      });
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

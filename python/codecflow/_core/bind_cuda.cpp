#include <pybind11/stl.h>

#include "bindings.h"
#include "codecflow/Cuda.h"
#include "codecflow/DeviceAllocator.h"
#include "codecflow/Error.h"

namespace codecflow::python {

namespace {

YuvMatrix parseMatrix(const std::string& name) {
  if (name == "bt601") {
    return YuvMatrix::Bt601;
  }
  if (name == "bt709") {
    return YuvMatrix::Bt709;
  }
  if (name == "bt2020") {
    return YuvMatrix::Bt2020;
  }
  fail(ErrorKind::InvalidArgument,
       "unknown colour matrix '" + name + "'; allowed: bt601, bt709, bt2020");
}

bool interpreterGone() {
#if PY_VERSION_HEX >= 0x030D0000
  return !Py_IsInitialized() || Py_IsFinalizing();
#else
  return !Py_IsInitialized() || _Py_IsFinalizing();
#endif
}

// Device memory from two Python callables, torch's
// caching_allocator_alloc(size, device, stream) -> int and
// caching_allocator_delete(pointer) as the Python layer installs them: one
// call per batch, from whichever thread decodes, with the GIL taken for
// it. An allocation error (torch.OutOfMemoryError) reaches the caller of
// the decoding method as the same Python exception.
class PythonDeviceAllocator final : public DeviceAllocator {
 public:
  PythonDeviceAllocator(py::object allocate, py::object release)
      // Leaked: the allocator may go away on any thread, after Python did.
      : allocate_(new py::object(std::move(allocate))),
        release_(new py::object(std::move(release))) {}

  void* allocate(size_t bytes, int device, void* stream) override {
    if (interpreterGone()) {
      fail(ErrorKind::Runtime, "the Python device allocator is gone (interpreter exiting)");
    }
    py::gil_scoped_acquire gil;
    py::object result =
        (*allocate_)(bytes, device, static_cast<int64_t>(reinterpret_cast<intptr_t>(stream)));
    if (!py::isinstance<py::int_>(result) || result.cast<uintptr_t>() == 0) {
      fail(ErrorKind::Runtime, "the device allocator returned " +
                                   py::repr(result).cast<std::string>() +
                                   " instead of a device pointer (a non-zero int)");
    }
    return reinterpret_cast<void*>(result.cast<uintptr_t>());
  }

  void release(void* pointer, int, void*) noexcept override {
    if (interpreterGone() || cudaForkedChild()) {
      return;  // at exit, or the parent's memory in a forked child: not freed
    }
    py::gil_scoped_acquire gil;
    try {
      (*release_)(reinterpret_cast<uintptr_t>(pointer));
    } catch (py::error_already_set& error) {
      error.discard_as_unraisable("codecflow's device allocator (release)");
    } catch (...) {
      // Nothing can be raised from a deleter.
    }
  }

 private:
  py::object* allocate_;
  py::object* release_;
};

// Device memory taken through the installed allocator (tests the hook).
struct DeviceAllocation {
  std::shared_ptr<void> memory;
};

}  // namespace

void bindCuda(py::module_& m) {
  m.def(
      "set_device_allocator",
      [](const py::object& allocate, const py::object& release) {
        if (allocate.is_none() != release.is_none()) {
          fail(ErrorKind::InvalidArgument,
               "set_device_allocator takes two callables, or None and None");
        }
        if (allocate.is_none()) {
          setDeviceAllocator(nullptr);
          return;
        }
        if (!PyCallable_Check(allocate.ptr()) || !PyCallable_Check(release.ptr())) {
          fail(ErrorKind::TypeMismatch, "set_device_allocator takes two callables");
        }
        setDeviceAllocator(std::make_shared<PythonDeviceAllocator>(allocate, release));
      },
      py::arg("allocate"), py::arg("release"),
      "Installs allocate(size, device, stream) -> int and release(pointer) as the source of "
      "CUDA output memory (None, None: codecflow's stream-ordered allocation).");
  m.def("has_device_allocator", [] { return installedDeviceAllocator() != nullptr; });
  py::class_<DeviceAllocation>(m, "_DeviceAllocation")
      .def_property_readonly("pointer",
                             [](const DeviceAllocation& self) {
                               return reinterpret_cast<uintptr_t>(self.memory.get());
                             })
      .def(
          "release",
          [](DeviceAllocation& self) {
            std::shared_ptr<void> memory = std::move(self.memory);
            py::gil_scoped_release release;
            memory.reset();
          },
          "Gives the memory back, from C++ without the GIL.");
  m.def(
      "_allocate_device_memory",
      [](const PyInt& bytes, int device) {
        auto size = narrowInt<int64_t>(bytes, "bytes");
        if (size < 0) {
          fail(ErrorKind::InvalidArgument, "bytes must be 0 or more, got " + std::to_string(size));
        }
        DeviceAllocation allocation;
        py::gil_scoped_release release;
        allocation.memory =
            allocateDeviceMemory(static_cast<size_t>(size), device, nullptr, nullptr);
        return allocation;
      },
      py::arg("bytes"), py::arg("device"),
      "Memory from the installed device allocator, asked for without the GIL (stream 0); "
      "tests the hook.");
  m.def("has_cuda", &builtWithCuda, "True when this build includes the CUDA code.");
  m.def("cuda_device_count", &cudaDeviceCount,
        "CUDA devices seen by the CUDA runtime; RuntimeError naming what is missing.");
  m.def("cuda_versions", &cudaVersions,
        "The CUDA driver and runtime versions, as CUDA-unavailable errors name them.");
  m.def("get_nvdec_cache_capacity", &nvdecCacheCapacity);
  m.def(
      "set_nvdec_cache_capacity",
      [](const PyInt& capacity) {
        // Kept decoders: a count no machine reaches beyond 2**31.
        IntRange range{"capacity", 0, INT32_MAX};
        setNvdecCacheCapacity(static_cast<size_t>(checkRange(range, toCore(capacity, range))));
      },
      py::arg("capacity"));
  m.def("nvdec_cache_size", &nvdecCacheSize);
  m.def("get_nvdec_cache_byte_limit", &nvdecCacheByteLimit,
        "The bound on the estimated device memory of the NVDEC cache per GPU.");
  m.def(
      "set_nvdec_cache_byte_limit",
      [](const PyInt& bytes) { setNvdecCacheByteLimit(narrowInt<int64_t>(bytes, "bytes")); },
      py::arg("bytes"));
  m.def("nvdec_cache_bytes", &nvdecCacheBytes, py::arg("device"),
        "The estimated device memory of the cached NVDEC decoders of GPU `device`.");
  m.def("cuda_device_to_host_copies", &cudaDeviceToHostCopies,
        "Device -> host copies made by codecflow's CUDA code in this process (for tests).");
  m.def(
      "rgb_to_nv12",
      [](const py::object& rgb, const std::string& matrix, bool fullRange) {
        Tensor input = fromDLPackObject(rgb);
        YuvMatrix parsed = parseMatrix(matrix);
        Tensor out;
        {
          py::gil_scoped_release release;
          out = rgbToNv12(input, parsed, fullRange);
        }
        return toCapsule(out);
      },
      py::arg("rgb"), py::arg("matrix") = "bt601", py::arg("full_range") = false,
      "Packed (H, W, 3) uint8 RGB to a (H * 3 / 2, W) NV12 DLPack capsule on the same device.");
}

}  // namespace codecflow::python

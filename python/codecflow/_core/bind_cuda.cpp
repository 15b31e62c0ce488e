#include <pybind11/stl.h>

#include "bindings.h"
#include "codecflow/Cuda.h"
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

}  // namespace

void bindCuda(py::module_& m) {
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

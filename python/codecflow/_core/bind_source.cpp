#include <pybind11/stl.h>

#include "bindings.h"
#include "codecflow/Error.h"
#include "codecflow/Source.h"
#include "file_like.h"

namespace codecflow::python {

namespace {

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
            return Source::fromStream(std::make_shared<PyFileLike>(fileLike),
                                      "<file-like object " +
                                          py::repr(fileLike).cast<std::string>() + ">");
          },
          py::arg("file_like"))
      .def_property_readonly("description", &Source::description)
      .def_property_readonly("is_path", [](const Source& s) { return s.kind() == Source::Kind::Path; });
}

}  // namespace codecflow::python

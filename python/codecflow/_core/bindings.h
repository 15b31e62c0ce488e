// Shared helpers of the binding files. Each bind*() adds one part of the
// core's API to the module; media logic stays in the core.
#pragma once

#include <pybind11/pybind11.h>

#include "codecflow/Tensor.h"

namespace codecflow::python {

namespace py = pybind11;

void registerErrors(py::module_& m);
void bindTensor(py::module_& m);
void bindSource(py::module_& m);
void bindMetadata(py::module_& m);
void bindVideoDecoder(py::module_& m);
void bindAudio(py::module_& m);
void bindCuda(py::module_& m);
void bindEncoder(py::module_& m);
void bindFfmpegInfo(py::module_& m);

// A DLPack capsule ("dltensor") handing `tensor` to Python without a copy.
py::capsule toCapsule(const Tensor& tensor);

// A core tensor aliasing any object that implements __dlpack__ (torch,
// NumPy, ...), keeping the producer's buffer alive.
Tensor fromDLPackObject(const py::object& object);

}  // namespace codecflow::python

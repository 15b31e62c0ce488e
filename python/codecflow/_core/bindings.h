// Shared helpers of the binding files. Each bind*() adds one part of the
// core's API to the module; media logic stays in the core.
#pragma once

#include <pybind11/pybind11.h>

#include <climits>
#include <map>
#include <tuple>
#include <vector>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "codecflow/Error.h"
#include "codecflow/Tensor.h"
#include "codecflow/VideoDecoder.h"

namespace codecflow::python {

// A Python int of any size, as the binding receives every integer argument
// (pybind11's own int conversion would raise its "incompatible function
// arguments" TypeError for one beyond C's range). A value no int64 holds
// keeps its decimal text, so that the range error can show it.
struct PyInt {
  PyInt() = default;
  explicit PyInt(int64_t v) : value(v) {}
  int64_t value = 0;
  bool overflow = false;
  std::string text;
};

// The value of an integer argument for the core, which checks it against
// `range` (the core's own range for it): a value beyond 64 bits never gets
// there, and is refused here with the error the core raises for that range.
inline int64_t toCore(const PyInt& arg, const IntRange& range) {
  if (arg.overflow) {
    failRange(range, arg.text);
  }
  return arg.value;
}

inline std::optional<int64_t> toCore(const std::optional<PyInt>& arg, const IntRange& range) {
  if (!arg) {
    return std::nullopt;
  }
  return toCore(*arg, range);
}

// An integer argument narrowed to T, for core interfaces that take a T and
// check its range themselves: a value beyond T's range is refused here with
// the core's range error (naming T's range) instead of being truncated.
template <typename T>
T narrowInt(const PyInt& arg, const char* name) {
  IntRange range{name, static_cast<int64_t>(std::numeric_limits<T>::min()),
                 static_cast<int64_t>(std::numeric_limits<T>::max())};
  return static_cast<T>(checkRange(range, toCore(arg, range)));
}

// The int a file-like's read position method returned (seek(), tell(),
// write()): TypeError naming the method for anything else, instead of
// pybind11's "Unable to cast" RuntimeError. Needs the GIL.
inline int64_t positionOf(const pybind11::handle& result, const char* method) {
  if (PyBool_Check(result.ptr()) || !PyLong_Check(result.ptr())) {
    fail(ErrorKind::TypeMismatch,
         std::string(method) + " of a file-like object must return an int, got " +
             pybind11::str(pybind11::type::of(result).attr("__name__")).cast<std::string>());
  }
  int overflow = 0;
  long long v = PyLong_AsLongLongAndOverflow(result.ptr(), &overflow);
  if (overflow != 0 || (v == -1 && PyErr_Occurred())) {
    PyErr_Clear();
    fail(ErrorKind::Io, std::string(method) + " of a file-like object returned " +
                            pybind11::str(result).cast<std::string>() +
                            ", beyond any file position");
  }
  return static_cast<int64_t>(v);
}

template <typename T>
std::optional<T> narrowInt(const std::optional<PyInt>& arg, const char* name) {
  if (!arg) {
    return std::nullopt;
  }
  return narrowInt<T>(*arg, name);
}

}  // namespace codecflow::python

namespace pybind11::detail {

// Loads any object with __index__ (int, numpy and torch integers) into a
// PyInt; floats and other types are refused as pybind11 refuses them for
// C integers (a TypeError).
template <>
struct type_caster<codecflow::python::PyInt> {
  PYBIND11_TYPE_CASTER(codecflow::python::PyInt, const_name("int"));

  bool load(handle source, bool) {
    if (!source || PyFloat_Check(source.ptr()) || !PyIndex_Check(source.ptr())) {
      return false;
    }
    object index = reinterpret_steal<object>(PyNumber_Index(source.ptr()));
    if (!index) {
      PyErr_Clear();
      return false;
    }
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(index.ptr(), &overflow);
    if (v == -1 && PyErr_Occurred()) {
      PyErr_Clear();
      return false;
    }
    value = codecflow::python::PyInt{};
    if (overflow != 0) {
      value.overflow = true;
      value.text = str(index).cast<std::string>();
    } else {
      value.value = static_cast<int64_t>(v);
    }
    return true;
  }

  static handle cast(const codecflow::python::PyInt& source, return_value_policy, handle) {
    if (source.overflow) {
      return PyLong_FromString(source.text.c_str(), nullptr, 10);
    }
    return PyLong_FromLongLong(source.value);
  }
};

}  // namespace pybind11::detail

namespace codecflow::python {

namespace py = pybind11;

// The result of `call()`, run with the GIL released (decoding, reading):
// the GIL is held again when the caller converts the result to Python.
template <typename Call>
auto withoutGil(Call&& call) -> decltype(call()) {
  py::gil_scoped_release release;
  return call();
}

void registerErrors(py::module_& m);
void bindTensor(py::module_& m);
void bindSource(py::module_& m);
void bindMetadata(py::module_& m);
void bindVideoDecoder(py::module_& m);
void bindAudio(py::module_& m);
void bindCuda(py::module_& m);
void bindEncoder(py::module_& m);
void bindFfmpegInfo(py::module_& m);
void bindClips(py::module_& m);

// The core options of a video decoder from the arguments of
// _core.VideoDecoder (bind_video_decoder.cpp), shared with decode_clips'
// requests. Needs the GIL.
VideoDecoderOptions videoDecoderOptions(
    const std::optional<PyInt>& streamIndex, const PyInt& numThreads, bool exact,
    std::optional<std::vector<std::tuple<PyInt, PyInt, bool>>> custom,
    std::vector<TransformStep> transforms, const std::string& outputDType,
    const PyInt& cudaDevice, const std::string& cudaBackend,
    std::map<std::string, std::string> ffmpegOptions, const std::optional<py::bytes>& savedIndex,
    bool rescanBadSavedIndex, const std::optional<py::function>& transformsFor);

// `tensor` for Python without a copy: a DLPack capsule ("dltensor") for CPU
// memory; for CUDA memory an object with __dlpack__(stream=) and
// __dlpack_device__ whose consumer's stream waits for codecflow's (Note
// [Handing CUDA tensors over] in bind_tensor.cpp).
py::object toCapsule(const Tensor& tensor);

// A core tensor aliasing any object that implements __dlpack__ (torch,
// NumPy, ...), keeping the producer's buffer alive. A CUDA producer is
// asked for codecflow's stream, so that it makes that stream wait for its
// own pending work on the tensor.
Tensor fromDLPackObject(const py::object& object);

}  // namespace codecflow::python

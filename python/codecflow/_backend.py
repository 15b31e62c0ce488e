"""The array library codecflow hands out: torch where it is installed, NumPy otherwise.

This module is the only one that imports torch, and only on first use (the
first decode, encode or sample), so ``import codecflow`` works, and never
touches torch, where torch is not installed. Everything else asks it for
arrays and RNG draws:

- with torch (the default where it is importable) frames, samples and
  timestamps are torch tensors and random draws use torch's global RNG (or
  a ``torch.Generator``), exactly as TorchCodec does;
- without torch (or with ``CODECFLOW_ARRAY_BACKEND=numpy`` in the
  environment) they are NumPy arrays, random draws use a
  ``numpy.random.Generator`` given as ``generator=`` or one seeded from
  Python's ``random`` module, and CUDA devices are refused.

Checks whether a value *is* a tensor never import torch: a torch tensor can
only exist once the program has imported torch itself.
"""

from __future__ import annotations

import math
import os
import random
import sys
from types import ModuleType
from typing import Any, List, Optional, Sequence

import numpy as np

from codecflow._errors import InvalidArgumentError

_ENV = "CODECFLOW_ARRAY_BACKEND"
# "torch": the torch module, or None for NumPy; filled on first use.
_state: dict = {}


def torch() -> Optional[ModuleType]:
    """The torch module when it is the backend, else None (NumPy).

    Raises:
        ValueError: for a ``CODECFLOW_ARRAY_BACKEND`` other than "torch" or
            "numpy".
        ImportError: for ``CODECFLOW_ARRAY_BACKEND=torch`` without torch.
    """
    if "torch" not in _state:
        choice = os.environ.get(_ENV, "").strip().lower()
        if choice not in ("", "torch", "numpy"):
            raise InvalidArgumentError(f"{_ENV} must be 'torch' or 'numpy', got {choice!r}")
        module = None
        if choice != "numpy":
            try:
                import torch as module  # the one place codecflow imports torch
            except ImportError:
                if choice == "torch":
                    raise
                module = None
        _state["torch"] = module
    return _state["torch"]


def name() -> str:
    """``"torch"`` or ``"numpy"``: what decoders return here."""
    return "numpy" if torch() is None else "torch"


def is_tensor(value: Any) -> bool:
    """Whether ``value`` is a torch tensor (never imports torch)."""
    module = sys.modules.get("torch")
    return module is not None and isinstance(value, module.Tensor)


def is_array(value: Any) -> bool:
    """Whether ``value`` is a torch tensor or a NumPy array."""
    return isinstance(value, np.ndarray) or is_tensor(value)


def is_native(value: Any) -> bool:
    """Whether ``value`` is the backend's own array type."""
    return is_tensor(value) if torch() is not None else isinstance(value, np.ndarray)


def is_torch_dtype(value: Any) -> bool:
    module = sys.modules.get("torch")
    return module is not None and isinstance(value, module.dtype)


def is_torch_generator(value: Any) -> bool:
    module = sys.modules.get("torch")
    return module is not None and isinstance(value, module.Generator)


# -- arrays out ------------------------------------------------------------


class _Capsule:
    """Hands a core DLPack capsule to ``numpy.from_dlpack`` (CPU memory)."""

    def __init__(self, capsule: Any) -> None:
        self._capsule = capsule

    def __dlpack__(self, stream: Any = None, **kwargs: Any) -> Any:
        return self._capsule

    def __dlpack_device__(self) -> tuple:
        return (1, 0)  # kDLCPU


class _Writable:
    """Owns a NumPy view of core memory and presents it as writable.

    NumPy marks arrays imported from an unversioned DLPack capsule
    read-only; the memory is codecflow's own, freshly decoded and writable
    (torch users get writable tensors over it), so frames are exposed
    writable too, without a copy. The view keeps the imported array, and so
    the memory, alive.
    """

    def __init__(self, array: np.ndarray) -> None:
        self._array = array
        self.__array_interface__ = dict(
            array.__array_interface__, data=(array.__array_interface__["data"][0], False)
        )


def from_dlpack(capsule: Any) -> Any:
    """A tensor or a (writable) NumPy array over a core DLPack capsule, no copy."""
    module = torch()
    if module is not None:
        return module.from_dlpack(capsule)
    array = np.from_dlpack(_Capsule(capsule))
    if array.size == 0:
        return np.empty(array.shape, array.dtype)
    return np.asarray(_Writable(array))


def _new_array(values: Sequence[Any], dtype: str) -> Any:
    """A new tensor (or array, without torch) of ``values`` with the dtype
    that both torch and NumPy call ``dtype``."""
    module = torch()
    if module is not None:
        return module.tensor(values, dtype=getattr(module, dtype))
    return np.asarray(values, dtype=np.dtype(dtype))


def float64_array(values: Sequence[float]) -> Any:
    """A float64 tensor or array of ``values`` (timestamps)."""
    return _new_array(values, "float64")


def as_float64(values: Any) -> Any:
    """``values`` (a tensor, array or sequence) as float64 of the backend."""
    module = torch()
    if module is not None:
        if isinstance(values, np.ndarray):
            values = module.from_numpy(np.asarray(values, dtype=np.float64))
        return module.as_tensor(values, dtype=module.float64)
    if is_tensor(values):
        values = values.detach().cpu().numpy()
    return np.asarray(values, dtype=np.float64)


def int64_array(values: Sequence[int]) -> Any:
    """An int64 tensor or array of ``values`` (indices)."""
    return _new_array(values, "int64")


def bool_array(values: Sequence[bool]) -> Any:
    """A bool tensor or array of ``values``."""
    return _new_array(values, "bool")


def as_list(values: Any, dtype: str) -> list:
    """A 1-D-checked tensor or array as a list of ints or floats
    (``dtype`` "int64" truncates floats, as ``tensor.to(torch.int64)`` does).

    Raises:
        ValueError: for more than one dimension.
    """
    if values.ndim > 1:
        raise InvalidArgumentError(f"expected a 1-D sequence, got shape {tuple(values.shape)}")
    if is_tensor(values):
        module = sys.modules["torch"]
        return values.to(getattr(module, dtype)).tolist()
    return np.asarray(values).astype(dtype).tolist()


def dtype_name(dtype: Any) -> Optional[str]:
    """The name of a torch dtype, NumPy dtype or dtype string ("uint8"), or
    None when it names no dtype."""
    if is_torch_dtype(dtype):
        return str(dtype).split(".")[-1]
    if isinstance(dtype, (str, type, np.dtype)):
        try:
            return np.dtype(dtype).name
        except TypeError:
            return None
    return None


# -- arrays in ---------------------------------------------------------------


def as_input(value: Any) -> Any:
    """An encoder input as the backend's array: torch tensors and NumPy
    arrays as they are where they are the backend's, anything else with
    ``__dlpack__`` (NumPy, JAX, CuPy arrays, tensors) through DLPack without
    a copy. Other values are returned unchanged for the type checks.

    Raises:
        ValueError: without torch, for data that is not in CPU memory.
    """
    module = torch()
    if module is not None:
        if is_tensor(value):
            return value
        if isinstance(value, np.ndarray):
            if not value.flags.writeable or any(s < 0 for s in value.strides):
                value = np.array(value)  # torch takes neither through DLPack
            return module.from_numpy(value)
        if hasattr(value, "__dlpack__"):
            return module.from_dlpack(value)
        return value
    if isinstance(value, np.ndarray):
        return value
    if is_tensor(value):
        if value.device.type != "cpu":
            raise InvalidArgumentError(
                f"without torch as the backend only CPU data is encoded, got {value.device}"
            )
        return value.detach().numpy()
    if hasattr(value, "__dlpack__"):
        try:
            return np.from_dlpack(value)
        except (BufferError, RuntimeError, TypeError) as error:
            raise InvalidArgumentError(
                "without torch only data in CPU memory can be encoded; NumPy could not "
                f"import this {type(value).__name__}: {error}"
            ) from None
    return value


def for_core(array: Any) -> Any:
    """``array`` (a backend array) as the core's DLPack import takes it: a
    read-only NumPy array, which DLPack cannot export, is copied."""
    if isinstance(array, np.ndarray) and not array.flags.writeable:
        return np.array(array)
    return array


def device_type(array: Any) -> str:
    """``"cpu"`` or ``"cuda"``: where a backend array lives."""
    return array.device.type if is_tensor(array) else "cpu"


def device_of(array: Any) -> Any:
    """The torch.device of a tensor, ``"cpu"`` for a NumPy array."""
    return array.device if is_tensor(array) else "cpu"


def strides(array: Any) -> tuple:
    """Strides in elements."""
    if is_tensor(array):
        return tuple(array.stride())
    return tuple(s // array.itemsize for s in array.strides)


def contiguous(array: Any) -> Any:
    return array.contiguous() if is_tensor(array) else np.ascontiguousarray(array)


def permute(array: Any, *dims: int) -> Any:
    return array.permute(*dims) if is_tensor(array) else array.transpose(*dims)


def unsqueeze0(array: Any) -> Any:
    return array.unsqueeze(0) if is_tensor(array) else array[np.newaxis]


def stack(arrays: List[Any]) -> Any:
    if arrays and is_tensor(arrays[0]):
        return sys.modules["torch"].stack(arrays)
    return np.stack(arrays)


# -- random draws ----------------------------------------------------------


def check_generator(generator: Any) -> Any:
    """Checks ``generator=``: None, a ``numpy.random.Generator`` or (with
    torch) a ``torch.Generator``.

    Raises:
        ValueError: for anything else.
    """
    if generator is None or isinstance(generator, np.random.Generator):
        return generator
    if is_torch_generator(generator):
        return generator
    raise InvalidArgumentError(
        "generator must be None, a numpy.random.Generator or a torch.Generator, got "
        f"{type(generator).__name__}"
    )


def _numpy_generator(generator: Any) -> np.random.Generator:
    if generator is None:
        # Seeded from Python's `random`, so random.seed() makes draws repeatable.
        return np.random.default_rng(random.getrandbits(128))
    return generator


def _torch_draws(generator: Any) -> Optional[ModuleType]:
    """torch when the draws come from torch's RNG (global or a torch.Generator)."""
    if is_torch_generator(generator):
        return sys.modules["torch"]
    if generator is None:
        return torch()
    return None


def randint(low: int, high: int, size: int, generator: Any = None) -> List[int]:
    """``size`` ints uniform in ``[low, high)``: ``torch.randint`` with torch's
    RNG, else ``Generator.integers``."""
    module = _torch_draws(generator)
    if module is not None:
        return module.randint(low=low, high=high, size=(size,), generator=generator).tolist()
    return _numpy_generator(generator).integers(low, high, size=size).tolist()


def rand(size: int, generator: Any = None) -> List[float]:
    """``size`` float32 draws in [0, 1), as float64 values (``torch.rand``)."""
    module = _torch_draws(generator)
    if module is not None:
        return module.rand(size, generator=generator).double().tolist()
    draws = _numpy_generator(generator).random(size, dtype=np.float32)
    return draws.astype(np.float64).tolist()


def linspace_int(start: int, end: int, steps: int) -> List[int]:
    """``torch.linspace(start, end, steps, dtype=torch.int)`` as a list."""
    module = torch()
    if module is not None:
        return module.linspace(start, end, steps=steps, dtype=module.int).tolist()
    if steps == 1:
        return [int(start)]
    # torch's formula: from the start for the first half, from the end for
    # the second, in double precision, truncated.
    step = (end - start) / (steps - 1)
    half = steps // 2
    return [
        int(start + step * i) if i < half else int(end - step * (steps - i - 1))
        for i in range(steps)
    ]


def linspace_float32_to_int(start: int, end: int, steps: int) -> List[int]:
    """``torch.linspace(start, end, steps).to(torch.int64)`` as a list.

    torch computes those steps in float32, and its vectorized kernel rounds
    differently from element to element; without torch they are computed in
    double precision (as ``linspace_int``), so a value that torch's float32
    puts just below an integer can come out one higher here.
    """
    module = torch()
    if module is not None:
        return module.linspace(start, end, steps=steps).to(module.int64).tolist()
    return linspace_int(start, end, steps)


def arange_float(start: float, end: float, step: float) -> List[float]:
    """``torch.arange(start, end, step, dtype=torch.float64)`` as a list."""
    module = torch()
    if module is not None:
        return module.arange(start, end, step, dtype=module.float64).tolist()
    count = max(0, math.ceil((end - start) / step))
    return [start + step * i for i in range(count)]

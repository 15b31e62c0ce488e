"""Device selection shared by decoders and encoders."""

from __future__ import annotations

import re
from typing import Any, Optional, Union

from codecflow import _backend, _core
from codecflow._errors import CodecflowError, InvalidArgumentError

DeviceLike = Union[None, str, Any]  # or a torch.device


class CpuDevice:
    """The device of NumPy arrays (codecflow without torch): ``type`` "cpu"."""

    type = "cpu"
    index: Optional[int] = None

    def __str__(self) -> str:
        return "cpu"

    def __repr__(self) -> str:
        return "device(type='cpu')"

    def __eq__(self, other: object) -> bool:
        return str(other) == "cpu"

    def __hash__(self) -> int:
        return hash("cpu")


def resolve_device(device: DeviceLike) -> Any:
    """The torch.device to decode on (a :class:`CpuDevice` without torch).

    None means torch's default device (the CPU without torch). Raises
    ValueError for a device string torch does not know or a device type
    other than cpu and cuda, and RuntimeError naming what is missing when
    CUDA is asked for where this build or machine (or, without torch, the
    environment) has none.
    """
    torch = _backend.torch()
    if torch is None:
        return _resolve_without_torch(device)
    if device is None:
        device = torch.get_default_device()
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise InvalidArgumentError(f"invalid device {device!r}: {error}") from None
    if resolved.type == "cpu":
        return resolved
    if resolved.type != "cuda":
        raise InvalidArgumentError(
            f"unsupported device {str(resolved)!r}; supported: 'cpu', 'cuda', 'cuda:N'"
        )
    if not getattr(_core, "has_cuda", lambda: False)():
        raise CodecflowError(
            f"device {str(resolved)!r} was asked for, but this codecflow build has no CUDA "
            "support (it was compiled without nvcc/the CUDA toolkit)"
        )
    if not torch.cuda.is_available():
        raise CodecflowError(
            f"device {str(resolved)!r} was asked for, but torch sees no CUDA device "
            "(no NVIDIA GPU or driver, or a CPU-only torch build; "
            f"{_core.cuda_versions()}, torch's CUDA {torch.version.cuda or 'none'})"
        )
    # The core's own CUDA runtime must see the GPU too (raises RuntimeError
    # with cudaGetDeviceCount's error otherwise).
    count = _core.cuda_device_count()
    index = torch.cuda.current_device() if resolved.index is None else resolved.index
    if not 0 <= index < count:
        raise CodecflowError(
            f"device {str(resolved)!r} was asked for, but this machine has {count} CUDA "
            f"device(s) (valid: cuda:0 to cuda:{count - 1})"
        )
    use_torch_allocator(torch)
    return torch.device("cuda", index)


def use_torch_allocator(torch: Any) -> None:
    """Makes torch's CUDA caching allocator the source of codecflow's CUDA output memory.

    Installed once per process, the first time a CUDA device is resolved:
    batches then come from (and go back to) torch's cache, count in
    ``torch.cuda.memory_allocated``, and running out of memory raises
    ``torch.OutOfMemoryError``. Without it (no torch) the core allocates
    stream-ordered on its own stream. Thread safety: may be called from any
    thread; installing twice installs the same functions again.
    """
    if _state.get("allocator") is torch:
        return
    _core.set_device_allocator(
        torch.cuda.caching_allocator_alloc, torch.cuda.caching_allocator_delete
    )
    _state["allocator"] = torch


_state: dict = {}


def _resolve_without_torch(device: DeviceLike) -> CpuDevice:
    text = "cpu" if device is None else str(device)  # a str, CpuDevice or torch.device
    if text == "cpu":
        return CpuDevice()
    if re.fullmatch(r"cuda(:\d+)?", text):
        raise CodecflowError(
            f"device {text!r} was asked for, but CUDA decoding and encoding need torch, "
            "which is not installed (or CODECFLOW_ARRAY_BACKEND=numpy): without it codecflow "
            "works on the CPU with NumPy arrays"
        )
    raise InvalidArgumentError(f"invalid device {device!r}; supported: 'cpu', 'cuda', 'cuda:N'")


class CpuFallbackStatus:
    """Whether a CUDA decoder or encoder fell back to the CPU, and why.

    ``status_known`` is True from construction for a decoder on the CPU
    (nothing to fall back from); on a GPU it is False until the first frame
    was decoded (or encoded). ``bool(status)`` is True when it fell back;
    ``str(status)`` says why (or that it did not).
    """

    def __init__(self) -> None:
        self.status_known = False
        self._fell_back = False
        self._reason = "unknown until the first frame is decoded"

    def _set(self, fell_back: bool, reason: str) -> None:
        self.status_known = True
        self._fell_back = fell_back
        self._reason = reason

    def __bool__(self) -> bool:
        return self._fell_back

    def __str__(self) -> str:
        return self._reason

    def __repr__(self) -> str:
        return (
            f"CpuFallbackStatus(status_known={self.status_known}, "
            f"fell_back={self._fell_back}, reason={self._reason!r})"
        )


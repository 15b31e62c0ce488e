"""CUDA decoding: backend selection, the NVDEC decoder cache, fallbacks.

Decoding on a CUDA device runs FFmpeg's CUDA hwaccel, which drives the
GPU's NVDEC engine, and converts the NV12/P010 frames to RGB with
codecflow's own kernels straight into a CUDA tensor. Frames the GPU cannot
decode (a codec, profile or size NVDEC lacks) are decoded on the CPU and
uploaded; ``VideoDecoder.cpu_fallback`` says when that happened.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any

from codecflow import _core
from codecflow._checks import check_int
from codecflow._errors import InvalidArgumentError
from codecflow._device import CpuFallbackStatus

_BACKENDS = ("nvdec", "ffmpeg")
# Other names accepted for a backend.
_ALIASES = {"beta": "nvdec"}
_backend: contextvars.ContextVar[str] = contextvars.ContextVar(
    "codecflow_cuda_backend", default="nvdec"
)


@contextlib.contextmanager
def set_cuda_backend(backend: str) -> Iterator[None]:
    """Chooses the CUDA decoding implementation for decoders created inside.

    Args:
        backend: ``"nvdec"`` (the default) or ``"ffmpeg"``, in any case;
            ``"beta"`` is another name for ``"nvdec"``. In codecflow both
            decode through FFmpeg's CUDA hwaccel, which drives NVDEC, and
            convert with codecflow's colour kernels; the names exist so that
            code written for TorchCodec's backends runs unchanged.

    The setting is per thread (and per asyncio task) and is restored when
    the block exits; a call outside a ``with`` block changes nothing.
    Decoders keep the backend they were created with.

    Raises:
        ValueError: for another backend name (raised on entering the block).
    """
    name = backend.lower() if isinstance(backend, str) else backend
    name = _ALIASES.get(name, name)
    if name not in _BACKENDS:
        raise InvalidArgumentError(
            f"unknown CUDA backend {backend!r}; allowed: {_BACKENDS} (any case), "
            f"or 'beta' for 'nvdec'"
        )
    token = _backend.set(name)
    try:
        yield
    finally:
        _backend.reset(token)


def get_cuda_backend() -> str:
    """The CUDA backend decoders created now would use: "nvdec" or "ffmpeg"."""
    return _backend.get()


def get_nvdec_cache_capacity() -> int:
    """How many NVDEC decoders are kept for reuse (default 20).

    A decoder that goes away leaves its opened CUDA codec context (and the
    NVDEC decoder in it) in a process-wide cache; a later decoder of a
    stream with the same codec, size and parameters on the same GPU takes
    it instead of creating one. Thread-safe.
    """
    return int(_core.get_nvdec_cache_capacity())


def set_nvdec_cache_capacity(capacity: int) -> None:
    """Sets how many NVDEC decoders are kept for reuse; 0 disables the cache.

    Lowering the capacity frees the least recently used decoders at once.
    Thread-safe.

    Raises:
        ValueError: for a capacity that is not an int.
        InvalidArgumentError: for a negative capacity (a ``ValueError`` and a
            ``RuntimeError``); the capacity stays as it was.
    """
    # The type here, the range in the binding (Note [One owner per check]).
    _core.set_nvdec_cache_capacity(check_int("capacity", capacity))


def core_device_kwargs(device: Any) -> dict[str, Any]:
    """Keyword arguments of ``_core.VideoDecoder`` for a resolved device."""
    if device.type != "cuda":
        return {}
    return {"cuda_device": device.index or 0, "cuda_backend": _backend.get()}


def update_cpu_fallback(status: CpuFallbackStatus, core_decoder: Any, device: Any) -> None:
    """Fills ``status`` from the core decoder once it knows (after a decode)."""
    if status.status_known:
        return
    if device.type != "cuda":
        status._set(False, "No fallback required: decoding on the CPU as asked")
        return
    known, fell_back, reason = core_decoder.cpu_fallback
    if known:
        status._set(bool(fell_back), str(reason))

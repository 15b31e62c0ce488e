"""RGB -> NV12 on the frame's device: the conversion NVENC's input gets."""

from __future__ import annotations

from typing import Any

from codecflow import _backend, _core
from codecflow._errors import InvalidArgumentError


def rgb_to_nv12(
    frame: Any, *, matrix: str = "bt601", full_range: bool = False
) -> Any:
    """Converts one RGB frame to NV12 on the frame's device (GPU for CUDA).

    The same kernel (and, for CPU frames, its CPU reference) that turns CUDA
    frames into NVENC's input inside the core's encoders, for inspection and
    tests: the result is a ``(H * 3 // 2, W)`` uint8 tensor whose first
    ``H`` rows are Y and the rest interleaved Cb/Cr at half resolution.
    Encoders do not need it: they take CUDA frames as they are.

    Args:
        frame: uint8 ``(3, H, W)`` (CHW, as encoders take) or ``(H, W, 3)``
            RGB on the CPU or a CUDA device; H and W even.
        matrix: ``"bt601"`` (default, what H.264 encoders assume for
            untagged SD and HD video alike), ``"bt709"`` or ``"bt2020"``.
        full_range: full-range (JPEG) levels instead of limited 16-235.

    Thread safety: may be called from any thread; releases the GIL. A CUDA
    frame is read after the current torch stream is synchronized.

    Raises:
        ValueError: for other shapes, dtypes, odd sizes or matrix names.
    """
    if (
        not _backend.is_array(frame)
        or _backend.dtype_name(frame.dtype) != "uint8"
        or frame.ndim != 3
    ):
        raise InvalidArgumentError(
            "rgb_to_nv12 needs a uint8 (3, H, W) or (H, W, 3) tensor, got "
            f"{getattr(frame, 'dtype', type(frame).__name__)} with shape "
            f"{tuple(getattr(frame, 'shape', ()))}"
        )
    frame = _backend.as_input(frame)
    hwc = _backend.permute(frame, 1, 2, 0) if frame.shape[0] == 3 and frame.shape[2] != 3 else frame
    stride = _backend.strides(hwc)
    if stride[2] != 1 or stride[1] != 3:
        hwc = _backend.contiguous(hwc)
    if _backend.device_type(hwc) == "cuda":
        _backend.torch().cuda.current_stream(hwc.device).synchronize()
    return _backend.from_dlpack(_core.rgb_to_nv12(_backend.for_core(hwc), matrix, full_range))

"""The dataclasses decoders return: Frame, FrameBatch and AudioSamples."""

from __future__ import annotations

import dataclasses
from typing import Any, Iterator, Union

from codecflow import _backend
from codecflow._errors import InvalidArgumentError


def _format(name: str, value: object) -> str:
    if _backend.is_array(value):
        return f"{name}: {tuple(value.shape)} {value.dtype}"
    return f"{name}: {value}"


def _repr(class_name: str, obj: Any) -> str:
    """``class_name(field: value, ...)``, arrays shown by shape and dtype."""
    inner = ", ".join(_format(f.name, getattr(obj, f.name)) for f in dataclasses.fields(obj))
    return f"{class_name}({inner})"


def _field_values(obj: Any) -> Iterator[Any]:
    """The values of a dataclass's fields, in order (for unpacking)."""
    for field in dataclasses.fields(obj):
        yield getattr(obj, field.name)


@dataclasses.dataclass
class Frame:
    """One decoded video frame.

    Attributes:
        data: the frame, 3-D (``C, H, W`` or ``H, W, C``).
        pts_seconds: presentation time in seconds.
        duration_seconds: how long the frame is shown, in seconds.
    """

    data: Any
    pts_seconds: float
    duration_seconds: float

    def __post_init__(self) -> None:
        if self.data.ndim != 3:
            raise InvalidArgumentError(
                f"Frame.data must be 3-D, got shape {tuple(self.data.shape)}"
            )
        self.pts_seconds = float(self.pts_seconds)
        self.duration_seconds = float(self.duration_seconds)

    def __iter__(self) -> Iterator[Union[Any, float]]:
        return _field_values(self)

    def __repr__(self) -> str:
        return _repr("Frame", self)


@dataclasses.dataclass
class FrameBatch:
    """Several frames and their times.

    Attributes:
        data: ``(N, C, H, W)`` or ``(N, H, W, C)`` frames (5-D for clips).
        pts_seconds: float64 tensor (NumPy array without torch) of
            presentation times, shaped like the
            leading dimensions of ``data``.
        duration_seconds: float64 tensor of durations, same shape.

    Indexing, slicing and iteration take the same entries of all three and
    give FrameBatch objects, as TorchCodec's do: ``batch[i]`` of a 4-D batch
    holds 3-D data and 0-d tensor timestamps.
    """

    data: Any
    pts_seconds: Any
    duration_seconds: Any

    def __post_init__(self) -> None:
        if self.data.ndim < 3:
            raise InvalidArgumentError(
                f"FrameBatch.data must have at least 3 dims, got shape {tuple(self.data.shape)}"
            )
        leading = tuple(self.data.shape[:-3])
        for name in ("pts_seconds", "duration_seconds"):
            value = getattr(self, name)
            if not _backend.is_native(value):
                value = _backend.as_float64(value)
                setattr(self, name, value)
            if tuple(value.shape) != leading:
                raise InvalidArgumentError(
                    f"FrameBatch.{name} has shape {tuple(value.shape)}, but the leading "
                    f"dimensions of data are {leading}"
                )

    def __len__(self) -> int:
        return len(self.data)

    def __iter__(self) -> Iterator["FrameBatch"]:
        for i in range(len(self)):
            yield self[i]

    def __getitem__(self, key: object) -> "FrameBatch":
        return FrameBatch(self.data[key], self.pts_seconds[key], self.duration_seconds[key])

    def __repr__(self) -> str:
        return _repr("FrameBatch", self)


@dataclasses.dataclass
class AudioSamples:
    """Decoded audio.

    Attributes:
        data: float32 ``(num_channels, num_samples)`` in [-1, 1].
        pts_seconds: time of the first sample, in seconds.
        duration_seconds: ``num_samples / sample_rate``.
        sample_rate: samples per second.
    """

    data: Any
    pts_seconds: float
    duration_seconds: float
    sample_rate: int

    def __post_init__(self) -> None:
        if self.data.ndim != 2:
            raise InvalidArgumentError(
                f"AudioSamples.data must be 2-D (channels, samples), got {tuple(self.data.shape)}"
            )

    def __iter__(self) -> Iterator[object]:
        return _field_values(self)

    def __repr__(self) -> str:
        return _repr("AudioSamples", self)

"""Transforms applied inside the decoder, before the output tensor exists."""

from __future__ import annotations

import abc
from typing import Any, List, Sequence, Tuple, Union

from codecflow import _backend, _core
from codecflow._errors import InvalidArgumentError

Size = Union[int, Sequence[int]]


def _pair(size: Size, name: str) -> Tuple[int, int]:
    if isinstance(size, bool):
        raise InvalidArgumentError(f"{name}: size must be an int or (height, width), got {size!r}")
    if isinstance(size, int):
        values = (size, size)
    else:
        try:
            values = tuple(int(v) for v in size)
        except TypeError:
            raise InvalidArgumentError(
                f"{name}: size must be an int or (height, width), got {size!r}"
            ) from None
        if len(values) == 1:
            values = (values[0], values[0])
    if len(values) != 2 or min(values) <= 0:
        raise InvalidArgumentError(f"{name}: size must be positive (height, width), got {size!r}")
    return values[0], values[1]


class DecoderTransform(abc.ABC):
    """Base class of the transforms a decoder applies while decoding."""

    @abc.abstractmethod
    def _output_size(self, height: int, width: int) -> Tuple[int, int]:
        """The size of the output for an input of this size."""

    @abc.abstractmethod
    def _make_step(self, height: int, width: int) -> "_core.TransformStep":
        """The core's step for an input of this size."""


class Resize(DecoderTransform):
    """Resizes frames to ``size = (height, width)``, bilinear and antialiased.

    Args:
        size: ``(height, width)``; an int is not accepted by torchvision's
            decoder-side Resize either, so it must be a pair.
    """

    def __init__(self, size: Sequence[int]):
        if isinstance(size, int) or len(size) != 2:
            raise InvalidArgumentError(f"Resize: size must be (height, width), got {size!r}")
        self.size = _pair(size, "Resize")

    def _output_size(self, height: int, width: int) -> Tuple[int, int]:
        return self.size

    def _make_step(self, height: int, width: int) -> "_core.TransformStep":
        return _core.TransformStep("resize", self.size[0], self.size[1])

    def __repr__(self) -> str:
        return f"Resize(size={self.size})"


class CenterCrop(DecoderTransform):
    """Crops the centre ``size = (height, width)`` (or a square for an int)."""

    def __init__(self, size: Size):
        self.size = _pair(size, "CenterCrop")

    def _output_size(self, height: int, width: int) -> Tuple[int, int]:
        return self.size

    def _make_step(self, height: int, width: int) -> "_core.TransformStep":
        _check_fits(self, height, width)
        return _core.TransformStep("crop", self.size[0], self.size[1])

    def __repr__(self) -> str:
        return f"CenterCrop(size={self.size})"


class RandomCrop(DecoderTransform):
    """Crops ``size`` at a random position, drawn once when the decoder is
    created, with the torch RNG in the same way torchvision's RandomCrop
    draws it (so ``torch.manual_seed`` gives the same crop).

    Args:
        size: ``(height, width)`` or an int for a square.
        generator: None (torch's global RNG; without torch a NumPy generator
            seeded from Python's ``random``), a ``numpy.random.Generator``
            (the same crop with and without torch) or a ``torch.Generator``.

    Raises:
        ValueError: for a bad size or generator.
    """

    def __init__(self, size: Size, *, generator: Any = None):
        self.size = _pair(size, "RandomCrop")
        self.generator = _backend.check_generator(generator)

    def _output_size(self, height: int, width: int) -> Tuple[int, int]:
        return self.size

    def _make_step(self, height: int, width: int) -> "_core.TransformStep":
        _check_fits(self, height, width)
        th, tw = self.size
        top = _backend.randint(0, height - th + 1, 1, self.generator)[0]
        left = _backend.randint(0, width - tw + 1, 1, self.generator)[0]
        return _core.TransformStep("crop", th, tw, top, left)

    def __repr__(self) -> str:
        return f"RandomCrop(size={self.size})"


def _check_fits(transform: DecoderTransform, height: int, width: int) -> None:
    th, tw = transform.size  # type: ignore[attr-defined]
    if th > height or tw > width:
        raise InvalidArgumentError(
            f"{transform!r} is larger than the frame it applies to ({height}, {width})"
        )


def _from_torchvision(transform: Any) -> DecoderTransform:
    """Converts a torchvision v2 Resize/CenterCrop/RandomCrop."""
    name = type(transform).__name__
    module = type(transform).__module__
    if not module.startswith("torchvision"):
        raise InvalidArgumentError(
            f"unsupported transform {transform!r}; use codecflow.transforms.Resize, CenterCrop "
            "or RandomCrop, or their torchvision.transforms.v2 counterparts"
        )
    if name == "Resize":
        interpolation = getattr(transform, "interpolation", None)
        if interpolation is not None and "BILINEAR" not in str(interpolation).upper():
            raise InvalidArgumentError(f"{transform!r}: only bilinear interpolation is supported")
        if getattr(transform, "antialias", True) is False:
            raise InvalidArgumentError(f"{transform!r}: only antialiased resizing is supported")
        if getattr(transform, "max_size", None) is not None:
            raise InvalidArgumentError(f"{transform!r}: max_size is not supported")
        size = list(transform.size)
        if len(size) != 2:
            raise InvalidArgumentError(f"{transform!r}: size must be (height, width)")
        return Resize(size)
    if name == "CenterCrop":
        return CenterCrop(list(transform.size))
    if name == "RandomCrop":
        if getattr(transform, "padding", None) or getattr(transform, "pad_if_needed", False):
            raise InvalidArgumentError(f"{transform!r}: padding is not supported")
        return RandomCrop(list(transform.size))
    raise InvalidArgumentError(f"unsupported torchvision transform {transform!r}")


def make_steps(
    transforms: Sequence[Any], height: int, width: int
) -> Tuple[List["_core.TransformStep"], Tuple[int, int]]:
    """The core's steps for ``transforms`` on frames of this size, and the
    output size."""
    steps = []
    for transform in transforms:
        if not isinstance(transform, DecoderTransform):
            transform = _from_torchvision(transform)
        steps.append(transform._make_step(height, width))
        height, width = transform._output_size(height, width)
    return steps, (height, width)

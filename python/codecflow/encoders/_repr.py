"""[extra] What encoders and their streams print: their kind, size, rate and
codec rather than ``<object at 0x...>``. Attached in encoders/__init__.py so
that the encoder classes stay as they are."""

from __future__ import annotations

from typing import Any


def _codec(stream: Any) -> str:
    described = getattr(stream, "_described", {})
    return described.get("codec") or "container default"


def video_encoder(self: Any) -> str:
    n, _, h, w = self._frames.shape
    num, den = self._frame_rate
    rate = str(num) if den == 1 else f"{num}/{den}"
    return (f"VideoEncoder(frames={n}, size={w}x{h}, frame_rate={rate}, "
            f"device={str(self._device)!r})")


def audio_encoder(self: Any) -> str:
    channels, samples = (1, self._samples.shape[-1]) if self._samples.ndim == 1 else (
        self._samples.shape[0], self._samples.shape[1])
    return (f"AudioEncoder(num_channels={channels}, num_samples={samples}, "
            f"sample_rate={self._sample_rate})")


def video_stream(self: Any) -> str:
    rate = getattr(self, "_described", {}).get("frame_rate")
    rate_text = f", frame_rate={rate:g}" if rate else ""
    return (f"VideoStream(index={self._index}, size={self._width}x{self._height}"
            f"{rate_text}, codec={_codec(self)!r}, device={str(self._device)!r})")


def audio_stream(self: Any) -> str:
    rate = getattr(self, "_described", {}).get("sample_rate")
    rate_text = f", sample_rate={rate}" if rate else ""
    return (f"AudioStream(index={self._index}, num_channels={self._num_channels}{rate_text}, "
            f"codec={_codec(self)!r})")


def encoder(self: Any) -> str:
    state = "open" if self._opened else "not open"
    streams = ", ".join(repr(s) for s in self._streams) or "no streams"
    return f"Encoder({state}, [{streams}])"

"""VideoEncoder: a batch of frames into a video file, bytes or a file-like object."""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Dict, Optional, Union

from codecflow import _backend
from codecflow._device import resolve_device
from codecflow._errors import InvalidArgumentError
from codecflow.encoders._encode import OneStreamEncoder
from codecflow.encoders._encoder import Encoder, PathLike, _check_frame_rate, check_rgb_frames


class VideoEncoder(OneStreamEncoder):
    """Encodes a batch of frames into a video.

    Args:
        frames: uint8 RGB frames, shape ``(N, 3, H, W)``: a tensor, a NumPy
            array or anything else with ``__dlpack__``. The tensor's device
            chooses CPU or GPU encoding: CUDA frames go to NVENC for
            ``codec=None``, "h264" or "hevc" where it opens, else to the
            codec's CPU encoder (docs/cuda.md); an explicit ``*_nvenc`` codec
            never falls back.
        frame_rate: frames per second of the input, and of the output, in
            (0, 1000]; see :meth:`Encoder.add_video` for how a float becomes
            an exact fraction (29.97 is 30000/1001).

    Each ``to_*`` method is a thin wrapper over :class:`Encoder` with one
    video stream. The codec defaults from the container (mp4, mov, mkv:
    H.264 with libx264; webm: VP9; avi: MPEG-4). RGB is converted to the
    codec's pixel format with swscale (BT.601, limited range, bicubic
    chroma filtering: what the ffmpeg CLI does for the same input).

    Thread safety: the encoder holds only its frames; its methods may be
    called from several threads. The GIL is released while encoding.

    Raises:
        ValueError: for frames of the wrong type, dtype or shape, or a frame
            rate outside (0, 1000].
        RuntimeError: for CUDA frames where the build or machine has no
            CUDA; from the ``to_*`` methods, for an explicit hardware encoder
            (``h264_nvenc``) that cannot open, before any output exists.
    """

    def __init__(self, frames: Any, *, frame_rate: float):
        frames = check_rgb_frames(frames)
        if frames.shape[0] == 0 or frames.shape[2] == 0 or frames.shape[3] == 0:
            raise InvalidArgumentError(
                f"Expected at least one non-empty frame, got shape {tuple(frames.shape)}"
            )
        self._frame_rate = _check_frame_rate(frame_rate)
        self._device = resolve_device(_backend.device_of(frames))
        self._frames = frames

    def _add_stream(self, encoder: Encoder, options: Dict[str, Any]) -> Any:
        return encoder.add_video(
            height=self._frames.shape[2],
            width=self._frames.shape[3],
            frame_rate=Fraction(*self._frame_rate),
            device=self._device,
            **options,
        )

    def _feed(self, stream: Any) -> None:
        stream.add_frames(self._frames)

    def to_file(
        self,
        dest: PathLike,
        *,
        codec: Optional[str] = None,
        pixel_format: Optional[str] = None,
        crf: Optional[Union[int, float]] = None,
        preset: Optional[Union[str, int]] = None,
        extra_options: Optional[Dict[str, Any]] = None,
    ) -> None:
        """Encodes into a file; its extension picks the container.

        Options as for :meth:`Encoder.add_video`. They are all checked before
        the file is created; if encoding fails part-way the file is removed.

        Raises:
            ValueError: for an unknown extension, codec, pixel format or
                option, or an out-of-range value.
        """
        self._to_file(dest, _options(codec, pixel_format, crf, preset, extra_options))

    def to_tensor(
        self,
        format: str,
        *,
        codec: Optional[str] = None,
        pixel_format: Optional[str] = None,
        crf: Optional[Union[int, float]] = None,
        preset: Optional[Union[str, int]] = None,
        extra_options: Optional[Dict[str, Any]] = None,
    ) -> Any:
        """Encodes into memory and returns the bytes as a 1-D uint8 tensor
        (a NumPy array without torch).

        Args:
            format: the container, e.g. "mp4", "mkv", "webm", "avi".
        """
        return self._to_tensor(format, _options(codec, pixel_format, crf, preset, extra_options))

    def to_file_like(
        self,
        file_like: Any,
        format: str,
        *,
        codec: Optional[str] = None,
        pixel_format: Optional[str] = None,
        crf: Optional[Union[int, float]] = None,
        preset: Optional[Union[str, int]] = None,
        extra_options: Optional[Dict[str, Any]] = None,
    ) -> None:
        """Encodes into a binary file-like object with ``write`` and ``seek``.

        Exceptions raised by its ``write`` or ``seek`` reach the caller
        unchanged.
        """
        options = _options(codec, pixel_format, crf, preset, extra_options)
        self._to_file_like(file_like, format, options)


def _options(
    codec: Optional[str],
    pixel_format: Optional[str],
    crf: Optional[Union[int, float]],
    preset: Optional[Union[str, int]],
    extra_options: Optional[Dict[str, Any]],
) -> Dict[str, Any]:
    return dict(
        codec=codec, pixel_format=pixel_format, crf=crf, preset=preset, extra_options=extra_options
    )

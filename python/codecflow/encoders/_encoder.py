"""Encoder: several video and audio streams, encoded incrementally into one container."""

from __future__ import annotations

import io
import numbers
import os
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from codecflow import _backend, _core
from codecflow._device import CpuFallbackStatus, DeviceLike, resolve_device
from codecflow._checks import (
    check_int,
    check_optional_int,
    check_str,
    type_name,
)
from codecflow._errors import CodecflowError, InvalidArgumentError, InvalidTypeError
from codecflow._fork import track

PathLike = Union[str, "os.PathLike[str]"]


def _check_frame_rate(frame_rate: Any) -> Tuple[int, int]:
    """The exact (num, den) frames per second a stream gets for ``frame_rate``.

    A ``fractions.Fraction`` (or another ``numbers.Rational``) is used as
    given; a float within 0.001 of N * 1000 / 1001 becomes exactly that, any
    other the nearest fraction with a denominator up to 1,001,000. The core
    raises ValueError outside (0, 1000].
    """
    if isinstance(frame_rate, bool) or not isinstance(frame_rate, numbers.Real):
        raise InvalidArgumentError(f"frame_rate must be a number > 0, got {frame_rate!r}")
    if isinstance(frame_rate, numbers.Rational) and not isinstance(frame_rate, numbers.Integral):
        return _core.exact_frame_rate_fraction(
            int(frame_rate.numerator), int(frame_rate.denominator)
        )
    return _core.exact_frame_rate(float(frame_rate))


def _option_text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _video_options(
    codec: Optional[str],
    pixel_format: Optional[str],
    crf: Optional[Union[int, float]],
    preset: Optional[Union[str, int]],
    extra_options: Optional[Dict[str, Any]],
) -> Dict[str, Any]:
    """Checks the types of the video options and converts them for the core."""
    check_str("codec", codec, allow_none=True)
    check_str("pixel_format", pixel_format, allow_none=True)
    if crf is not None and (isinstance(crf, bool) or not isinstance(crf, numbers.Real)):
        raise InvalidArgumentError(f"crf must be an int or a float, got {crf!r}")
    if preset is not None and (isinstance(preset, bool) or not isinstance(preset, (str, int))):
        raise InvalidArgumentError(f"preset must be a str or an int, got {preset!r}")
    extras: List[tuple] = []
    if extra_options is not None:
        if not isinstance(extra_options, dict):
            raise InvalidArgumentError(
                f"extra_options must be a dict, got {type(extra_options).__name__}"
            )
        for key, value in extra_options.items():
            if not isinstance(key, str):
                raise InvalidArgumentError(f"extra_options keys must be str, got {key!r}")
            extras.append((key, _option_text(value)))
    return dict(
        codec=codec or "",
        pixel_format=pixel_format or "",
        crf=None if crf is None else float(crf),
        preset=None if preset is None else str(preset),
        extra_options=extras,
    )


def _check_file_like(dest: Any) -> None:
    if isinstance(dest, io.TextIOBase) or "b" not in getattr(dest, "mode", "b"):
        raise InvalidTypeError("the file object is in text mode; open it in binary mode ('wb')")
    for method in ("write", "seek"):
        if not callable(getattr(dest, method, None)):
            raise InvalidTypeError(
                f"the file-like object must implement a {method} method: expected a binary "
                f"file-like object with write() and seek(), got {type(dest).__name__}"
            )


def _check_format(format: Any) -> str:
    if not isinstance(format, str) or not format:
        raise InvalidArgumentError(f"format must be a non-empty str such as 'mp4', got {format!r}")
    return format


def _key_frame_mask(key_frames: Any, num_frames: int) -> List[bool]:
    """A bool per frame from a bool mask or a list of frame indices."""
    if _backend.is_array(key_frames):
        if _backend.dtype_name(key_frames.dtype) == "bool":
            mask = key_frames.reshape(-1).tolist()
            if key_frames.ndim != 1 or len(mask) != num_frames:
                raise InvalidArgumentError(
                    f"a key_frames mask must be 1-D with one entry per frame ({num_frames}), "
                    f"got shape {tuple(key_frames.shape)}"
                )
            return [bool(v) for v in mask]
        key_frames = key_frames.tolist()
    values = list(key_frames)
    if values and all(isinstance(v, bool) for v in values):
        if len(values) != num_frames:
            raise InvalidArgumentError(
                f"a key_frames mask needs one bool per frame ({num_frames}), got {len(values)}"
            )
        return values
    mask = [False] * num_frames
    for v in values:
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise InvalidArgumentError(
                f"key_frames must be a bool mask or a list of int indices, got {v!r}"
            )
        if not 0 <= v < num_frames:
            raise InvalidArgumentError(f"key frame index {v} is outside [0, {num_frames})")
        mask[int(v)] = True
    return mask


def check_rgb_frames(frames: Any) -> Any:
    """``frames`` as the backend's array (anything with ``__dlpack__`` is
    taken); raises ValueError unless it is a uint8 ``(N, 3, H, W)`` array."""
    frames = _backend.as_input(frames)
    if not _backend.is_array(frames):
        raise InvalidArgumentError(f"Expected frames to be a Tensor, got {type(frames).__name__}")
    if _backend.dtype_name(frames.dtype) != "uint8":
        raise InvalidArgumentError(f"Expected uint8 frames, got {frames.dtype}")
    if frames.ndim != 4:
        raise InvalidArgumentError(f"Expected 4-D frames (N, C, H, W), got {frames.ndim}-D")
    if frames.shape[1] != 3:
        raise InvalidArgumentError(
            f"Expected 3 (RGB) channels in dimension 1, got {frames.shape[1]}"
        )
    return frames


def as_channel_samples(samples: Any) -> Any:
    """``samples`` as the backend's float32 ``(C, N)`` array (a 1-D array is
    one channel; anything with ``__dlpack__`` is taken); raises ValueError
    for another type, dtype or number of dims."""
    samples = _backend.as_input(samples)
    if not _backend.is_array(samples):
        raise InvalidArgumentError(f"Expected samples to be a Tensor, got {type(samples).__name__}")
    if _backend.dtype_name(samples.dtype) != "float32":
        raise InvalidArgumentError(f"Expected float32 samples, got {samples.dtype}")
    if samples.ndim == 1:
        samples = _backend.unsqueeze0(samples)
    if samples.ndim != 2:
        raise InvalidArgumentError(f"Expected 1-D or 2-D samples (C, N), got {samples.ndim}-D")
    return samples


class VideoStream:
    """A video stream of an :class:`Encoder`; made by :meth:`Encoder.add_video`.

    Attributes:
        cpu_fallback (CpuFallbackStatus): whether frames given on a CUDA device
            were encoded by a CPU encoder. CPU streams never fall back.
    """

    def __init__(
        self, encoder: "Encoder", index: int, height: int, width: int, device: Any
    ) -> None:
        self._encoder = encoder
        self._index = index
        self._height = height
        self._width = width
        self._device = device
        self.cpu_fallback = CpuFallbackStatus()
        if device.type == "cpu":
            self.cpu_fallback._set(False, "no fallback: encoding on the CPU was asked for")
        else:
            self.cpu_fallback._reason = "unknown until the encoder is opened"

    def add_frames(
        self,
        frames: Any,
        *,
        pts_seconds: Optional[Union[Sequence[float], Any]] = None,
        key_frames: Optional[Union[Sequence[bool], Sequence[int], Any]] = None,
    ) -> None:
        """Encodes frames: uint8 RGB, shape ``(N, 3, height, width)``.

        Args:
            frames: a uint8 tensor ``(N, 3, H, W)`` on the stream's device, a
                NumPy array or anything else with ``__dlpack__``. A
                channels-last view (as decoders return) is read without a copy.
            pts_seconds: **[extra]** one presentation time per frame, strictly
                increasing (also across calls), for variable frame rate. By
                default frame ``k`` of the stream is shown at ``k / frame_rate``.
                Times are rounded to the stream's time base (a thousandth of a
                frame period in mp4/mov/mkv/webm, a frame period in avi).
            key_frames: **[extra]** frames to encode as key frames: a bool mask
                with one entry per frame, or a list of indices into ``frames``.

        With ``max_queued_frames > 0`` the frames are converted (copied) before
        this returns, so the caller may reuse ``frames``; it blocks while the
        queue is full. The GIL is released while converting and encoding.

        Raises:
            ValueError: for frames of the wrong type, dtype, shape or device,
                bad ``pts_seconds`` or ``key_frames``.
            RuntimeError: when the encoder is not open, or encoding failed (an
                error of the background thread is re-raised here).
        """
        frames = check_rgb_frames(frames)
        if tuple(frames.shape[2:]) != (self._height, self._width):
            raise InvalidArgumentError(
                f"Expected frames of height x width {self._height}x{self._width}, got "
                f"{frames.shape[2]}x{frames.shape[3]}"
            )
        if _backend.device_type(frames) != self._device.type:
            raise InvalidArgumentError(
                f"frames are on {_backend.device_of(frames)} but the stream encodes on "
                f"{self._device}"
            )
        num_frames = frames.shape[0]
        pts: List[float] = []
        if pts_seconds is not None:
            if _backend.is_array(pts_seconds):
                pts_seconds = pts_seconds.reshape(-1).tolist()
            pts = [float(p) for p in pts_seconds]
            if len(pts) != num_frames:
                raise InvalidArgumentError(
                    f"pts_seconds needs one time per frame ({num_frames}), got {len(pts)}"
                )
        keys: List[bool] = []
        if key_frames is not None:
            keys = _key_frame_mask(key_frames, num_frames)
        if num_frames == 0:
            return
        if _backend.device_type(frames) == "cuda":
            # The core's kernels run on the legacy default stream: what torch
            # queued for these frames must be done first.
            _backend.torch().cuda.current_stream(frames.device).synchronize()
        stride = _backend.strides(frames)
        channels_last = stride[1] == 1 and stride[3] == 3
        if not (channels_last or stride[3] == 1) or stride[2] <= 0:
            frames = _backend.contiguous(frames)
            channels_last = False
        if channels_last:
            frames = _backend.permute(frames, 0, 2, 3, 1)
        self._encoder._core.add_frames(
            self._index,
            _backend.for_core(frames),
            channels_last=channels_last,
            pts_seconds=pts,
            key_frames=keys,
        )


class AudioStream:
    """An audio stream of an :class:`Encoder`; made by :meth:`Encoder.add_audio`."""

    def __init__(self, encoder: "Encoder", index: int, num_channels: int) -> None:
        self._encoder = encoder
        self._index = index
        self._num_channels = num_channels

    def add_samples(self, samples: Any) -> None:
        """Encodes float32 samples ``(num_channels, N)``, in [-1, 1].

        Samples are resampled and remixed as the stream was configured and cut
        into the codec's frame size; what does not fill a frame waits for the
        next call or :meth:`Encoder.close`.

        Raises:
            ValueError: for samples of the wrong type, dtype, shape (they must
                be 2-D, as in TorchCodec) or device, or NaN or infinite
                samples (naming the first); also a ``RuntimeError``.
            RuntimeError: when the encoder is not open or encoding failed.
        """
        samples = _backend.as_input(samples)
        if _backend.is_array(samples) and samples.ndim != 2:
            raise InvalidArgumentError(
                f"samples must have 2 dimensions (num_channels, num_samples), got "
                f"{samples.ndim}-D of shape {tuple(samples.shape)}"
            )
        samples = as_channel_samples(samples)
        if samples.shape[0] != self._num_channels:
            raise InvalidArgumentError(
                f"Expected {self._num_channels} channels in dimension 0, got {samples.shape[0]}"
            )
        if _backend.device_type(samples) != "cpu":
            raise InvalidArgumentError(
                f"Expected samples on the CPU, got {_backend.device_of(samples)}"
            )
        if samples.shape[1] == 0:
            return
        if _backend.strides(samples)[1] != 1:
            samples = _backend.contiguous(samples)
        self._encoder._core.add_samples(self._index, _backend.for_core(samples))


class Encoder:
    """Encodes video and audio streams, added incrementally, into one container.

    Add streams with :meth:`add_video` / :meth:`add_audio`, then open the
    output with :meth:`open_file` or :meth:`open_file_like`, feed the streams
    with :meth:`VideoStream.add_frames` / :meth:`AudioStream.add_samples`,
    and :meth:`close` (or use the encoder as a context manager: an exception
    inside the ``with`` block still finalizes what was added, so the file
    decodes). Packets of all streams are interleaved by time.

    Args:
        max_queued_frames: **[extra]** 0 (default) encodes on the caller's
            thread, as TorchCodec does. N > 0 encodes on a background thread
            behind a queue of at most N frames (audio frames count too):
            ``add_frames`` copies the frames before returning and blocks while
            the queue is full; an error on the encoding thread is re-raised by
            the next ``add_frames``, ``add_samples``, ``flush`` or ``close``.

    Every option is checked by ``open_file`` / ``open_file_like`` before any
    output exists: unknown codecs, pixel formats and options, and
    out-of-range values, raise ``ValueError`` naming the allowed values, and
    no file is created. If encoding fails part-way, ``close`` discards the
    output (a file written by ``open_file`` is removed).

    Thread safety: one encoder may be used from several threads; its calls
    are serialized. The GIL is released while converting and encoding.
    """

    def __init__(self, *, max_queued_frames: int = 0) -> None:
        # The type here, the range in the core (Note [One owner per check]).
        max_queued_frames = check_int("max_queued_frames", max_queued_frames)
        self._core = track(_core.Encoder(max_queued_frames))
        self._streams: List[Union[VideoStream, AudioStream]] = []
        self._opened = False

    def _check_not_open(self, what: str) -> None:
        if self._opened:
            raise CodecflowError(f"{what} must be called before open_file or open_file_like")

    def add_video(
        self,
        *,
        height: int,
        width: int,
        frame_rate: float,
        device: DeviceLike = None,
        codec: Optional[str] = None,
        pixel_format: Optional[str] = None,
        crf: Optional[Union[int, float]] = None,
        preset: Optional[Union[str, int]] = None,
        extra_options: Optional[Dict[str, Any]] = None,
    ) -> VideoStream:
        """Adds a video stream; call before opening.

        Args:
            height, width: size of the frames that will be added.
            frame_rate: frames per second of the input, and of the output, in
                (0, 1000]: a float within 0.001 of N * 1000 / 1001 (23.976,
                29.97, 59.94) is exactly that, another float the nearest
                fraction with a denominator up to 1,001,000, and a
                ``fractions.Fraction`` **[extra]** is used as given.
            device: where frames will be (None: torch's default device). CUDA
                frames go to NVENC (h264_nvenc, hevc_nvenc) for ``codec=None``,
                "h264" or "hevc" where it opens, else to that codec's CPU
                encoder (``VideoStream.cpu_fallback`` says which and why); an
                explicit ``*_nvenc`` codec never falls back. See docs/cuda.md.
            codec: an encoder ("libx264") or codec ("h264", "hevc") name; None
                picks the container's default (mp4/mov/mkv: H.264, webm: VP9).
            pixel_format: e.g. "yuv420p" (the default where the codec has it),
                "yuv444p", or a codec's own such as ffv1's "bgr0" (lossless RGB).
            crf: constant rate factor, within the range of the encoder's own
                option (-1 and up for libx264/libx265, -1-63 for libvpx-vp9);
                ignored by encoders without one (mpeg4, flv), as the ffmpeg
                CLI does.
            preset: speed/size trade-off, e.g. "ultrafast" ... "veryslow" for
                libx264/libx265, an int for libsvtav1; ignored by encoders
                without one.
            extra_options: more options, e.g. ``{"g": 50, "bf": 0, "tune":
                "film", "threads": 4}``. A key the container knows (``movflags``,
                ``frag_duration``, ``flush_packets``) goes to the muxer, the
                rest to the encoder.

        Raises:
            ValueError: for a bad size, a frame rate outside (0, 1000] or an
                option of the wrong type.
            RuntimeError: for a CUDA device where the build or machine has no
                CUDA; an explicit hardware encoder that cannot open raises it
                when the encoder is opened, before any output exists.
        """
        self._check_not_open("add_video")
        # Types here, values in the core (Note [One owner per check]).
        height = check_int("height", height)
        width = check_int("width", width)
        num, den = _check_frame_rate(frame_rate)
        resolved = resolve_device(device)
        options = _video_options(codec, pixel_format, crf, preset, extra_options)
        index = self._core.add_video(
            height=height,
            width=width,
            frame_rate=num / den,
            frame_rate_fraction=(num, den),
            cuda_device=-1 if resolved.type == "cpu" else resolved.index,
            **options,
        )
        stream = VideoStream(self, index, height, width, resolved)
        stream._described = {"codec": codec, "frame_rate": num / den}  # for its repr
        self._streams.append(stream)
        return stream

    def add_audio(
        self,
        *,
        sample_rate: int,
        num_channels: int,
        bit_rate: Optional[int] = None,
        out_num_channels: Optional[int] = None,
        out_sample_rate: Optional[int] = None,
        codec: Optional[str] = None,
    ) -> AudioStream:
        """Adds an audio stream; call before opening.

        Args:
            sample_rate, num_channels: of the samples that will be added.
            bit_rate: output bit rate (the encoder may round it to one it
                supports); None lets FFmpeg choose. A negative one raises
                ValueError (also a RuntimeError) when the encoder is opened.
            out_num_channels, out_sample_rate: of the encoded output (default:
                the input's); converted with swresample. Channels in and out
                are 1 to 8, rates 1 to 768000 Hz.
            codec: **[extra]** an encoder name such as "pcm_f32le" (float WAV)
                or "libopus"; None picks the container's default (wav: 16-bit
                PCM, mp3: libmp3lame, flac, m4a/aac: aac, ogg: libvorbis, opus:
                libopus).

        Raises:
            ValueError: for values that are not ints, or outside their ranges.
        """
        self._check_not_open("add_audio")
        sample_rate = check_int("sample_rate", sample_rate)
        num_channels = check_int("num_channels", num_channels)
        bit_rate = check_optional_int("bit_rate", bit_rate)
        # Their values are the core's to check (InvalidArgumentError naming them).
        out_num_channels = check_optional_int("out_num_channels", out_num_channels)
        out_sample_rate = check_optional_int("out_sample_rate", out_sample_rate)
        check_str("codec", codec, allow_none=True)
        index = self._core.add_audio(
            sample_rate=sample_rate,
            num_channels=num_channels,
            bit_rate=bit_rate,
            out_num_channels=out_num_channels,
            out_sample_rate=out_sample_rate,
            codec=codec or "",
        )
        stream = AudioStream(self, index, num_channels)
        stream._described = {"codec": codec, "sample_rate": sample_rate}  # for its repr
        self._streams.append(stream)
        return stream

    def open_file(self, dest: PathLike) -> "Encoder":
        """Opens a file for writing; the extension picks the container. Returns self.

        Raises:
            ValueError: for an unknown extension or a bad stream option (no
                file is created then).
            OSError: when the file cannot be created.
        """
        self._check_not_open("open_file")
        if not isinstance(dest, (str, os.PathLike)):
            raise InvalidTypeError(f"dest must be a str or os.PathLike, got {type_name(dest)}")
        self._core.open_file(os.fspath(dest))
        self._opened = True
        self._note_fallbacks()
        return self

    def open_file_like(self, dest: Any, *, format: str) -> "Encoder":
        """Opens a binary file-like object (``write`` and ``seek``) for writing. Returns self.

        Args:
            dest: e.g. ``io.BytesIO()`` or a file opened with "wb".
            format: the container, e.g. "mp4", "mkv", "webm", "wav", "mp3".

        Exceptions raised by ``dest.write`` or ``dest.seek`` reach the caller
        unchanged.

        Raises:
            ValueError: for an unknown format or a bad stream option.
            TypeError: for an object without write/seek, or a text-mode file.
        """
        self._check_not_open("open_file_like")
        _check_file_like(dest)
        self._core.open_file_like(dest, _check_format(format))
        self._opened = True
        self._note_fallbacks()
        return self

    def _open_memory(self, format: str) -> "_core.MemorySink":
        self._check_not_open("to_tensor")
        sink = _core.MemorySink()
        self._core.open_sink(sink, _check_format(format))
        self._opened = True
        self._note_fallbacks()
        return sink

    def _note_fallbacks(self) -> None:
        # Which encoder took each video stream's frames is decided when the
        # encoder opens (device/DeviceBackend.cpp, Note [Hardware encoders]).
        for stream in self._streams:
            if isinstance(stream, VideoStream):
                info = self._core.stream_info(stream._index)
                stream.cpu_fallback._set(info["cpu_fallback"], info["cpu_fallback_reason"])

    def flush(self) -> None:
        """**[extra]** Waits until every queued frame is encoded and written.

        The output stays open for more frames. Frames an encoder holds back
        for its own look-ahead are written by :meth:`close`.
        """
        self._core.flush()

    @property
    def queued_frames(self) -> int:
        """**[extra]** Frames waiting in the background queue now (0 when synchronous)."""
        return self._core.queued_frames

    def close(self) -> None:
        """Drains the encoders, writes the trailer and closes the output. Idempotent.

        After an encoding error it discards the output instead, and re-raises
        an error of the background thread that was not reported yet.
        """
        self._core.close()

    def _abort(self) -> None:
        self._core.abort()

    def __enter__(self) -> "Encoder":
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.close()
            return
        try:
            self.close()
        except Exception:
            pass  # the exception of the block is the one to report

"""VideoDecoder: frames of a video stream as tensors."""

from __future__ import annotations

import functools
import json
from typing import Any, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from codecflow import _backend, _core
from codecflow._device import CpuFallbackStatus, DeviceLike, resolve_device
from codecflow._checks import (
    check_choice,
    check_int,
    check_optional_int,
    check_seconds,
)
from codecflow._errors import InvalidArgumentError, InvalidTypeError, OutOfRangeError
from codecflow._fork import ReopensCore
from codecflow._frame import Frame, FrameBatch
from codecflow._source import SourceLike, make_source
from codecflow._worker_threads import limit_in_dataloader_worker
from codecflow._index_cache import FrameIndex
from codecflow.decoders import _extras
from codecflow.decoders._cuda import core_device_kwargs, update_cpu_fallback
from codecflow.decoders._metadata import VideoStreamMetadata, video_metadata_from_core
from codecflow.transforms._transforms import make_steps

_DIMENSION_ORDERS = ("NCHW", "NHWC")
_BOUND_LIMIT = 2**62
_SEEK_MODES = ("exact", "approximate")


class VideoDecoder(ReopensCore):
    """Decodes the frames of one video stream into uint8 RGB tensors (NumPy
    arrays where torch is not installed).

    Args:
        source: a path (``str`` or ``pathlib.Path``), ``bytes``, a 1-D uint8
            tensor of encoded bytes (aliased, not copied) or a binary
            file-like object with ``read`` and ``seek`` (read on demand).
        stream_index: the absolute index of the video stream; None picks
            FFmpeg's best video stream.
        dimension_order: ``"NCHW"`` (default) or ``"NHWC"``. NCHW output is a
            view of an NHWC buffer.
        num_ffmpeg_threads: decoding threads, 0 to 64; 0 lets FFmpeg choose.
        device: None (torch's default device), ``"cpu"``, ``"cuda"``,
            ``"cuda:N"`` or a ``torch.device``. Without torch: the CPU only.
        seek_mode: ``"exact"`` scans the packets once at construction (no
            decoding) and returns exactly the i-th frame in any access order;
            ``"approximate"`` trusts the header and maps indices to times with
            its average frame rate. A file cut short counts only the frames
            that decode before the cut, in both modes (approximate mode
            scans a file whose container says it is longer than it is).
        transforms: ``codecflow.transforms`` objects (or torchvision v2
            Resize/CenterCrop/RandomCrop), applied in order while decoding.
        output_dtype: ``torch.uint8``, ``torch.float32`` (values in [0, 1]),
            the same as NumPy dtypes or names (``"uint8"``, ``np.float32``) or
            ``"auto"`` (uint8 for 8-bit sources, float32 for deeper ones).
        custom_frame_mappings: ffprobe-style JSON (str, bytes or file-like)
            ``{"frames": [{"pts", "duration", "key_frame"}, ...]}`` used
            instead of the scan.
        index_cache: [extra] a directory that stores exact-mode indices per
            file and reuses them (docs/index_cache.md); None uses
            ``codecflow.set_index_cache``'s, False none.
        frame_index: [extra] a ``codecflow.FrameIndex`` (or its bytes) from
            ``frame_index()``, used instead of the scan.
        ffmpeg_options: [extra] FFmpeg options by name, each passed to the
            demuxer/protocol or the decoder, whichever knows it (e.g.
            ``{"probesize": 32768}``, ``{"skip_loop_filter": "all"}``).

    Frames are bit-exact with ``ffmpeg -i SOURCE -pix_fmt rgb24`` on the CPU,
    upright as the ffmpeg CLI shows rotated videos.

    Thread safety: a decoder may be shared between threads; its calls are
    serialized. Decoding releases the GIL, so decoders used from different
    threads run in parallel.

    Raises:
        FileNotFoundError, IsADirectoryError: for a bad path.
        ValueError: for empty, non-media or corrupt data, a stream index that
            is not a video stream, a bad option, an FFmpeg option neither the
            demuxer nor the decoder knows (named), or an invalid frame_index.
        TypeError: for an unsupported source type or a text-mode file.
        RuntimeError: for a CUDA device where CUDA is unavailable.
    """

    def __init__(
        self,
        source: SourceLike,
        *,
        stream_index: Optional[int] = None,
        dimension_order: str = "NCHW",
        num_ffmpeg_threads: int = 1,
        device: DeviceLike = None,
        seek_mode: str = "exact",
        transforms: Optional[Sequence[Any]] = None,
        output_dtype: Any = "uint8",
        custom_frame_mappings: Any = None,
        index_cache: Any = None,
        frame_index: Any = None,
        ffmpeg_options: Optional[Mapping[str, Any]] = None,
    ):
        check_choice("dimension_order", dimension_order, _DIMENSION_ORDERS)
        check_choice("seek_mode", seek_mode, _SEEK_MODES)
        limit_in_dataloader_worker()
        # Types only: the core checks the ranges (Note [One owner per check]).
        num_ffmpeg_threads = check_int("num_ffmpeg_threads", num_ffmpeg_threads)
        stream_index = check_optional_int("stream_index", stream_index)
        auto = isinstance(output_dtype, str) and output_dtype == "auto"
        dtype_name = "auto" if auto else _backend.dtype_name(output_dtype)
        if dtype_name not in ("uint8", "float32", "auto"):
            raise InvalidArgumentError(
                f"invalid output_dtype {output_dtype!r}; allowed: torch.uint8, torch.float32, "
                "'auto' (or NumPy's uint8 and float32)"
            )
        custom_frames = None
        if custom_frame_mappings is not None:
            if seek_mode == "approximate":
                raise InvalidArgumentError(
                    "custom_frame_mappings replaces the exact-mode scan and cannot be combined "
                    "with seek_mode='approximate'"
                )
            custom_frames = _parse_frame_mappings(custom_frame_mappings)
        self._device = resolve_device(device)
        self._dimension_order = dimension_order
        self._source = source
        core_source = make_source(source)
        index = -1 if stream_index is None else stream_index
        exact = seek_mode == "exact"

        # The transforms need the displayed frame size (crops check their
        # fit; RandomCrop draws its position): the core calls back with it
        # once it has chosen the stream, and the steps are kept for reopening.
        steps: List[_core.TransformStep] = []
        transforms_for = None
        if transforms:

            def transforms_for(height: int, width: int) -> List[_core.TransformStep]:
                steps[:] = make_steps(list(transforms), height, width)[0]
                return steps

        options = _extras.ffmpeg_option_strings(ffmpeg_options)
        # The core decoder's arguments, but for its source and frame list:
        # kept for reopening (pickling, forked processes; ReopensCore).
        self._open_args = dict(
            stream_index=stream_index,
            num_threads=num_ffmpeg_threads,
            exact=exact,
            transforms=steps,
            output_dtype=dtype_name,
            ffmpeg_options=options,
            **core_device_kwargs(self._device),  # the backend chosen now
        )
        # The callback fills `steps` in place, so a reopened decoder gets the
        # resolved steps and needs no callback.
        opener = functools.partial(
            _core.VideoDecoder, core_source, custom_frames=custom_frames,
            transforms_for=transforms_for, **self._open_args
        )
        self._decoder, self._index_origin = _extras.open_core(
            opener, source, exact=exact, custom=custom_frames is not None,
            index_cache=index_cache, frame_index=frame_index,
            extra=(index, sorted(options.items())),
        )
        self.stream_index: int = self._decoder.stream_index
        self.metadata: VideoStreamMetadata = video_metadata_from_core(self._decoder.metadata)
        self.cpu_fallback = CpuFallbackStatus()
        update_cpu_fallback(self.cpu_fallback, self._decoder, self._device)  # known on the CPU
        self._num_frames = self._decoder.num_frames
        # A reopened decoder opens the stream and mode this one got.
        self._open_args.update(stream_index=self.stream_index, exact=self._decoder.exact)
        self._index: Optional[List[Tuple[int, int, bool]]] = None

    # -- pickling and fork safety ------------------------------------------
    # The core decoder is opened by the process that uses it (ReopensCore):
    # a decoder pickles as its source, options and frame index, and the
    # unpickled copy reopens on first use from that index without scanning
    # again; a forked child (DataLoader workers) notices the new pid and
    # reopens the same way. A file-like source is reopened from the child's
    # copy of the object; an OS-level file shares its offset with the parent,
    # so give workers paths.

    def _frame_index(self) -> Optional[List[Tuple[int, int, bool]]]:
        if self._index is None and self._open_args["exact"]:
            core = self._core_decoder  # immutable after opening: readable after a fork
            self._index = list(
                zip(core.index_pts(), core.index_durations(), core.index_key_frames())
            )
        return self._index

    def _open_core(self) -> "_core.VideoDecoder":
        limit_in_dataloader_worker()  # reopened in a forked worker
        return _core.VideoDecoder(
            make_source(self._source), custom_frames=self._frame_index(), **self._open_args
        )

    def __getstate__(self) -> dict:
        """Source, options and frame index; the core decoder is not pickled.

        Raises:
            TypeError: for a decoder over a file-like object, which cannot be
                pickled (pass a path or bytes instead).
        """
        self._frame_index()
        return super().__getstate__()

    # -- output ----------------------------------------------------------

    def _to_batch(self, result: Tuple[Any, List[float], List[float]]) -> FrameBatch:
        capsule, pts, durations = result
        data = _backend.from_dlpack(capsule)
        if self._dimension_order == "NCHW":
            data = _backend.permute(data, 0, 3, 1, 2)
        if self._device.type != "cpu":
            data = data.to(self._device)
        update_cpu_fallback(self.cpu_fallback, self._decoder, self._device)
        return FrameBatch(
            data,
            _backend.float64_array(pts),
            _backend.float64_array(durations),
        )

    def _frames_at(self, indices: List[int]) -> FrameBatch:
        return self._to_batch(self._decoder.frames_at(indices))

    def _frames_played_at(self, seconds: List[float]) -> FrameBatch:
        return self._to_batch(self._decoder.frames_played_at(seconds))

    def _normalize_index(self, index: Any) -> int:
        i = check_int("a frame index", index, error=InvalidTypeError)
        n = self._num_frames
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise OutOfRangeError(
                f"frame index {index} is out of range for a video of {n} frames "
                f"(valid: {-n} to {n - 1})"
            )
        return i

    # -- TorchCodec API --------------------------------------------------

    def __len__(self) -> int:
        return self._num_frames

    def __iter__(self) -> Iterator[Any]:
        for i in range(self._num_frames):
            yield self[i]

    def __getitem__(self, key: Union[int, slice]) -> Any:
        """``decoder[i]`` (3-D) or ``decoder[a:b:c]`` (4-D); negative indices wrap."""
        if isinstance(key, slice):
            return self._frames_at(list(range(*key.indices(self._num_frames)))).data
        if isinstance(key, (bool, float)) or not hasattr(key, "__index__"):
            raise InvalidTypeError(f"decoder keys must be ints or slices, got {type(key).__name__}")
        return self._frames_at([self._normalize_index(key)]).data[0]

    @property
    def key_frame_indices(self) -> Any:
        """[extra] The indices of the key frames, an int64 tensor, ascending.

        Only shown frames count: a key frame that an edit list discards is
        not listed, and the shown frames decoded from it are not key frames.

        Raises:
            RuntimeError: in ``seek_mode="approximate"``, which has no index.
        """
        return _backend.int64_array(self._decoder.key_frame_indices())

    def _get_key_frame_indices(self) -> Any:
        """The indices of the key frames (int64 tensor), as TorchCodec has it."""
        return self.key_frame_indices

    @property
    def key_frame_pts_seconds(self) -> Any:
        """[extra] The pts (seconds, float64) of the key frames of
        ``key_frame_indices``, equal to those frames' ``pts_seconds``.

        Raises:
            RuntimeError: in ``seek_mode="approximate"``, which has no index.
        """
        core = self._decoder
        num, den = core.time_base
        pts = core.index_pts()
        return _backend.float64_array([pts[i] * (num / den) for i in core.key_frame_indices()])

    def get_key_frames(self) -> FrameBatch:
        """[extra] The key frames (those of ``key_frame_indices``), decoding
        nothing else (FFmpeg's ``skip_frame=nokey``): equal to
        ``get_frames_at(key_frame_indices)``, many times faster on long GOPs.

        Raises:
            RuntimeError: in ``seek_mode="approximate"``, which has no index.
        """
        return self._to_batch(self._decoder.key_frames())

    def frame_index(self) -> FrameIndex:
        """[extra] The exact-mode frame index, for ``VideoDecoder(...,
        frame_index=...)`` (see docs/index_cache.md).

        Raises:
            RuntimeError: in ``seek_mode="approximate"``, which has no index.
        """
        return FrameIndex(self._decoder.saved_index())

    def __repr__(self) -> str:
        return _extras.decoder_repr(self)

    def get_frame_at(self, index: int) -> Frame:
        """The frame at ``index`` (negative indices wrap).

        Raises:
            IndexError: for an index outside the video.
        """
        return _single(self._frames_at([self._normalize_index(index)]))

    def get_frames_at(self, indices: Union[Sequence[int], Any]) -> FrameBatch:
        """The frames at ``indices`` (a list of ints, or an int or float
        tensor, whose values are truncated to ints), in that order; duplicates
        allowed, each distinct frame decoded once.

        Raises:
            IndexError: for an index outside the video.
            RuntimeError: for a list holding something other than ints (a
                ``ValueError`` too).
        """
        if _backend.is_array(indices):
            values = _as_list(indices, "indices", "int64")
        else:
            values = _as_list(indices, "indices")
            for value in values:
                if isinstance(value, bool) or not hasattr(value, "__index__"):
                    raise InvalidArgumentError(
                        f"frame indices must be integers, got {value!r} "
                        f"({type(value).__name__})"
                    )
        return self._frames_at([self._normalize_index(i) for i in values])

    def get_frames_in_range(
        self, start: int, stop: Optional[int] = None, step: int = 1
    ) -> FrameBatch:
        """Frames ``start, start + step, ...`` before ``stop`` (half-open).

        The bounds are normalized as ``slice(start, stop, step).indices(len)``
        does: negative bounds count from the end, both clamp to the video,
        ``stop=None`` means the end, and ``start >= stop`` (``start`` past the
        end, say) gives an empty batch.

        Raises:
            RuntimeError: for ``step <= 0`` (a ``ValueError`` too).
            TypeError: for bounds that are not ints.
        """
        start = check_int("start", start, error=InvalidTypeError)
        stop = check_optional_int("stop", stop, error=InvalidTypeError)
        step = check_int("step", step, error=InvalidTypeError)

        # Bounds beyond any video clamp alike; keep them in the core's range.
        def clamp(value: int) -> int:
            return max(-_BOUND_LIMIT, min(_BOUND_LIMIT, value))

        bound = None if stop is None else clamp(stop)
        return self._to_batch(self._decoder.frames_in_range(clamp(start), bound, clamp(step)))

    def get_frame_played_at(self, seconds: float) -> Frame:
        """The frame on screen at ``seconds``: pts <= t, before the next pts,
        compared in the stream's time base: a time up to half a microsecond
        (half a tick in finer time bases) before a frame's pts counts as that
        pts, so a pts as ffprobe prints it selects its frame.

        Raises:
            IndexError: for a time before the first frame or at/after the end
                (a ``RuntimeError`` too), in both seek modes.
        """
        return _single(self._frames_played_at([_as_seconds(seconds)]))

    def get_frames_played_at(self, seconds: Union[Sequence[float], Any]) -> FrameBatch:
        """The frames on screen at each time of ``seconds`` (a list of numbers
        or an int or float tensor), in that order.

        Raises:
            RuntimeError: for a time outside the video (an ``IndexError`` too).
            ValueError: for an entry that is not a number.
        """
        if _backend.is_array(seconds):
            values = _as_list(seconds, "seconds", "float64")
        else:
            values = _as_list(seconds, "seconds")
        times = []
        for value in values:
            try:
                times.append(_as_seconds(value))
            except TypeError:
                raise InvalidArgumentError(
                    f"times must be numbers of seconds, got {value!r} ({type(value).__name__})"
                ) from None
        return self._frames_played_at(times)

    def get_frames_played_in_range(
        self, start_seconds: float, stop_seconds: float, fps: Optional[float] = None
    ) -> FrameBatch:
        """The frames on screen during ``[start_seconds, stop_seconds)``.

        That is the frame shown at ``start_seconds`` (even when the range is
        shorter than a frame) and every later frame whose pts is before
        ``stop_seconds``; an empty batch when the two are equal. Times are
        compared in the stream's time base as in ``get_frame_played_at``, so
        a pts as ffprobe prints it selects its frame.

        With ``fps``, returns ``round((stop - start) * fps)`` frames: the
        ``i``-th is the frame on screen at ``start + i / fps``, with that time
        as its pts and ``1 / fps`` as its duration (frames repeat or are
        dropped to reach the rate).

        Raises:
            ValueError: when start > stop, start lies outside the video, stop
                is after its end, fps is not a finite number in (0, 1e6], or
                the range resampled asks for more than 1,000,000 frames (a
                ``RuntimeError`` too).
        """
        # Types only: the core checks NaN, start <= stop and the stream's span.
        start = check_seconds("start_seconds", start_seconds, allow_inf=True, allow_nan=True,
                              error=InvalidTypeError)  # fmt: skip
        stop = check_seconds("stop_seconds", stop_seconds, allow_inf=True, allow_nan=True,
                             error=InvalidTypeError)  # fmt: skip
        rate = None
        if fps is not None:
            if isinstance(fps, bool) or not isinstance(fps, (int, float)):
                raise InvalidArgumentError(f"fps must be a positive number, got {fps!r}")
            try:
                rate = float(fps)
            except OverflowError:
                raise InvalidArgumentError(f"fps is too large: {fps!r}") from None
        return self._to_batch(self._decoder.frames_played_in_range(start, stop, rate))

    def get_all_frames(self, fps: Optional[float] = None) -> FrameBatch:
        """Every frame, or with ``fps`` the frames on screen at
        ``begin + i / fps`` over the whole stream (see
        ``get_frames_played_in_range``).

        Raises:
            ValueError: for fps <= 0, or with fps when the stream's end is
                unknown (approximate mode without a duration).
        """
        if fps is not None:
            end = self._decoder.end_seconds
            if end is None:
                raise InvalidArgumentError(
                    "the end of the stream is unknown (no duration in its header); "
                    "use seek_mode='exact' to resample with fps"
                )
            return self.get_frames_played_in_range(self._decoder.begin_seconds, end, fps=fps)
        return self._frames_at(list(range(self._num_frames)))


SimpleVideoDecoder = VideoDecoder


def _single(batch: FrameBatch) -> Frame:
    return Frame(batch.data[0], float(batch.pts_seconds[0]), float(batch.duration_seconds[0]))


def _as_list(values: Any, name: str, dtype: str = "") -> list:
    if _backend.is_array(values):
        if values.ndim > 1:
            raise InvalidArgumentError(f"{name} must be 1-D, got shape {tuple(values.shape)}")
        return _backend.as_list(values, dtype) if dtype else values.tolist()
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise InvalidTypeError(f"{name} must be a list or 1-D tensor, got {type(values).__name__}")
    return list(values)


def _as_seconds(value: Any) -> float:
    return check_seconds("a time", value, allow_inf=True, error=InvalidTypeError)


def _parse_frame_mappings(mappings: Any) -> List[Tuple[int, int, bool]]:
    """Parses ffprobe ``-show_frames -of json`` output into (pts, duration, key)."""
    if hasattr(mappings, "read"):
        mappings = mappings.read()
    if isinstance(mappings, (bytes, bytearray)):
        mappings = mappings.decode("utf-8")
    if not isinstance(mappings, str):
        raise InvalidArgumentError(
            "custom_frame_mappings must be a JSON str, bytes or a file-like object, got "
            f"{type(mappings).__name__}"
        )
    try:
        parsed = json.loads(mappings)
        frames = parsed["frames"]
        result = []
        for frame in frames:
            pts = frame["pts"] if "pts" in frame else frame["pkt_pts"]
            duration = frame["duration"] if "duration" in frame else frame["pkt_duration"]
            key = frame["key_frame"]
            result.append((int(pts), int(duration), bool(int(key))))
    except (ValueError, KeyError, TypeError) as error:
        raise InvalidArgumentError(
            "custom_frame_mappings must be ffprobe-style JSON {'frames': [{'pts', 'duration', "
            f"'key_frame'}}, ...]}} (pkt_pts/pkt_duration accepted too): {error!r}"
        ) from None
    if not result:
        raise InvalidArgumentError("custom_frame_mappings holds no frames")
    return result

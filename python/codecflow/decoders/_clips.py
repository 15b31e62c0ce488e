"""[extra] Many videos in one call: ``decode_clips`` and ``ClipDataset``."""

from __future__ import annotations

import numbers
from typing import Any, List, Mapping, NamedTuple, Optional, Sequence

from codecflow import _backend, _core
from codecflow._checks import check_choice, check_optional_int, type_name
from codecflow._errors import InvalidArgumentError, InvalidTypeError
from codecflow._frame import FrameBatch
from codecflow._source import SourceLike, make_source
from codecflow.decoders import _extras
from codecflow.transforms._transforms import make_steps

_DIMENSION_ORDERS = ("NCHW", "NHWC")
_SEEK_MODES = ("exact", "approximate")


class Clip(NamedTuple):
    """One item of :func:`decode_clips`: a source and the frames wanted.

    Give ``indices`` (frame indices, as ``VideoDecoder.get_frames_at``) or
    ``seconds`` (times, as ``get_frames_played_at``), not both. A plain
    tuple ``(source, indices)`` or ``(source, indices, transforms)`` is the
    same as ``Clip(source, indices, transforms=transforms)``.
    """

    source: SourceLike
    indices: Optional[Sequence[int]] = None
    transforms: Optional[Sequence[Any]] = None
    seconds: Optional[Sequence[float]] = None


def _as_clip(position: int, item: Any) -> Clip:
    if isinstance(item, Clip):
        return item
    if isinstance(item, tuple) and len(item) in (2, 3):
        return Clip(item[0], item[1], item[2] if len(item) == 3 else None)
    raise InvalidTypeError(
        f"decode_clips item {position}: expected a Clip or a tuple (source, indices) or "
        f"(source, indices, transforms), got {type_name(item)}"
    )


def _request(position: int, clip: Clip, exact: bool, output_dtype: str,
             num_ffmpeg_threads: int, options: Mapping[str, str]) -> "_core.ClipRequest":
    def wanted(values: Any, name: str, integral: bool) -> Optional[list]:
        if values is None:
            return None
        if _backend.is_tensor(values) or _backend.is_array(values):
            return _backend.as_list(values, "int64" if integral else "float64")
        kinds = (numbers.Integral,) if integral else (numbers.Real,)
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or any(
            isinstance(v, bool) or not isinstance(v, kinds) for v in values
        ):
            raise InvalidTypeError(
                f"decode_clips item {position}: {name} must be a sequence of "
                f"{'ints' if integral else 'numbers'}, got {type_name(values)}"
            )
        return [int(v) if integral else float(v) for v in values]

    indices = wanted(clip.indices, "indices", True)
    seconds = wanted(clip.seconds, "seconds", False)
    if (indices is None) == (seconds is None):
        raise InvalidArgumentError(
            f"decode_clips item {position}: give frame indices or seconds, exactly one of them"
        )
    transforms_for = None
    if clip.transforms:
        chosen = list(clip.transforms)

        def transforms_for(height: int, width: int) -> List[_core.TransformStep]:
            return make_steps(chosen, height, width)[0]

    return _core.ClipRequest(
        make_source(clip.source), indices=indices, seconds=seconds,
        num_threads=num_ffmpeg_threads, exact=exact, output_dtype=output_dtype,
        ffmpeg_options=dict(options), transforms_for=transforms_for,
    )


def decode_clips(
    clips: Sequence[Any],
    *,
    seek_mode: str = "exact",
    dimension_order: str = "NCHW",
    device: Any = "cpu",
    num_threads: Optional[int] = None,
    num_ffmpeg_threads: int = 1,
    output_dtype: Any = "uint8",
    ffmpeg_options: Optional[Mapping[str, Any]] = None,
    out: Optional[Sequence[Any]] = None,
    pin_memory: bool = False,
) -> List[FrameBatch]:
    """[extra] The frames of many videos in one call, decoded on native threads.

    Each item opens its own decoder (as ``VideoDecoder(source,
    seek_mode=..., transforms=...)``) and returns what ``get_frames_at``
    (or ``get_frames_played_at`` for a :class:`Clip` with ``seconds``)
    returns for it, bit for bit. The items are spread over up to
    ``num_threads`` threads of codecflow's own (default and at most
    ``codecflow.get_num_threads()``); the GIL is released for the whole
    decode, so other Python threads run meanwhile. Inside one item a single
    decoder context decodes. The threads end before the call returns.

    Args:
        clips: items, each a :class:`Clip` or a tuple ``(source, indices)``
            or ``(source, indices, transforms)``; a source is what
            ``VideoDecoder`` takes (paths and bytes decode in parallel; a
            file-like object is read with the GIL taken for each read).
        seek_mode: ``"exact"`` or ``"approximate"``, for every item.
        dimension_order: ``"NCHW"`` or ``"NHWC"``.
        device: where the batches are returned; decoding is on the CPU and
            other devices get a copy of each batch.
        num_threads: the most threads to use (None: the process-wide limit).
        num_ffmpeg_threads: FFmpeg's threads per decoder (1 by default).
        output_dtype: as ``VideoDecoder``'s.
        ffmpeg_options: as ``VideoDecoder``'s, for every item.
        out: optional tensors, one per item, each of the batch's exact shape
            and dtype (in ``dimension_order``): the frames are copied into
            them and the returned batches hold them.
        pin_memory: return CPU batches in page-locked memory (needs CUDA).

    Returns:
        One ``FrameBatch`` per item, in the items' order.

    Raises:
        ValueError, IndexError, FileNotFoundError, ...: what ``VideoDecoder``
            raises for the failing item (the one earliest in ``clips`` when
            several fail), its message starting with
            ``"decode_clips item N ('SOURCE'): "``; items not started yet are
            then skipped and no thread is left running.
        TypeError: for an item or argument of the wrong type.

    Thread safety: the call shares nothing between items, and may run beside
    any other call.
    """
    check_choice("seek_mode", seek_mode, _SEEK_MODES)
    check_choice("dimension_order", dimension_order, _DIMENSION_ORDERS)
    num_threads = check_optional_int("num_threads", num_threads)
    num_ffmpeg_threads = check_optional_int("num_ffmpeg_threads", num_ffmpeg_threads)
    auto = isinstance(output_dtype, str) and output_dtype == "auto"
    dtype_name = "auto" if auto else _backend.dtype_name(output_dtype)
    if dtype_name not in ("uint8", "float32", "auto"):
        raise InvalidArgumentError(
            f"invalid output_dtype {output_dtype!r}; allowed: torch.uint8, torch.float32, 'auto'"
        )
    if isinstance(clips, (str, bytes)) or not isinstance(clips, Sequence):
        raise InvalidTypeError(f"clips must be a sequence of clips, got {type_name(clips)}")
    if out is not None and len(out) != len(clips):
        raise InvalidArgumentError(
            f"out holds {len(out)} tensors for {len(clips)} clips; give one per clip"
        )
    options = _extras.ffmpeg_option_strings(ffmpeg_options)
    requests = [
        _request(i, _as_clip(i, item), seek_mode == "exact", dtype_name,
                 num_ffmpeg_threads if num_ffmpeg_threads is not None else 1, options)
        for i, item in enumerate(clips)
    ]
    results = _core.decode_clips(requests, 0 if num_threads is None else num_threads)
    torch = _backend.torch()
    batches = []
    for i, (capsule, pts, durations) in enumerate(results):
        data = _backend.from_dlpack(capsule)
        if dimension_order == "NCHW":
            data = _backend.permute(data, 0, 3, 1, 2)
        if out is not None:
            data = _copy_into(i, out[i], data)
        elif pin_memory:
            if torch is None or not torch.cuda.is_available():
                raise InvalidArgumentError("pin_memory=True needs torch with CUDA available")
            data = data.pin_memory()
        if str(device) != "cpu":
            data = data.to(device, non_blocking=pin_memory)
        batches.append(
            FrameBatch(data, _backend.float64_array(pts), _backend.float64_array(durations))
        )
    return batches


def _copy_into(position: int, target: Any, data: Any) -> Any:
    if not (_backend.is_tensor(target) or _backend.is_array(target)):
        raise InvalidTypeError(
            f"out[{position}] must be a tensor, got {type_name(target)}"
        )
    if tuple(target.shape) != tuple(data.shape) or target.dtype != data.dtype:
        raise InvalidArgumentError(
            f"out[{position}] has shape {tuple(target.shape)} and dtype {target.dtype}; "
            f"clip {position} decodes to shape {tuple(data.shape)} and dtype {data.dtype}"
        )
    if _backend.is_tensor(target):
        target.copy_(data)
    else:
        target[...] = data
    return target


class ClipDataset:
    """[extra] A map-style dataset of clips for ``torch.utils.data.DataLoader``
    that decodes a whole batch in one :func:`decode_clips` call.

    Item ``i`` is the frames tensor of ``clips[i]``. The DataLoader fetches a
    batch through ``__getitems__`` (torch >= 2.0), so with ``num_workers=0``
    one process decodes each batch on native threads, with no worker
    processes, pickling or shared-memory copies::

        dataset = ClipDataset([(path, [0, 10, 20, 30]) for path in paths])
        loader = DataLoader(dataset, batch_size=32, shuffle=True, num_workers=0)

    Args:
        clips: as :func:`decode_clips`' (kept, not copied).
        **decode_options: keyword arguments of :func:`decode_clips` (not
            ``out``) applied to every batch.

    Raises:
        What :func:`decode_clips` raises, when an item is fetched.

    Thread safety: fetching items shares no state between calls.
    """

    def __init__(self, clips: Sequence[Any], **decode_options: Any):
        if "out" in decode_options:
            raise InvalidArgumentError("ClipDataset returns new tensors; out= is not accepted")
        self._clips = clips
        self._options = decode_options

    def __len__(self) -> int:
        return len(self._clips)

    def __getitem__(self, index: int) -> Any:
        return self.__getitems__([index])[0]

    def __getitems__(self, indices: Sequence[int]) -> List[Any]:
        batches = decode_clips([self._clips[i] for i in indices], **self._options)
        return [batch.data for batch in batches]

"""read_video_clips and read_audio: Ray Datasets of clips and of samples."""

from __future__ import annotations

import functools
import math
import os
import pickle
import warnings
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Union

import numpy as np
import ray

from codecflow import _index_cache
from codecflow.ray._plan import (
    ClipGroup,
    FailedRead,
    FilePlan,
    PathLike,
    expand_paths,
    failure,
    plan_file,
    to_numpy,
)
from codecflow.samplers import clips_at_random_indices
from codecflow._errors import CodecflowError, InvalidArgumentError

_ON_ERROR = ("skip", "raise")


class ReadError(CodecflowError):
    """A file could not be read and ``on_error="raise"`` was asked for.

    Attributes:
        failure: the :class:`FailedRead` (path, stage, error type, message).
    """

    def __init__(self, failure: FailedRead):
        super().__init__(str(failure))
        self.failure = failure

    def __reduce__(self) -> Any:  # travels between Ray processes
        return (ReadError, (self.failure,))


class ReadWarning(UserWarning):
    """A file (or some of its clips) was skipped; the message names the path."""


@ray.remote(num_cpus=0)
class _FailureLog:
    def __init__(self) -> None:
        self._entries: List[FailedRead] = []

    def add(self, entries: List[FailedRead]) -> None:
        self._entries.extend(entries)

    def entries(self) -> List[FailedRead]:
        return list(self._entries)


class ReadReport:
    """Collects the files that a read skipped, from every process of the cluster.

    Pass one to ``read_video_clips(..., report=report)`` or ``read_audio``;
    after the dataset has been consumed, :attr:`failures` lists each file
    that could not be opened, indexed or sampled (``stage="plan"``, known as
    soon as the read function returns) and each group of clips that failed
    to decode (``stage="read"``, known once that part was read). Backed by a
    small Ray actor (no CPU reserved) owned by the driver; must be made after
    ``ray.init`` (or it starts a local cluster, as any Ray call does).

    Thread safety: safe to share; it pickles into Ray tasks.
    """

    def __init__(self) -> None:
        self._log = _FailureLog.remote()

    def add(self, entries: List[FailedRead]) -> None:
        """Records failures (called by the read tasks)."""
        ray.get(self._log.add.remote(entries))

    @property
    def failures(self) -> List[FailedRead]:
        """What was skipped so far, in the order it was reported."""
        return ray.get(self._log.entries.remote())

    def __repr__(self) -> str:
        return f"ReadReport({len(self.failures)} failures)"


def _check_on_error(on_error: Any) -> None:
    if on_error not in _ON_ERROR:
        raise InvalidArgumentError(f"invalid on_error {on_error!r}; allowed: {_ON_ERROR}")


def _skip(failures: List[FailedRead], on_error: str, report: Optional[ReadReport]) -> None:
    """Applies the error policy to failures seen in this process."""
    if not failures:
        return
    if on_error == "raise":
        raise ReadError(failures[0])
    for entry in failures:
        warnings.warn(f"skipped {entry}", ReadWarning, stacklevel=3)
    if report is not None:
        report.add(failures)


def _check_positive(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidArgumentError(f"{name} must be an int >= 1, got {value!r}")
    return value


def _resolve_cache(index_cache: Any) -> Optional[str]:
    # The driver's choice travels to every task explicitly: a worker process
    # does not see the driver's codecflow.set_index_cache.
    if index_cache is False:
        return None
    directory = _index_cache.resolve_cache_dir(index_cache)
    return os.path.abspath(directory) if directory else None


def _data_context() -> None:
    # Ray Data's DataContext warns (DeprecationWarning) about one of its own
    # default settings when the process makes its first one; made here once,
    # quietly, so that programs running with warnings as errors can use Ray Data.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"ray\.data\.")
        ray.data.DataContext.get_current()


def _plan_files(files: List[tuple], **options: Any) -> List[Any]:
    return [plan_file(file, path, **options) for file, path in files]


def _in_chunks(items: List[Any], count: int) -> Iterable[List[Any]]:
    size = max(1, math.ceil(len(items) / count))
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _read_group(
    row: Dict[str, Any],
    *,
    transforms: Optional[Sequence[Any]],
    dimension_order: str,
    index_cache: Optional[str],
    indices: Dict[int, Any],
    on_error: str,
    report: Optional[ReadReport],
) -> List[Dict[str, Any]]:
    from codecflow.decoders import VideoDecoder

    group: ClipGroup = pickle.loads(row["group"])
    try:
        if index_cache:
            opened = dict(index_cache=index_cache)
        else:
            # One object per file in Ray's object store, fetched by each group's task.
            opened = dict(frame_index=ray.get(indices[group.file]))
        decoder = VideoDecoder(
            group.path, transforms=transforms, dimension_order=dimension_order, **opened
        )
        frames = getattr(decoder, group.method)([v for values in group.values for v in values])
        data = to_numpy(frames.data)
        pts = to_numpy(frames.pts_seconds)
        durations = to_numpy(frames.duration_seconds)
    except Exception as error:  # noqa: BLE001 - the error policy decides
        _skip([failure(group.path, "read", error, group.clips)], on_error, report)
        return []
    rows = []
    start = 0
    for number, values in zip(group.clips, group.values):
        end = start + len(values)
        rows.append(
            {
                "frames": data[start:end],
                "pts_seconds": pts[start:end],
                "duration_seconds": durations[start:end],
                "path": group.path,
                "file": group.file,
                "clip": number,
            }
        )
        start = end
    return rows


def read_video_clips(
    paths: Union[PathLike, Sequence[PathLike]],
    *,
    sampler: Callable[..., Any] = clips_at_random_indices,
    num_clips: int = 1,
    num_frames_per_clip: int = 1,
    sampler_kwargs: Optional[Dict[str, Any]] = None,
    seed: int = 0,
    transforms: Optional[Sequence[Any]] = None,
    dimension_order: str = "NCHW",
    index_cache: Any = None,
    frames_per_task: int = 256,
    on_error: str = "skip",
    report: Optional[ReadReport] = None,
) -> "ray.data.Dataset":
    """A Ray Dataset of clips sampled from video files, one row per clip.

    Each file is planned by a Ray task, which opens it in exact mode (from
    the index cache when there is one), runs ``sampler`` to pick the clips'
    frames, and splits the clips into groups by GOP ranges of about
    ``frames_per_task`` decoded frames. Planning happens when this function
    is called; decoding is lazy and streams, one Ray task per group, as the
    dataset is consumed (``iter_torch_batches``, ``materialize``, ...).

    Rows:
        ``frames`` (uint8, ``(num_frames_per_clip, C, H, W)``, or ``H, W, C``
        with ``dimension_order="NHWC"``), ``pts_seconds`` and
        ``duration_seconds`` (float64, ``(num_frames_per_clip,)``), ``path``
        (str), ``file`` (the file's position in ``paths``) and ``clip`` (the
        clip's position in the sampler's output for that file). Row order is
        not guaranteed across groups; sort by ``(file, clip)`` to compare.

    Args:
        paths: a video file, a directory (its files, sorted, not recursing)
            or a sequence of them.
        sampler: one of ``codecflow.samplers``' functions (or any callable
            taking a decoder that fetches its clips with one
            ``get_frames_at`` or ``get_frames_played_at`` call).
        num_clips: clips per file.
        num_frames_per_clip: frames per clip.
        sampler_kwargs: more arguments for ``sampler``
            (``num_indices_between_frames``, ``seconds_between_frames``,
            ``policy``, ...).
        seed: samplers that take ``generator=`` draw the clips of file
            number ``i`` with ``numpy.random.default_rng((seed, i))``: the
            same clips as calling the sampler on ``VideoDecoder(path)`` with
            that generator, on any cluster, in any order.
        transforms: decoder transforms (``codecflow.transforms``), applied
            while decoding; give clips one size (``Resize``) to batch them.
        dimension_order: ``"NCHW"`` or ``"NHWC"``.
        index_cache: a directory shared by every node (see
            docs/index_cache.md); None uses ``codecflow.get_index_cache()`` of
            this process, False none. Without a cache the index found by the
            planning task comes back to this process and reaches the read
            tasks through Ray's object store, once per file (17 bytes per
            frame): for many or long files, share a cache instead.
        frames_per_task: about how many frames one read task decodes.
        on_error: ``"skip"`` (default): a file that cannot be opened, indexed,
            sampled or decoded is left out, a :class:`ReadWarning` naming its
            path is issued (in the process that found it) and ``report``
            records it; the other files are read. ``"raise"``: the first such
            file raises :class:`ReadError` (naming its path): from this call
            for a planning failure; for a decoding failure from consuming the
            dataset, wrapped by Ray Data in a ``ray.exceptions.RayTaskError``
            whose message holds the ReadError's.
        report: a :class:`ReadReport` collecting skipped files.

    Returns:
        ray.data.Dataset: the clips.

    Raises:
        ValueError: for invalid arguments here (each file's sampler
            arguments are checked by its planning task: an error there is the
            file's failure, under ``on_error``).
        ReadError: with ``on_error="raise"``.
    """
    files = expand_paths(paths)
    _check_on_error(on_error)
    _data_context()
    _check_positive("frames_per_task", frames_per_task)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InvalidArgumentError(f"seed must be an int >= 0, got {seed!r}")
    if not callable(sampler):
        raise InvalidArgumentError(f"sampler must be callable, got {type(sampler).__name__}")
    if dimension_order not in ("NCHW", "NHWC"):
        raise InvalidArgumentError(f"invalid dimension_order {dimension_order!r}; allowed: NCHW, NHWC")
    cache = _resolve_cache(index_cache)
    kwargs = dict(sampler_kwargs or {})
    kwargs.update(num_clips=num_clips, num_frames_per_clip=num_frames_per_clip)
    options = dict(
        sampler=sampler, sampler_kwargs=kwargs, seed=seed, index_cache=cache,
        frames_per_task=frames_per_task,
    )  # fmt: skip
    planner = ray.remote(_plan_files)
    cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
    chunks = list(_in_chunks(list(enumerate(files)), 4 * cpus))
    planned = ray.get([planner.remote(chunk, **options) for chunk in chunks])
    results = [result for chunk in planned for result in chunk]
    plans = [r for r in results if isinstance(r, FilePlan)]
    _skip([r for r in results if isinstance(r, FailedRead)], on_error, report)
    groups = [g for plan in plans for g in plan.groups]
    indices = {
        plan.groups[0].file: ray.put(plan.frame_index)
        for plan in plans
        if plan.frame_index is not None and plan.groups
    }
    if not groups:
        return ray.data.from_items([]).limit(0)
    items = [{"group": pickle.dumps(g)} for g in groups]
    read = functools.partial(
        _read_group, transforms=transforms, dimension_order=dimension_order,
        index_cache=cache, indices=indices, on_error=on_error, report=report,
    )  # fmt: skip
    return ray.data.from_items(items, override_num_blocks=len(items)).flat_map(read)


def _plan_audio(
    files: List[tuple], seconds_per_row: Optional[float], decoder_options: Dict[str, Any]
) -> List[Any]:
    from codecflow.decoders import AudioDecoder

    plans: List[Any] = []
    for file, path in files:
        try:
            metadata = AudioDecoder(path, **decoder_options).metadata
            if seconds_per_row is None:
                plans.append([(file, path, 0, None, None)])
                continue
            begin = float(metadata.begin_stream_seconds or 0.0)
            duration = metadata.duration_seconds
            if duration is None:
                raise InvalidArgumentError("the audio's duration is unknown: use seconds_per_row=None")
            count = max(1, math.ceil(float(duration) / seconds_per_row))
            plans.append(
                [
                    (file, path, k, begin + k * seconds_per_row,
                     None if k == count - 1 else begin + (k + 1) * seconds_per_row)
                    for k in range(count)
                ]  # fmt: skip
            )
        except Exception as error:  # noqa: BLE001 - reported with the path
            plans.append(failure(path, "plan", error))
    return plans


def _read_audio_chunk(
    row: Dict[str, Any],
    *,
    decoder_options: Dict[str, Any],
    on_error: str,
    report: Optional[ReadReport],
) -> List[Dict[str, Any]]:
    from codecflow.decoders import AudioDecoder

    file, path, chunk, start, stop = pickle.loads(row["chunk"])
    try:
        decoder = AudioDecoder(path, **decoder_options)
        if start is None:
            samples = decoder.get_all_samples()
        else:
            samples = decoder.get_samples_played_in_range(start, stop)
        data = to_numpy(samples.data)
    except Exception as error:  # noqa: BLE001 - the error policy decides
        _skip([failure(path, "read", error, [chunk])], on_error, report)
        return []
    return [
        {
            "samples": data,
            "sample_rate": int(samples.sample_rate),
            "pts_seconds": float(samples.pts_seconds),
            "path": path,
            "file": file,
            "chunk": chunk,
        }
    ]


def read_audio(
    paths: Union[PathLike, Sequence[PathLike]],
    *,
    seconds_per_row: Optional[float] = None,
    stream_index: Optional[int] = None,
    sample_rate: Optional[int] = None,
    num_channels: Optional[int] = None,
    on_error: str = "skip",
    report: Optional[ReadReport] = None,
) -> "ray.data.Dataset":
    """A Ray Dataset of decoded audio: one row per file, or per chunk of
    ``seconds_per_row`` seconds (each chunk read by its own task).

    Rows:
        ``samples`` (float32, ``(num_channels, num_samples)``),
        ``sample_rate`` (int), ``pts_seconds`` (the first sample's time),
        ``path``, ``file`` (position in ``paths``) and ``chunk`` (0, 1, ...
        within the file). A chunk ``k`` holds
        ``AudioDecoder(path).get_samples_played_in_range(begin + k * s,
        begin + (k + 1) * s)`` (the last one runs to the end).

    Args:
        paths: as for :func:`read_video_clips`.
        seconds_per_row: None for whole files, else the chunk length (> 0).
        stream_index, sample_rate, num_channels: as for ``AudioDecoder``.
        on_error, report: as for :func:`read_video_clips`.

    Raises:
        ValueError: for invalid arguments here.
        ReadError: with ``on_error="raise"``.
    """
    files = expand_paths(paths)
    _check_on_error(on_error)
    _data_context()
    if seconds_per_row is not None:
        if isinstance(seconds_per_row, bool) or not isinstance(seconds_per_row, (int, float)):
            raise InvalidArgumentError(f"seconds_per_row must be a number or None, got {seconds_per_row!r}")
        if not (seconds_per_row > 0 and math.isfinite(seconds_per_row)):
            raise InvalidArgumentError(f"seconds_per_row must be > 0 and finite, got {seconds_per_row!r}")
        seconds_per_row = float(seconds_per_row)
    decoder_options = dict(
        stream_index=stream_index, sample_rate=sample_rate, num_channels=num_channels
    )
    planner = ray.remote(_plan_audio)
    cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
    chunks = list(_in_chunks(list(enumerate(files)), 4 * cpus))
    plans = [
        p
        for result in ray.get(
            [planner.remote(c, seconds_per_row, decoder_options) for c in chunks]
        )
        for p in result
    ]
    _skip([p for p in plans if isinstance(p, FailedRead)], on_error, report)
    items = [
        {"chunk": pickle.dumps(c)} for p in plans if not isinstance(p, FailedRead) for c in p
    ]
    if not items:
        return ray.data.from_items([]).limit(0)
    read = functools.partial(
        _read_audio_chunk, decoder_options=decoder_options, on_error=on_error, report=report
    )
    return ray.data.from_items(items, override_num_blocks=len(items)).flat_map(read)

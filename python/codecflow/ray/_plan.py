"""Planning clips: which frames each clip holds, and how reading is split.

Nothing here imports Ray: the functions run inside Ray tasks (one per file)
and are tested on their own.

Note [Planning with a recording decoder]
codecflow's samplers take a decoder, draw their clip starts from its length,
metadata and key frames, and then fetch every frame of every clip with one
``get_frames_at`` (index-based) or ``get_frames_played_at`` (time-based)
call. Planning runs the user's sampler unchanged against a ``_Recorder``: a
decoder opened in exact mode whose two batch calls record what was asked for
and return placeholders of the right shape (1x1 pixels) instead of decoding.
The recorded indices or times are the clips, exactly as the plain sampler
draws them with the same generator; the read tasks then ask a real decoder
for the same indices or times, clip group by clip group, so each frame and
timestamp is the one the plain sampler returns (exact mode is frame-exact
whatever subset of frames a call asks for).

Note [Splitting a file by GOP ranges]
Decoding a clip starts at the key frame at or before its first frame. Clips
are sorted by that key frame and cut into groups whose estimated cost (the
frames decoded from each clip's key frame to its last frame) reaches
``frames_per_task``; a cut falls only between clips that start decoding at
different key frames, so frames shared within a GOP are decoded once. Each
group is one Ray task, so a long file is read by many tasks at once instead
of one straggler.
"""

from __future__ import annotations

import bisect
import dataclasses
import inspect
import os
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from codecflow._frame import FrameBatch
from codecflow._errors import InvalidArgumentError

PathLike = Union[str, "os.PathLike[str]"]


@dataclasses.dataclass
class ClipGroup:
    """The clips of one file that one read task decodes.

    Attributes:
        file: the file's position in the expanded list of paths.
        path: the file.
        clips: the clips' numbers within the file (their order in the
            sampler's output).
        method: ``"get_frames_at"`` (values are frame indices) or
            ``"get_frames_played_at"`` (values are seconds).
        values: per clip, the indices or times of its frames.
    """

    file: int
    path: str
    clips: List[int]
    method: str
    values: List[List[Any]]


@dataclasses.dataclass
class FilePlan:
    """What planning found for one file.

    Attributes:
        groups: its clip groups, one read task each.
        frame_index: the file's saved index (``FrameIndex.to_bytes()``) when
            no index cache is shared, so that read tasks open it without
            scanning (shipped once per file, not per group).
    """

    groups: List[ClipGroup]
    frame_index: Optional[bytes] = None


@dataclasses.dataclass
class FailedRead:
    """A file (or a group of its clips) that could not be read.

    Attributes:
        path: the file.
        stage: ``"plan"`` (opening, indexing or sampling it) or ``"read"``
            (decoding a group of its clips).
        error_type: the exception's class name, e.g. ``"RuntimeError"``.
        message: the exception's message.
        clips: for ``"read"`` failures, the clip numbers that were lost.
    """

    path: str
    stage: str
    error_type: str
    message: str
    clips: List[int] = dataclasses.field(default_factory=list)

    def __str__(self) -> str:
        where = f" (clips {self.clips})" if self.clips else ""
        return f"{self.path}{where}: {self.stage} failed: {self.error_type}: {self.message}"


def failure(path: str, stage: str, error: BaseException, clips: Sequence[int] = ()) -> FailedRead:
    return FailedRead(str(path), stage, type(error).__name__, str(error), list(clips))


_BATCH_METHODS = ("get_frames_at", "get_frames_played_at")


class _Recorder:
    """A decoder whose batch calls record their argument (see the Note)."""

    def __init__(self, decoder: Any):
        self._decoder = decoder
        self.calls: List[Tuple[str, List[Any]]] = []

    def __len__(self) -> int:
        return len(self._decoder)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._decoder, name)

    def _record(self, method: str, values: Any) -> FrameBatch:
        values = [v.item() if hasattr(v, "item") else v for v in list(values)]
        self.calls.append((method, values))
        n = len(values)
        return FrameBatch(np.zeros((n, 1, 1, 1), np.uint8), np.zeros(n), np.zeros(n))

    def get_frames_at(self, indices: Any) -> FrameBatch:
        return self._record("get_frames_at", indices)

    def get_frames_played_at(self, seconds: Any) -> FrameBatch:
        return self._record("get_frames_played_at", seconds)


def takes_generator(sampler: Callable[..., Any]) -> bool:
    """Whether ``sampler`` accepts ``generator=`` (the random samplers do)."""
    try:
        parameters = inspect.signature(sampler).parameters
    except (TypeError, ValueError):
        return False
    return "generator" in parameters or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()
    )


def file_generator(seed: int, file: int) -> np.random.Generator:
    """The generator that draws the clips of file number ``file``."""
    return np.random.default_rng((seed, file))


def sample_clips(
    decoder: Any, sampler: Callable[..., Any], kwargs: Dict[str, Any]
) -> Tuple[str, List[List[Any]]]:
    """Runs ``sampler(decoder, **kwargs)`` on a recording decoder; returns the
    batch method it called and each clip's indices or times.

    Raises:
        ValueError: when the sampler did not fetch its frames with exactly one
            ``get_frames_at`` or ``get_frames_played_at`` call, or returned
            something other than 5-D clips; and whatever the sampler raises.
    """
    recorder = _Recorder(decoder)
    clips = sampler(recorder, **kwargs)
    if len(recorder.calls) != 1 or not isinstance(clips, FrameBatch) or clips.data.ndim != 5:
        raise InvalidArgumentError(
            "sampler must return 5-D clips fetched with one get_frames_at or "
            "get_frames_played_at call, as codecflow.samplers' functions do"
        )
    method, values = recorder.calls[0]
    num_clips, per_clip = clips.data.shape[:2]
    if len(values) != num_clips * per_clip:
        raise InvalidArgumentError("sampler returned clips that do not match the frames it fetched")
    return method, [values[i * per_clip : (i + 1) * per_clip] for i in range(num_clips)]


def _frame_numbers(decoder: Any, method: str, values: List[Any]) -> List[int]:
    if method == "get_frames_at":
        n = len(decoder)
        return [v + n if v < 0 else v for v in values]
    index = decoder.frame_index()
    starts = np.asarray(index.pts, dtype=np.float64) * float(index.time_base)
    found = np.searchsorted(starts, np.asarray(values, dtype=np.float64), side="right") - 1
    return np.clip(found, 0, len(starts) - 1).tolist()


def split_by_gop(
    decoder: Any, method: str, clips: List[List[Any]], frames_per_task: int
) -> List[List[int]]:
    """Groups clip numbers for read tasks (Note [Splitting a file by GOP ranges])."""
    keys = [int(k) for k in decoder.key_frame_indices.tolist()] or [0]
    costed = []
    for number, values in enumerate(clips):
        frames = _frame_numbers(decoder, method, values)
        first, last = min(frames), max(frames)
        key = keys[max(bisect.bisect_right(keys, first) - 1, 0)]
        costed.append((key, first, number, last - min(key, first) + 1))
    costed.sort()
    groups: List[List[int]] = []
    cost = 0
    previous_key = None
    for key, _, number, clip_cost in costed:
        if groups and (cost < frames_per_task or key == previous_key):
            groups[-1].append(number)
            cost += clip_cost
        else:
            groups.append([number])
            cost = clip_cost
        previous_key = key
    return groups


def plan_file(
    file: int,
    path: str,
    *,
    sampler: Callable[..., Any],
    sampler_kwargs: Dict[str, Any],
    seed: int,
    index_cache: Optional[str],
    frames_per_task: int,
) -> Union[FilePlan, FailedRead]:
    """The read tasks' work for one file, or what went wrong opening or
    sampling it. Opens the file once in exact mode: with ``index_cache`` its
    index is loaded from (or scanned into) the shared cache, without one it
    is returned with the plan."""
    from codecflow.decoders import VideoDecoder

    try:
        decoder = VideoDecoder(path, index_cache=index_cache if index_cache else False)
        kwargs = dict(sampler_kwargs)
        if takes_generator(sampler) and "generator" not in kwargs:
            kwargs["generator"] = file_generator(seed, file)
        method, clips = sample_clips(decoder, sampler, kwargs)
        groups = [
            ClipGroup(file, path, numbers, method, [clips[n] for n in numbers])
            for numbers in split_by_gop(decoder, method, clips, frames_per_task)
        ]
        return FilePlan(groups, None if index_cache else decoder.frame_index().to_bytes())
    except Exception as error:  # noqa: BLE001 - reported with the path, see on_error
        return failure(path, "plan", error)


def expand_paths(paths: Union[PathLike, Sequence[PathLike]]) -> List[str]:
    """A path, a directory (its regular files, sorted, not recursing) or a
    sequence of paths, as a list of strings in order.

    Raises:
        ValueError: for an empty list (or empty directory) or an entry that
            is not a str or os.PathLike.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    result: List[str] = []
    for entry in paths:
        if not isinstance(entry, (str, os.PathLike)):
            raise InvalidArgumentError(f"paths must be str or os.PathLike, got {type(entry).__name__}")
        entry = os.path.abspath(os.fspath(entry))  # workers may run elsewhere
        if os.path.isdir(entry):
            names = sorted(os.listdir(entry))
            result += [
                os.path.join(entry, n) for n in names if os.path.isfile(os.path.join(entry, n))
            ]
        else:
            result.append(entry)
    if not result:
        raise InvalidArgumentError("no input files")
    return result


def to_numpy(value: Any) -> np.ndarray:
    """A CPU tensor or array as a NumPy array (Ray's blocks hold NumPy)."""
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        return value.numpy()
    return np.asarray(value)

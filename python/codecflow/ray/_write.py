"""Encoding a column of frames back to video files, in Ray tasks."""

from __future__ import annotations

import functools
import os
from typing import Any, Dict, List, Optional

import numpy as np
import ray

from codecflow.ray._plan import PathLike
from codecflow._errors import InvalidArgumentError


def _row_name(batch: Dict[str, Any], i: int, name_column: Optional[str]) -> str:
    if name_column is not None:
        return str(batch[name_column][i])
    if "path" in batch and "clip" in batch:
        stem = os.path.splitext(os.path.basename(str(batch["path"][i])))[0]
        return f"{stem}_clip{int(batch['clip'][i]):05d}"
    raise InvalidArgumentError(
        "encode_videos names each output after name_column, or after the 'path' and 'clip' "
        "columns that read_video_clips makes; this batch has neither"
    )


def encode_videos(
    batch: Dict[str, Any],
    *,
    directory: PathLike,
    frame_rate: float,
    column: str = "frames",
    name_column: Optional[str] = None,
    extension: str = "mp4",
    dimension_order: str = "NCHW",
    codec: Optional[str] = None,
    pixel_format: Optional[str] = None,
    crf: Optional[float] = None,
    preset: Optional[Any] = None,
) -> Dict[str, Any]:
    """Encodes each row's frames into ``directory/NAME.EXTENSION``; a function
    for ``Dataset.map_batches`` (``batch_format="numpy"``, the default).

    ``NAME`` is the row's ``name_column`` value, or for rows of
    ``read_video_clips`` ``<file stem>_clip<clip number>``. Returns the batch
    with a ``written`` column of output paths added.

    Args:
        batch: a batch of rows (a dict of columns).
        directory: where the files go (created if missing; on a shared file
            system when tasks run on several nodes).
        frame_rate: frames per second of the outputs.
        column: the column of uint8 RGB frames, ``(N, 3, H, W)`` per row.
        name_column: the column naming each output (see above).
        extension: the container ("mp4", "mkv", "webm", "avi", ...).
        dimension_order: ``"NCHW"`` or ``"NHWC"`` (transposed before encoding).
        codec, pixel_format, crf, preset: as for ``VideoEncoder.to_file``.

    Raises:
        ValueError: for a batch without the columns, or frames or options
            ``VideoEncoder`` rejects (the task, and so the dataset, fails:
            a file that cannot be written is not skipped silently).
    """
    from codecflow.encoders import VideoEncoder

    if dimension_order not in ("NCHW", "NHWC"):
        raise InvalidArgumentError(f"invalid dimension_order {dimension_order!r}; allowed: NCHW, NHWC")
    directory = os.fspath(directory)
    os.makedirs(directory, exist_ok=True)
    written: List[str] = []
    for i, frames in enumerate(batch[column]):
        frames = np.asarray(frames)
        if dimension_order == "NHWC" and frames.ndim == 4:
            frames = np.ascontiguousarray(frames.transpose(0, 3, 1, 2))
        path = os.path.join(directory, f"{_row_name(batch, i, name_column)}.{extension}")
        VideoEncoder(np.ascontiguousarray(frames), frame_rate=frame_rate).to_file(
            path, codec=codec, pixel_format=pixel_format, crf=crf, preset=preset
        )
        written.append(path)
    result = dict(batch)
    result["written"] = np.array(written, dtype=object)
    return result


def write_videos(
    dataset: "ray.data.Dataset", directory: PathLike, *, frame_rate: float, **options: Any
) -> List[str]:
    """Encodes a column of frames of ``dataset`` to one file per row, in Ray
    tasks (``encode_videos`` under ``map_batches``), and returns the written
    paths, sorted. ``options`` are :func:`encode_videos`'s.

    Raises:
        ValueError: as :func:`encode_videos` (wrapped by Ray's task error).
    """
    directory = os.path.abspath(os.fspath(directory))
    encode = functools.partial(
        encode_videos, directory=directory, frame_rate=frame_rate, **options
    )
    done = dataset.map_batches(encode, batch_size=8).select_columns(["written"])
    return sorted(str(row["written"]) for row in done.iter_rows())


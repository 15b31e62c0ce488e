"""[extra] codecflow on Ray Data: clips, audio and encoding as Ray Datasets.

``pip install 'codecflow[ray]'``. ``import codecflow`` never imports Ray;
``import codecflow.ray`` does, and raises ImportError naming the extra when
Ray Data is missing. See docs/distributed.md.
"""

from __future__ import annotations

try:
    import ray.data  # noqa: F401
except ImportError as error:  # pragma: no cover - exercised without Ray installed
    raise ImportError(
        "codecflow.ray needs Ray Data: pip install 'codecflow[ray]' (or 'ray[data]')"
    ) from error

from codecflow.ray._plan import FailedRead, file_generator
from codecflow.ray._read import ReadError, ReadReport, ReadWarning, read_audio, read_video_clips
from codecflow.ray._collate import TorchCollate, collate_to_torch
from codecflow.ray._write import encode_videos, write_videos

__all__ = [
    "FailedRead",
    "ReadError",
    "ReadReport",
    "ReadWarning",
    "TorchCollate",
    "collate_to_torch",
    "encode_videos",
    "file_generator",
    "read_audio",
    "read_video_clips",
    "write_videos",
]

"""Clip samplers: clips of frames at regular or random indices or times."""

from codecflow.samplers._index_based import clips_at_random_indices, clips_at_regular_indices
from codecflow.samplers._time_based import clips_at_random_timestamps, clips_at_regular_timestamps

__all__ = [
    "clips_at_random_indices",
    "clips_at_regular_indices",
    "clips_at_random_timestamps",
    "clips_at_regular_timestamps",
]

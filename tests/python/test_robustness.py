"""Damaged input never crashes or hangs: it decodes or raises a clear error."""

from __future__ import annotations

import random

import pytest

from codecflow.decoders import VideoDecoder

ALLOWED = (ValueError, RuntimeError, IndexError)


def _damage(data: bytes, rng: random.Random, kind: int) -> bytes:
    damaged = bytearray(data)
    if kind == 0:
        return bytes(damaged[: rng.randrange(len(damaged))])
    if kind == 1:
        for _ in range(20):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        return bytes(damaged)
    start = rng.randrange(len(damaged))
    damaged[start : start + 500] = bytes(500)
    return bytes(damaged)


@pytest.mark.parametrize("name", ["h264_bframes", "hevc", "vp9", "mpeg4", "av1", "edit_list"])
def test_damaged_files_decode_or_raise(media, name):
    data = media.clip(name).read_bytes()
    rng = random.Random(name)
    for trial in range(18):
        damaged = _damage(data, rng, trial % 3)
        try:
            decoder = VideoDecoder(damaged)
            count = len(decoder)
            decoder.get_frames_at([count - 1 - i for i in range(min(count, 5))])
            all_frames = decoder.get_all_frames()
            assert len(all_frames) == count
        except ALLOWED as error:
            assert str(error)
    # Truncation to a few bytes, at least, must be refused.
    with pytest.raises(ValueError):
        VideoDecoder(data[:100])

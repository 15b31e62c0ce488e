"""Error types without torch: the same classes and builtins as with it."""

from __future__ import annotations

import numpy as np
import pytest

from codecflow import _errors
from codecflow.decoders import AudioDecoder, VideoDecoder


def test_index_and_time_errors(media):
    decoder = VideoDecoder(media.clip("h264_bframes"))
    with pytest.raises(IndexError) as info:
        decoder.get_frame_at(len(decoder))
    assert isinstance(info.value, _errors.OutOfRangeError)
    with pytest.raises(IndexError):
        decoder[-len(decoder) - 1]
    with pytest.raises(IndexError):
        decoder.get_frames_at(np.array([0, 99]))
    with pytest.raises(IndexError):
        decoder.get_frame_played_at(5.0)
    with pytest.raises(ValueError):
        decoder.get_frames_at(np.zeros((2, 2), dtype=np.int64))
    with pytest.raises(TypeError):
        decoder["0"]


@pytest.mark.parametrize("dtype", [np.float64, "int16", "torch.uint8", None])
def test_bad_output_dtype(media, dtype):
    with pytest.raises(ValueError, match="output_dtype"):
        VideoDecoder(media.clip("h264_bframes"), output_dtype=dtype)


def test_cuda_needs_torch(media):
    for device in ("cuda", "cuda:0"):
        with pytest.raises(RuntimeError, match="torch"):
            VideoDecoder(media.clip("h264_bframes"), device=device)
    with pytest.raises(ValueError, match="device"):
        VideoDecoder(media.clip("h264_bframes"), device="tpu")


def test_bad_sources(media, tmp_path):
    with pytest.raises(FileNotFoundError):
        VideoDecoder(tmp_path / "missing.mp4")
    with pytest.raises(IsADirectoryError):
        VideoDecoder(tmp_path)
    with pytest.raises(ValueError):
        VideoDecoder(b"not a video at all")
    with pytest.raises(ValueError, match="1-D uint8"):
        VideoDecoder(np.zeros(16, dtype=np.float32))
    with pytest.raises(TypeError):
        VideoDecoder(12)
    with pytest.raises(ValueError):
        AudioDecoder(media.clip("h264_bframes"))  # no audio stream
    with pytest.raises(ValueError):
        AudioDecoder(media.clip("h264_audio"), sample_rate=0)

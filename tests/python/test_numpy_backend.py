"""With torch installed: the NumPy backend gives what the torch one gives, and
``import codecflow`` leaves torch alone until it is needed."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
import torch

import codecflow
from codecflow import _backend, samplers
from codecflow.decoders import AudioDecoder, VideoDecoder
from codecflow.encoders import AudioEncoder, VideoEncoder
from codecflow.transforms import RandomCrop

PACKAGE_PARENT = str(pathlib.Path(codecflow.__file__).resolve().parents[1])


@pytest.fixture
def numpy_backend(monkeypatch):
    """Switches this process to the NumPy backend for one test."""
    monkeypatch.setitem(_backend._state, "torch", None)


def _run(code: str, **env: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True, text=True, timeout=120,
        env=dict(os.environ, PYTHONPATH=PACKAGE_PARENT, **env),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def _both(make):
    """``make()`` with the torch backend, then with the NumPy one."""
    with_torch = make()
    saved = _backend._state.get("torch")
    _backend._state["torch"] = None
    try:
        with_numpy = make()
    finally:
        _backend._state["torch"] = saved
    return with_torch, with_numpy


def test_import_codecflow_does_not_import_torch():
    code = (
        "import sys, json, codecflow, codecflow.decoders, codecflow.encoders, codecflow.samplers\n"
        "print(json.dumps({'torch': 'torch' in sys.modules}))"
    )
    assert _run(code) == {"torch": False}


def test_forced_numpy_backend_never_imports_torch(media):
    code = f"""
import json, sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("torch import attempted: " + name)
sys.meta_path.insert(0, Block())
import numpy as np
from codecflow import samplers
from codecflow.decoders import VideoDecoder
from codecflow.encoders import VideoEncoder
decoder = VideoDecoder({str(media.clip("h264_bframes"))!r})
frames = decoder.get_frames_at([0, 1]).data
samplers.clips_at_random_indices(decoder, num_clips=2)
VideoEncoder(frames, frame_rate=30).to_tensor("mp4")
print(json.dumps({{"type": type(frames).__module__, "torch": "torch" in sys.modules}}))
"""
    assert _run(code, CODECFLOW_ARRAY_BACKEND="numpy") == {"type": "numpy", "torch": False}


def test_bad_backend_name_is_a_value_error():
    code = (
        "import json\nfrom codecflow.decoders import VideoDecoder\n"
        "try:\n    VideoDecoder(b'x')\nexcept ValueError as e:\n"
        "    print(json.dumps({'error': str(e)}))"
    )
    assert "CODECFLOW_ARRAY_BACKEND" in _run(code, CODECFLOW_ARRAY_BACKEND="jax")["error"]


@pytest.mark.parametrize("dimension_order", ["NCHW", "NHWC"])
def test_frames_equal_the_torch_frames(media, dimension_order):
    def make():
        decoder = VideoDecoder(media.clip("h264_bframes"), dimension_order=dimension_order)
        return decoder.get_frames_at([7, 0, 7]), decoder.get_frames_played_in_range(0.5, 1.0)

    (t_at, t_range), (n_at, n_range) = _both(make)
    assert isinstance(t_at.data, torch.Tensor) and isinstance(n_at.data, np.ndarray)
    for t, n in ((t_at, n_at), (t_range, n_range)):
        assert n.data.shape == tuple(t.data.shape) and n.data.strides == tuple(
            s * t.data.element_size() for s in t.data.stride()
        )
        np.testing.assert_array_equal(n.data, t.data.numpy())
        np.testing.assert_array_equal(n.pts_seconds, t.pts_seconds.numpy())
        np.testing.assert_array_equal(n.duration_seconds, t.duration_seconds.numpy())


def test_float32_frames_and_audio_equal_the_torch_ones(media):
    def make():
        video = VideoDecoder(media.clip("h264_bframes"), output_dtype="float32")[3]
        audio = AudioDecoder(media.clip("h264_audio"), sample_rate=16000).get_all_samples()
        return video, audio

    (t_video, t_audio), (n_video, n_audio) = _both(make)
    assert t_video.dtype == torch.float32 and n_video.dtype == np.float32
    np.testing.assert_array_equal(n_video, t_video.numpy())
    np.testing.assert_array_equal(n_audio.data, t_audio.data.numpy())
    assert (n_audio.pts_seconds, n_audio.sample_rate) == (t_audio.pts_seconds, t_audio.sample_rate)


def test_numpy_dtypes_are_accepted_with_torch(media):
    for dtype, expected in (
        ("uint8", torch.uint8),
        (np.uint8, torch.uint8),
        (np.dtype("float32"), torch.float32),
        ("float32", torch.float32),
    ):
        assert VideoDecoder(media.clip("h264_bframes"), output_dtype=dtype)[0].dtype == expected


def test_samplers_with_a_numpy_generator_give_the_same_clips(media):
    def make():
        decoder = VideoDecoder(media.clip("h264_bframes"))
        return [
            samplers.clips_at_random_indices(
                decoder, num_clips=5, num_frames_per_clip=2, generator=np.random.default_rng(1)
            ),
            samplers.clips_at_random_timestamps(
                decoder, num_clips=5, generator=np.random.default_rng(2)
            ),
            samplers.clips_at_regular_indices(decoder, num_clips=7, num_frames_per_clip=3),
            samplers.clips_at_regular_timestamps(
                decoder, seconds_between_clip_starts=0.3, sampling_range_start=0.05
            ),
        ]

    for t, n in zip(*_both(make)):
        np.testing.assert_array_equal(n.pts_seconds, t.pts_seconds.numpy())
        np.testing.assert_array_equal(n.data, t.data.numpy())


def test_random_crop_with_a_numpy_generator_is_the_same(media):
    def make():
        crop = RandomCrop((50, 60), generator=np.random.default_rng(9))
        return VideoDecoder(media.clip("h264_bframes"), transforms=[crop])[0]

    t, n = _both(make)
    np.testing.assert_array_equal(n, t.numpy())


def test_torch_rng_is_unchanged_without_a_generator(media):
    decoder = VideoDecoder(media.clip("h264_bframes"))
    torch.manual_seed(4)
    clips = samplers.clips_at_random_indices(decoder, num_clips=3)
    torch.manual_seed(4)
    starts = torch.randint(0, len(decoder), (3,))
    torch.testing.assert_close(clips.pts_seconds[:, 0], starts.double() / 30)
    generator = torch.Generator().manual_seed(4)
    again = samplers.clips_at_random_indices(decoder, num_clips=3, generator=generator)
    torch.testing.assert_close(again.pts_seconds, clips.pts_seconds)


@pytest.mark.parametrize("steps", [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 33, 100, 257])
@pytest.mark.parametrize("span", [(0, 0), (0, 1), (0, 58), (3, 100), (5, 7), (0, 10**6 + 3)])
def test_linspace_matches_torch(numpy_backend, steps, span):
    start, end = span
    expected = torch.linspace(start, end, steps=steps, dtype=torch.int).tolist()
    assert _backend.linspace_int(start, end, steps) == expected


@pytest.mark.parametrize(
    "start, end, step",
    [(0.0, 2.0, 0.3), (0.05, 1.9, 0.1), (8.3333333, 9.3, 1 / 30), (0.0, 1.0, 0.5)],
)
def test_arange_matches_torch(numpy_backend, start, end, step):
    expected = torch.arange(start, end, step, dtype=torch.float64).tolist()
    assert _backend.arange_float(start, end, step) == pytest.approx(expected, rel=0, abs=1e-12)
    assert len(_backend.arange_float(start, end, step)) == len(expected)


def test_encoders_take_numpy_and_dlpack_input_with_torch(media):
    frames = VideoDecoder(media.clip("h264_bframes")).get_frames_in_range(0, 4).data
    lossless = dict(codec="ffv1", pixel_format="bgr0")
    from_tensor = VideoEncoder(frames, frame_rate=30).to_tensor("mkv", **lossless)
    expected = VideoDecoder(from_tensor).get_all_frames().data
    for other in (frames.numpy(), np.ascontiguousarray(frames.numpy())):
        encoded = VideoEncoder(other, frame_rate=30).to_tensor("mkv", **lossless)
        assert isinstance(encoded, torch.Tensor)
        torch.testing.assert_close(VideoDecoder(encoded).get_all_frames().data, expected)
    samples = np.linspace(-1, 1, 1000, dtype=np.float32).reshape(2, 500)
    readonly = samples.copy()
    readonly.flags.writeable = False
    for value in (samples, readonly, samples[:, ::-1]):
        wav = AudioEncoder(value, sample_rate=8000).to_tensor("wav", codec="pcm_f32le")
        np.testing.assert_array_equal(AudioDecoder(wav).get_all_samples().data.numpy(), value)


def test_numpy_encoded_bytes_decode_in_numpy_mode(media, numpy_backend):
    frames = np.zeros((2, 3, 32, 32), dtype=np.uint8)
    frames[1] = 200
    encoder = VideoEncoder(frames, frame_rate=30)
    encoded = encoder.to_tensor("mkv", codec="ffv1", pixel_format="bgr0")
    assert isinstance(encoded, np.ndarray)
    np.testing.assert_array_equal(VideoDecoder(encoded)[:], frames)
    with pytest.raises(ValueError, match="CPU"):
        VideoEncoder(torch.zeros((1, 3, 8, 8), dtype=torch.uint8, device="meta"), frame_rate=30)


@pytest.mark.parametrize("steps", [1, 2, 3, 5, 8, 9, 16, 17, 31, 64, 100])
@pytest.mark.parametrize("last", [0, 1, 2, 3, 6, 13, 40, 99, 1000])
def test_float32_linspace_is_within_one_of_torch(numpy_backend, steps, last):
    """Double precision without torch (torch's int linspace); torch's float32
    steps may round to a neighbour."""
    got = _backend.linspace_float32_to_int(0, last, steps)
    assert got == torch.linspace(0, last, steps=steps, dtype=torch.int).tolist()
    torch_values = torch.linspace(0, last, steps=steps).to(torch.int64).tolist()
    assert len(got) == steps and all(abs(g - t) <= 1 for g, t in zip(got, torch_values))


def test_key_frame_samplers_give_the_same_clips(media):
    def make():
        decoder = VideoDecoder(media.clip("h264_bframes"))
        return [
            samplers.clips_at_random_indices(
                decoder, num_clips=4, start_at_key_frames=True, generator=np.random.default_rng(5)
            ),
            samplers.clips_at_regular_indices(decoder, num_clips=7, start_at_key_frames=True),
            decoder.key_frame_pts_seconds,
        ]

    (t_random, t_regular, t_pts), (n_random, n_regular, n_pts) = _both(make)
    for t, n in ((t_random, n_random), (t_regular, n_regular)):
        np.testing.assert_array_equal(n.pts_seconds, t.pts_seconds.numpy())
        np.testing.assert_array_equal(n.data, t.data.numpy())
    assert isinstance(n_pts, np.ndarray) and n_pts.dtype == np.float64
    np.testing.assert_array_equal(n_pts, t_pts.numpy())

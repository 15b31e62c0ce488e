"""Pickling a VideoDecoder: source, options and frame index travel, the core reopens lazily."""

from __future__ import annotations

import copy
import io
import json
import pickle
import sys
from pathlib import Path

import pytest
import torch

_MEDIA = Path(__file__).resolve().parents[1] / "media"
if str(_MEDIA) not in sys.path:
    sys.path.insert(0, str(_MEDIA))

import generate  # noqa: E402
from _sources import SOURCE_KINDS, check_lazy_clone, roundtrip, source_of  # noqa: E402
from codecflow import transforms  # noqa: E402
from codecflow.decoders import VideoDecoder  # noqa: E402

NAME = "h264_bframes"
PICKS = [0, 59, 17, 3, 44, 44]


def _roundtrip(decoder: VideoDecoder) -> VideoDecoder:
    return roundtrip(decoder)


def _assert_same(a: VideoDecoder, b: VideoDecoder) -> None:
    assert len(a) == len(b)
    assert a.metadata == b.metadata
    assert a.stream_index == b.stream_index
    fa, fb = a.get_frames_at(PICKS), b.get_frames_at(PICKS)
    assert torch.equal(fa.data, fb.data)
    assert torch.equal(fa.pts_seconds, fb.pts_seconds)
    assert torch.equal(fa.duration_seconds, fb.duration_seconds)
    ta, tb = a.get_frames_played_at([0.5, 1.99]), b.get_frames_played_at([0.5, 1.99])
    assert torch.equal(ta.data, tb.data)


@pytest.mark.parametrize("kind", SOURCE_KINDS)
def test_sources_roundtrip(kind: str) -> None:
    decoder = VideoDecoder(source_of(generate.clip(NAME), kind))
    decoder[10]  # a decoder that has been used pickles the same
    check_lazy_clone(decoder, kind, _assert_same)


def test_options_survive() -> None:
    decoder = VideoDecoder(
        generate.clip(NAME),
        dimension_order="NHWC",
        output_dtype=torch.float32,
        num_ffmpeg_threads=2,
        transforms=[transforms.Resize((60, 80))],
    )
    clone = _roundtrip(decoder)
    frame = clone[5]
    assert frame.shape == (60, 80, 3)
    assert frame.dtype == torch.float32
    assert torch.equal(frame, decoder[5])
    _assert_same(decoder, clone)


def test_random_crop_position_survives() -> None:
    # Several seeds: the clone must crop where the original drew, not redraw.
    for seed in range(4):
        torch.manual_seed(seed)
        decoder = VideoDecoder(generate.clip(NAME), transforms=[transforms.RandomCrop((50, 70))])
        torch.manual_seed(seed + 100)
        clone = _roundtrip(decoder)
        assert torch.equal(clone[30], decoder[30])
        full = VideoDecoder(generate.clip(NAME))[30]
        step = decoder._open_args["transforms"][0]
        top, left = pickle.loads(pickle.dumps(step)).__getstate__()[3:]
        assert torch.equal(decoder[30], full[:, top : top + 50, left : left + 70])


def test_approximate_mode_roundtrip() -> None:
    decoder = VideoDecoder(generate.clip(NAME), seek_mode="approximate")
    clone = _roundtrip(decoder)
    assert clone._index is None
    _assert_same(decoder, clone)


def test_index_is_not_rescanned() -> None:
    # A custom mapping of only the first 30 frames: a scan would find 60, so a
    # clone with 30 frames shows that the pickled index was used.
    frames = generate.probe_frames(NAME)[:30]
    mapping = json.dumps(
        {
            "frames": [
                {
                    "pts": f["pts"],
                    "duration": f.get("duration", f.get("pkt_duration")),
                    "key_frame": f["key_frame"],
                }
                for f in frames
            ]
        }
    )
    decoder = VideoDecoder(generate.clip(NAME), custom_frame_mappings=mapping)
    assert len(decoder) == 30
    clone = _roundtrip(decoder)
    assert len(clone) == 30
    assert clone._decoder.num_frames == 30
    assert clone._decoder.index_pts() == decoder._decoder.index_pts()
    assert torch.equal(clone[29], VideoDecoder(generate.clip(NAME))[29])
    with pytest.raises(IndexError):
        clone[30]


def test_pickled_index_matches_the_scan() -> None:
    decoder = VideoDecoder(generate.clip("vfr"))
    clone = _roundtrip(decoder)
    assert clone._decoder.index_pts() == decoder._decoder.index_pts()
    assert clone._decoder.index_durations() == decoder._decoder.index_durations()
    assert clone._decoder.index_key_frames() == decoder._decoder.index_key_frames()
    _assert_same(decoder, clone)


def test_clone_of_a_clone() -> None:
    decoder = VideoDecoder(generate.clip(NAME))
    twice = _roundtrip(_roundtrip(decoder))  # the middle one never opened
    _assert_same(decoder, twice)


def test_copy_and_deepcopy() -> None:
    decoder = VideoDecoder(generate.clip(NAME))
    for clone in (copy.copy(decoder), copy.deepcopy(decoder)):
        assert clone._core_decoder is not decoder._core_decoder
        _assert_same(decoder, clone)


def test_file_like_source_does_not_pickle() -> None:
    with open(generate.clip(NAME), "rb") as f:
        decoder = VideoDecoder(f)
        with pytest.raises(
            TypeError, match="file-like object .*BufferedReader.* cannot be pickled"
        ):
            pickle.dumps(decoder)
    decoder = VideoDecoder(io.BytesIO(generate.clip(NAME).read_bytes()))
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(decoder)

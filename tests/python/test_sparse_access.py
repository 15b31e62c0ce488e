"""Sparse frame access: the decoder rolls forward from a key frame and may
skip frames nothing refers to on the way, but every frame it returns must
still be the ffmpeg CLI's frame, whatever the threading."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

_MEDIA = Path(__file__).resolve().parents[1] / "media"
if str(_MEDIA) not in sys.path:
    sys.path.insert(0, str(_MEDIA))

import generate  # noqa: E402
from codecflow.decoders import VideoDecoder  # noqa: E402

# B-frames (some non-reference), open GOPs, HEVC, VP9 alt-refs, an edit list
# whose first shown frame is not a key frame, and variable frame rate.
CLIPS = ["h264_bframes", "h264_open_gop", "hevc", "vp9", "edit_list", "vfr"]


def _reference(name: str) -> torch.Tensor:
    return torch.from_numpy(generate.reference_frames(name)).permute(0, 3, 1, 2)


@pytest.mark.parametrize("threads", [1, 0])
@pytest.mark.parametrize("name", CLIPS)
def test_sparse_indices_match_the_cli(name: str, threads: int) -> None:
    reference = _reference(name)
    n = reference.shape[0]
    # Every 5th frame, then frames in reverse, then the last frame alone:
    # rolls forward over skippable frames, seeks back, and jumps ahead.
    wanted = list(range(1, n, 5)) + list(range(n - 2, 0, -7)) + [n - 1, 2]
    decoder = VideoDecoder(str(generate.clip(name)), num_ffmpeg_threads=threads)
    got = decoder.get_frames_at(wanted).data
    for k, i in enumerate(wanted):
        assert torch.equal(got[k], reference[i]), f"{name}: frame {i} (threads={threads})"


@pytest.mark.parametrize("name", CLIPS)
def test_single_frames_then_neighbours_match_the_cli(name: str) -> None:
    reference = _reference(name)
    n = reference.shape[0]
    decoder = VideoDecoder(str(generate.clip(name)))
    # A frame far ahead, then the frames just before it (skipped on the way
    # there), then just after it.
    for i in (n - 3, n - 4, n - 5, n - 2, n // 2, n // 2 - 1, n // 2 + 1):
        assert torch.equal(decoder[i], reference[i]), f"{name}: frame {i}"


@pytest.mark.parametrize("name", ["h264_bframes", "h264_open_gop"])
def test_frames_played_at_sparse_times_match_the_cli(name: str) -> None:
    reference = _reference(name)
    decoder = VideoDecoder(str(generate.clip(name)))
    pts = [f for f in generate.probe_frames(name)]
    n = reference.shape[0]
    wanted = [n - 1, 3, n // 2, 7]
    fps = decoder.metadata.average_fps
    begin = decoder.metadata.begin_stream_seconds
    times = [begin + (i + 0.5) / fps for i in wanted]
    got = decoder.get_frames_played_at(times).data
    assert len(pts) == n
    for k, i in enumerate(wanted):
        assert torch.equal(got[k], reference[i]), f"{name}: frame {i}"


def test_sparse_indices_in_mpegts_match_the_cli(tmp_path: Path) -> None:
    # MPEG-TS seeks by decode time: a seek to a key frame's pts can land on a
    # later key frame, from which the decoder must retry.
    import subprocess

    ts = tmp_path / "bframes.ts"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(generate.clip("h264_bframes")),
                    "-c", "copy", "-f", "mpegts", str(ts)], check=True)
    raw = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(ts), "-map", "0:v:0",
                          "-fps_mode", "passthrough", "-pix_fmt", "rgb24", "-f", "rawvideo", "-"],
                         check=True, capture_output=True).stdout
    decoder = VideoDecoder(str(ts))
    h, w = decoder.metadata.height, decoder.metadata.width
    reference = torch.frombuffer(bytearray(raw), dtype=torch.uint8).view(-1, h, w, 3)
    reference = reference.permute(0, 3, 1, 2)
    n = len(decoder)
    assert n == reference.shape[0]
    wanted = list(range(n - 1, 0, -4)) + list(range(0, n, 6))
    got = decoder.get_frames_at(wanted).data
    for k, i in enumerate(wanted):
        assert torch.equal(got[k], reference[i]), f"frame {i}"

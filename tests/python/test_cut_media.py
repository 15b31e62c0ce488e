"""A video file that ends early decodes what is there, as the ffmpeg CLI does.

A file cut short (an interrupted download or write) can end inside a packet.
Its frame index then holds the frames that decode, in both seek modes: the
length, metadata.num_frames, index and time ranges and samplers all agree
with ``ffmpeg -i CUT -fps_mode passthrough -pix_fmt rgb24 -f rawvideo -``.
A channel count that changes mid-stream keeps the output's first one.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

import generate
from codecflow.decoders import AudioDecoder, VideoDecoder
from codecflow.samplers import clips_at_regular_indices


def _cli_frames(path: Path, height: int, width: int) -> torch.Tensor:
    # passthrough: the CLI's default for MP4 output timing repeats frames.
    run = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "quiet", "-i", str(path), "-map", "0:v:0",
         "-fps_mode", "passthrough", "-pix_fmt", "rgb24", "-f", "rawvideo", "-"],
        capture_output=True, check=False,
    )  # fmt: skip
    frames = np.frombuffer(run.stdout, dtype=np.uint8).reshape(-1, height, width, 3)
    return torch.from_numpy(frames.copy()).permute(0, 3, 1, 2)


def _cut(name: str, fraction: float, tmp_path: Path) -> Path:
    data = generate.clip(name).read_bytes()
    path = tmp_path / f"cut_{name}{generate.clip(name).suffix}"
    path.write_bytes(data[: int(len(data) * fraction)])
    return path


_CUT_VIDEOS = ["h264_faststart", "hevc_faststart", "h264_fragmented", "vp9", "mpeg4"]


@pytest.mark.parametrize("seek_mode", ["exact", "approximate"])
@pytest.mark.parametrize("fraction", [0.5, 0.77, 0.931])
@pytest.mark.parametrize("name", _CUT_VIDEOS)
def test_cut_video_gives_what_the_cli_gives(
    name: str, fraction: float, seek_mode: str, tmp_path: Path
) -> None:
    path = _cut(name, fraction, tmp_path)
    whole = VideoDecoder(generate.clip(name))
    decoder = VideoDecoder(path, seek_mode=seek_mode)
    cli = _cli_frames(path, whole.metadata.height, whole.metadata.width)
    count = len(decoder)
    assert 0 < count < len(whole)
    assert count == cli.shape[0] == decoder.metadata.num_frames
    frames = decoder.get_all_frames()
    assert frames.data.shape[0] == count
    assert torch.equal(decoder.get_frames_in_range(0, count).data, frames.data)
    with pytest.raises(IndexError):
        decoder.get_frame_at(count)
    # Every frame is the uncut file's frame at its pts, and the CLI's.
    whole_pts = whole.get_all_frames().pts_seconds.tolist()
    positions = [whole_pts.index(t) for t in frames.pts_seconds.tolist()]
    # MPEG-4 part 2 makes a frame of the partial last packet, concealing
    # what is missing, as the CLI does: only the frames before it are the
    # uncut file's.
    whole_frames = count - 1 if name == "mpeg4" else count
    assert positions == sorted(positions)
    assert torch.equal(frames.data[:whole_frames],
                       whole.get_frames_at(positions[:whole_frames]).data)
    if name == "mpeg4" and fraction == 0.5:
        # There the cut packet is a key frame, concealed from the frame
        # decoded before it: the CLI's previous frame, nothing after the
        # seek to a key frame that reaching it takes here.
        assert torch.equal(frames.data[:-1], cli[:-1])
    else:
        assert torch.equal(frames.data, cli)
    # Time ranges and samplers see the same frames.
    end = decoder.metadata.end_stream_seconds
    played = decoder.get_frames_played_in_range(decoder.metadata.begin_stream_seconds, end)
    assert torch.equal(played.data, frames.data)
    clips = clips_at_regular_indices(decoder, num_clips=2, num_frames_per_clip=2)
    assert clips.data.shape[:2] == (2, 2)


def test_fragmented_mp4_cut_mid_fragment_keeps_the_frames_before(tmp_path: Path) -> None:
    path = _cut("h264_fragmented", 0.5, tmp_path)
    whole = VideoDecoder(generate.clip("h264_fragmented"))
    decoder = VideoDecoder(path)
    assert 10 <= len(decoder) < len(whole)
    for i in range(10):
        assert torch.equal(decoder.get_frame_at(i).data, whole.get_frame_at(i).data)
    # Reading it from bytes gives the same frames.
    from_bytes = VideoDecoder(path.read_bytes())
    assert len(from_bytes) == len(decoder)
    assert torch.equal(from_bytes.get_all_frames().data, decoder.get_all_frames().data)


def test_whole_faststart_mp4_keeps_every_frame() -> None:
    # Its last packet ends at the last byte of the file and is whole.
    for name, original in [("h264_faststart", "h264_bframes"), ("hevc_faststart", "hevc")]:
        decoder = VideoDecoder(generate.clip(name))
        assert len(decoder) == len(VideoDecoder(generate.clip(original)))
        assert torch.equal(decoder.get_all_frames().data,
                           VideoDecoder(generate.clip(original)).get_all_frames().data)


# -- audio whose channel count changes mid-stream ------------------------------------


@pytest.mark.parametrize("options", [{}, {"num_channels": 2}, {"num_channels": 1},
                                     {"sample_rate": 16000}])  # fmt: skip
@pytest.mark.parametrize("name", ["mp3_mono_then_stereo", "mp3_stereo_then_mono"])
def test_channel_count_change_gives_what_the_cli_gives(name: str, options: dict) -> None:
    path = generate.clip(name)
    args = ["ffmpeg", "-nostdin", "-v", "quiet", "-i", str(path), "-map", "0:a:0"]
    if "num_channels" in options:
        args += ["-ac", str(options["num_channels"])]
    if "sample_rate" in options:
        args += ["-ar", str(options["sample_rate"])]
    cli = np.frombuffer(subprocess.run([*args, "-f", "f32le", "-"], capture_output=True,
                                       check=True).stdout, dtype="<f4")  # fmt: skip
    first = 1 if name.startswith("mp3_mono") else 2
    samples = AudioDecoder(path, **options).get_all_samples()
    assert samples.data.shape[0] == options.get("num_channels", first)
    assert samples.data.shape[1] > 80000 * options.get("sample_rate", 44100) // 44100
    ours = samples.data.numpy().T.reshape(-1)
    if "sample_rate" in options:
        # Resampled, the pipeline finishes the first part's conversion at the
        # change, where the CLI's output differs by a few samples; up to the
        # change (1 s) the samples are the CLI's.
        head = 16000 * samples.data.shape[0]
        assert np.array_equal(ours[:head].view(np.uint32), cli[:head].view(np.uint32))
        assert abs(ours.size - cli.size) <= cli.size // 1000
    else:
        assert np.array_equal(ours.view(np.uint32), cli.view(np.uint32))

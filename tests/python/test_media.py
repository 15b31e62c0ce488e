"""Checks of the test-media generator (tests/media/generate.py) itself."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

if shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None:
    pytest.skip("the ffmpeg command line tools are not installed", allow_module_level=True)

_MEDIA = Path(__file__).resolve().parents[1] / "media"
if str(_MEDIA) not in sys.path:
    sys.path.insert(0, str(_MEDIA))

import generate  # noqa: E402


def _video_stream(name: str) -> dict:
    return next(s for s in generate.probe_streams(name)["streams"] if s["codec_type"] == "video")


def _audio_stream(name: str) -> dict:
    return next(s for s in generate.probe_streams(name)["streams"] if s["codec_type"] == "audio")


@pytest.mark.parametrize("name", generate.names())
def test_asset_exists(name: str) -> None:
    path = generate.clip(name)
    assert path.is_file()
    assert path.stat().st_size > 0


def test_unknown_name() -> None:
    with pytest.raises(KeyError, match="h264_bframes"):
        generate.clip("no_such_clip")


def test_groups_cover_all_names() -> None:
    groups = [*generate.VIDEO, *generate.AUDIO, *generate.OTHER]
    assert sorted(groups) == sorted(generate.names())
    assert generate.clip("video_only") == generate.clip("h264_bframes")


@pytest.mark.parametrize("name", generate.VIDEO)
def test_reference_frames_match_probe(name: str) -> None:
    frames = generate.reference_frames(name)
    assert frames.dtype == np.uint8
    assert frames.ndim == 4 and frames.shape[-1] == 3
    assert frames.shape[0] == len(generate.probe_frames(name)) > 0
    stream = _video_stream(name)
    size = (int(stream["height"]), int(stream["width"]))
    if abs(generate.rotation(name)) % 180 == 90:
        size = size[::-1]
    assert frames.shape[1:3] == size
    # Not all black: the frames really were decoded.
    assert frames.max() > 100


def test_codecs_and_pixel_formats() -> None:
    expected = {
        "h264_bframes": ("h264", "yuv420p"),
        "hevc": ("hevc", "yuv420p"),
        "vp9": ("vp9", "yuv420p"),
        "mpeg4": ("mpeg4", "yuv420p"),
        "av1": ("av1", "yuv420p"),
        "yuv444p": ("h264", "yuv444p"),
        "yuvj420p": ("mjpeg", "yuvj420p"),
        "yuv420p10": ("hevc", "yuv420p10le"),
        "hevc_yuv444p": ("hevc", "yuv444p"),
        "hevc_yuv444p10": ("hevc", "yuv444p10le"),
    }
    for name, (codec, pix_fmt) in expected.items():
        stream = _video_stream(name)
        assert (stream["codec_name"], stream["pix_fmt"]) == (codec, pix_fmt), name
    assert _video_stream("odd_size")["width"] == 650
    assert _video_stream("odd_size")["height"] == 370


def test_bframes_reorder() -> None:
    packets = generate.probe_packets("h264_bframes")
    pts = [int(p["pts"]) for p in packets]
    assert pts != sorted(pts)
    frames = generate.probe_frames("h264_bframes")
    assert {f["pict_type"] for f in frames} >= {"I", "P", "B"}
    assert sum(f["key_frame"] for f in frames) >= 4


def test_open_gop_has_leading_frames() -> None:
    packets = generate.probe_packets("h264_open_gop")
    keys = [i for i, p in enumerate(packets) if "K" in p["flags"]]
    assert len(keys) >= 3
    # After a non-first key frame, packets that follow it in decode order
    # are shown before it: they reference the previous GOP.
    k = keys[1]
    assert int(packets[k + 1]["pts"]) < int(packets[k]["pts"])


def test_vfr_has_uneven_frame_gaps() -> None:
    pts = [int(f["pts"]) for f in generate.probe_frames("vfr")]
    gaps = set(np.diff(pts).tolist())
    assert len(gaps) > 1
    durations = {int(p["duration"]) for p in generate.probe_packets("vfr")}
    assert len(durations) > 1
    assert len(generate.reference_frames("vfr")) == 60


def test_edit_list() -> None:
    frames = generate.probe_frames("edit_list")
    packets = generate.probe_packets("edit_list")
    # The first frame shown is not a key frame; the key frame it depends on
    # is decoded before time 0 and discarded.
    assert frames[0]["key_frame"] == 0
    assert int(frames[0]["pts"]) == 0
    assert "K" in packets[0]["flags"] and int(packets[0]["pts"]) < 0
    assert any("D" in p["flags"] for p in packets)
    assert len(packets) > len(frames) == len(generate.reference_frames("edit_list"))


@pytest.mark.parametrize(
    ("name", "rotation", "turns_cw"),
    [
        ("rot0", 0.0, 0),
        ("rot90", -90.0, 1),
        ("rot180", -180.0, 2),
        ("rot270", 90.0, 3),
    ],
)
def test_rotation(name: str, rotation: float, turns_cw: int) -> None:
    assert generate.rotation(name) == rotation
    stream = _video_stream(name)
    assert (stream["width"], stream["height"]) == (320, 240)
    if turns_cw:
        sides = [s["side_data_type"] for s in stream.get("side_data_list", [])]
        assert "Display Matrix" in sides
    frames = generate.reference_frames(name)
    assert frames.shape[1:3] == ((320, 240) if turns_cw % 2 else (240, 320))
    # The displayed frames are the unrotated ones turned clockwise.
    upright = generate.reference_frames("rot0")
    turned = np.rot90(upright, k=-turns_cw, axes=(1, 2))
    assert np.abs(turned.astype(np.int16) - frames).mean() < 1.0


AUDIO_CHANNELS = {
    "wav_u8": 2,
    "wav_s16": 2,
    "wav_s24": 2,
    "wav_s32": 2,
    "wav_f32": 2,
    "wav_f64": 2,
    "wav_extensible": 6,
    "wav_rf64": 2,
    "mp3": 2,
    "aac_m4a": 2,
    "flac": 2,
    "vorbis_ogg": 2,
    "opus_ogg": 2,
    "opus_webm": 2,
    "mono_flac": 1,
    "surround51_flac": 6,
}


def test_audio_names() -> None:
    assert sorted(AUDIO_CHANNELS) == sorted(generate.AUDIO)


@pytest.mark.parametrize("name", [*generate.AUDIO, "h264_audio"])
def test_audio_reference(name: str) -> None:
    samples = generate.audio_reference(name)
    stream = _audio_stream(name)
    assert samples.dtype == np.float32
    assert samples.shape[0] == int(stream["channels"]) == AUDIO_CHANNELS.get(name, 2)
    rate = int(stream["sample_rate"])
    assert 0.9 < samples.shape[1] / rate < 2.2
    assert 0.3 < np.abs(samples).max() <= 1.0
    if samples.shape[0] > 1:
        # Every channel carries its own frequency.
        assert not np.allclose(samples[0], samples[1], atol=1e-2)


def test_audio_reference_resample_and_remix() -> None:
    native = generate.audio_reference("surround51_flac")
    mixed = generate.audio_reference("surround51_flac", sample_rate=16000, num_channels=2)
    assert mixed.shape[0] == 2
    assert abs(mixed.shape[1] - native.shape[1] * 16000 / 44100) <= 64


def test_wav_variants() -> None:
    def format_tag(name: str) -> tuple[bytes, int]:
        head = generate.clip(name).read_bytes()[:64]
        if head[:4] == b"RF64":
            return head[:4], struct.unpack_from("<H", head, head.index(b"fmt ") + 8)[0]
        return head[:4], struct.unpack_from("<H", head, 20)[0]

    assert format_tag("wav_s16") == (b"RIFF", 1)
    assert format_tag("wav_u8") == (b"RIFF", 1)
    assert format_tag("wav_extensible") == (b"RIFF", 0xFFFE)
    assert format_tag("wav_rf64")[0] == b"RF64"
    assert _audio_stream("wav_extensible")["channel_layout"] == "5.1"


def test_broken_inputs() -> None:
    full = generate.clip("h264_bframes").read_bytes()
    truncated = generate.clip("truncated_mp4").read_bytes()
    assert full.startswith(truncated) and len(truncated) < len(full)
    assert generate.clip("text_file").read_text().strip()
    # The truncated file has lost its moov box; the neutral-suffix text file
    # is not media at all, while the .txt one opens as ANSI art.
    for name in ("truncated_mp4", "not_media"):
        proc = subprocess.run(
            ["ffprobe", "-v", "error", str(generate.clip(name))], capture_output=True, check=False
        )
        assert proc.returncode != 0, name
    fmt = generate.probe_streams("text_file")["format"]["format_name"]
    assert fmt == "tty"


def test_cache_regenerates_on_recipe_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODECFLOW_MEDIA_DIR", str(tmp_path))
    path = generate.clip("text_file")
    assert path.parent == tmp_path
    sidecar = path.with_name(path.name + ".recipe")
    assert sidecar.is_file()
    mtime = os.stat(path).st_mtime_ns
    assert generate.clip("text_file") == path and os.stat(path).st_mtime_ns == mtime
    # A stale recipe hash forces regeneration; a damaged file is replaced.
    sidecar.write_text('{"hash": "stale"}')
    path.write_text("damaged")
    generate.clip("text_file")
    assert path.read_text() != "damaged"
    assert not list(tmp_path.glob(".tmp-*"))

"""[extra] The command line (python -m codecflow / codecflow) and the reprs."""

from __future__ import annotations

import io
import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest
import torch

import codecflow
from codecflow import _cli
from codecflow.decoders import AudioDecoder, VideoDecoder
from codecflow.encoders import AudioEncoder, Encoder, VideoEncoder

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _run_main(capsys, *argv):
    code = _cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_info_table(media, capsys):
    path = str(media.clip("h264_audio"))
    code, out, _ = _run_main(capsys, "info", path)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == path
    assert "streams: 2" in lines[1]
    video = next(line for line in lines if " video " in line)
    assert "h264" in video and "320x240" in video and "30 fps" in video and "60 frames" in video
    assert video.split()[0] == "0*"
    audio = next(line for line in lines if " audio " in line)
    assert "aac" in audio and "48000 Hz" in audio and "2 ch" in audio


def test_info_json_matches_the_metadata(media, capsys):
    path = str(media.clip("h264_audio"))
    code, out, _ = _run_main(capsys, "info", path, "--json")
    assert code == 0
    data = json.loads(out)
    meta = codecflow.get_container_metadata(path)
    assert data["container"]["best_video_stream_index"] == meta.best_video_stream_index
    assert [s["codec"] for s in data["streams"]] == [s.codec for s in meta.streams]
    assert data["streams"][0]["media_type"] == "video"
    assert data["streams"][0]["width"] == meta.streams[0].width
    assert data["streams"][1]["sample_rate"] == meta.streams[1].sample_rate


def test_info_of_a_bad_file_fails(tmp_path, capsys):
    code, _, err = _run_main(capsys, "info", str(tmp_path / "missing.mp4"))
    assert code == 1 and "no such file" in err
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video at all")
    code, _, err = _run_main(capsys, "info", str(bad))
    assert code == 1 and "bad.mp4" in err


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        _cli.main(["frobnicate"])
    assert exit_info.value.code == 2
    with pytest.raises(SystemExit) as exit_info:
        _cli.main(["index", "somewhere"])  # --cache is required
    assert exit_info.value.code == 2


def test_doctor(capsys):
    code, out, _ = _run_main(capsys, "doctor")
    assert code == 0
    assert out.startswith(f"codecflow {codecflow.__version__}, FFmpeg ")
    assert "libavcodec" in out and "configuration: " in out
    assert "h264" in out and "hardware device types:" in out
    for label in ("CUDA driver:", "NVDEC:", "NVENC:"):
        line = next(line for line in out.splitlines() if line.startswith(label))
        # Either it loads, or the loader's own message says why not.
        assert "loads (" in line or "does not load: " in line and len(line) > 40
    code, out, _ = _run_main(capsys, "doctor", "--json")
    data = json.loads(out)
    assert {lib["name"] for lib in data["libraries"]} >= {"libavcodec", "libavformat"}
    names = {(c["name"], c["decoder"]) for c in data["codecs"]}
    assert ("h264", True) in names and ("libx264", False) in names
    assert set(data["cuda"]) >= {"built_with_cuda", "cuda_driver", "nvdec", "nvenc"}


def _dataset(media, root):
    (root / "a").mkdir(parents=True)
    (root / "a" / "b").mkdir()
    shutil.copy(media.clip("h264_bframes"), root / "a" / "one.mp4")
    shutil.copy(media.clip("vp9"), root / "a" / "b" / "two.webm")
    (root / "a" / "notes.txt").write_text("not a video")
    return root / "a"


def test_index_fills_the_cache(media, tmp_path, capsys):
    data = _dataset(media, tmp_path)
    cache = tmp_path / "cache"
    code, out, err = _run_main(capsys, "index", str(data), "--cache", str(cache), "--jobs", "2")
    assert code == 0, out
    assert "indexed 2 files, 0 already cached, 0 failed" in out
    assert "2/2 files" in err
    assert len([p for p in os.listdir(cache) if p.endswith(".cfidx")]) == 2
    decoder = VideoDecoder(data / "one.mp4", index_cache=cache)
    assert decoder._index_origin == "cache"
    code, out, _ = _run_main(capsys, "index", str(data), "--cache", str(cache), "--quiet")
    assert code == 0 and "indexed 0 files, 2 already cached" in out


def test_index_reports_failures_with_exit_status_1(media, tmp_path, capsys):
    data = _dataset(media, tmp_path)
    (data / "broken.mp4").write_bytes(b"\x00" * 1000)
    cache = tmp_path / "cache"
    code, out, _ = _run_main(capsys, "index", str(data), "--cache", str(cache), "--jobs", "1",
                             "--quiet")
    assert code == 1
    assert "indexed 2 files, 0 already cached, 1 failed" in out
    assert f"FAILED {data / 'broken.mp4'}: InvalidMediaError" in out
    missing = tmp_path / "missing.mp4"
    code, out, _ = _run_main(capsys, "index", str(missing), "--cache", str(cache), "--quiet")
    assert code == 1 and f"FAILED {missing}: MediaNotFoundError" in out
    (tmp_path / "empty").mkdir()
    code, _, err = _run_main(capsys, "index", str(tmp_path / "empty"), "--cache", str(cache))
    assert code == 1 and "no video files found" in err


def test_python_dash_m_and_console_script(media):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "python"))
    result = subprocess.run(
        [sys.executable, "-m", "codecflow", "info", str(media.clip("vp9")), "--json"],
        capture_output=True, text=True, env=env, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["streams"][0]["codec"] == "vp9"
    result = subprocess.run([sys.executable, "-m", "codecflow", "info", "/no/such/file.mp4"],
                            capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 1
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '[project.scripts]\ncodecflow = "codecflow._cli:main"' in pyproject


# -- reprs -----------------------------------------------------------------


def test_decoder_reprs(media):
    path = str(media.clip("h264_audio"))
    text = repr(VideoDecoder(path))
    assert text == (
        f"VideoDecoder({path!r}, stream_index=0, codec='h264', size=320x240, num_frames=60, "
        "fps=30.000, seek_mode='exact', index='scan', device='cpu')"
    )
    approx = repr(VideoDecoder(media.clip("h264_audio").read_bytes(), seek_mode="approximate"))
    assert approx.startswith("VideoDecoder(<") and "seek_mode='approximate'" in approx
    assert repr(AudioDecoder(path)) == (
        "AudioDecoder(stream_index=1, codec='aac', sample_rate=48000, num_channels=2, "
        "duration_seconds=2)"
    )


def test_encoder_reprs():
    frames = torch.zeros(4, 3, 16, 32, dtype=torch.uint8)
    assert repr(VideoEncoder(frames, frame_rate=25)) == (
        "VideoEncoder(frames=4, size=32x16, frame_rate=25, device='cpu')"
    )
    assert repr(AudioEncoder(torch.zeros(2, 80), sample_rate=8000)) == (
        "AudioEncoder(num_channels=2, num_samples=80, sample_rate=8000)"
    )
    encoder = Encoder()
    video = encoder.add_video(height=16, width=32, frame_rate=30, codec="libx264")
    audio = encoder.add_audio(sample_rate=8000, num_channels=1)
    assert repr(video) == (
        "VideoStream(index=0, size=32x16, frame_rate=30, codec='libx264', device='cpu')"
    )
    assert repr(audio) == (
        "AudioStream(index=1, num_channels=1, sample_rate=8000, codec='container default')"
    )
    assert repr(encoder) == f"Encoder(not open, [{video!r}, {audio!r}])"
    encoder.open_file_like(io.BytesIO(), format="mkv")
    try:
        assert repr(encoder).startswith("Encoder(open, [VideoStream(index=0")
    finally:
        encoder.close()

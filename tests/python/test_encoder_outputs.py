"""Outputs are atomic: a path holds its old content or the complete new file,
never a broken one, even when the process is killed mid-encode."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import threading
import time

import pytest
import torch

from codecflow.decoders import VideoDecoder
from codecflow.encoders import Encoder, VideoEncoder

FRAMES = torch.randint(0, 256, (6, 3, 64, 64), dtype=torch.uint8,
                       generator=torch.Generator().manual_seed(5))  # fmt: skip


def partials(directory) -> list:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".partial"))


def test_the_path_appears_complete_on_close(tmp_path):
    dest = tmp_path / "out.mp4"
    encoder = Encoder()
    video = encoder.add_video(height=64, width=64, frame_rate=30)
    encoder.open_file(dest)
    video.add_frames(FRAMES)
    assert not dest.exists()
    (temporary,) = partials(tmp_path)
    assert temporary.startswith(".out.mp4.") and temporary.endswith(".partial")
    encoder.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.mp4"]
    assert len(VideoDecoder(dest)) == 6


def test_an_existing_file_keeps_its_content_until_close_and_its_mode(tmp_path):
    dest = tmp_path / "out.mkv"
    dest.write_bytes(b"old content")
    os.chmod(dest, 0o640)
    encoder = Encoder()
    video = encoder.add_video(height=64, width=64, frame_rate=30)
    with encoder.open_file(dest):
        video.add_frames(FRAMES)
        assert dest.read_bytes() == b"old content"
    assert stat.S_IMODE(dest.stat().st_mode) == 0o640
    assert len(VideoDecoder(dest)) == 6
    assert partials(tmp_path) == []


def test_a_new_file_gets_the_usual_mode(tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    VideoEncoder(FRAMES, frame_rate=30).to_file(tmp_path / "out.mp4")
    assert stat.S_IMODE((tmp_path / "out.mp4").stat().st_mode) == 0o666 & ~umask


def test_a_symbolic_link_is_written_through(tmp_path):
    target = tmp_path / "data" / "clip.mp4"
    target.parent.mkdir()
    target.write_bytes(b"old")
    link = tmp_path / "link.mp4"
    link.symlink_to(target)
    VideoEncoder(FRAMES, frame_rate=30).to_file(link)
    assert link.is_symlink()
    assert len(VideoDecoder(target)) == 6
    assert partials(tmp_path) == [] and partials(target.parent) == []


def test_a_caught_failure_leaves_neither_file(tmp_path):
    encoder = Encoder()
    video = encoder.add_video(height=64, width=64, frame_rate=30)
    encoder.open_file(tmp_path / "out.mp4")
    video.add_frames(FRAMES)
    with pytest.raises(ValueError):
        video.add_frames(FRAMES.float())
    encoder._abort()
    assert list(tmp_path.iterdir()) == []


def test_a_fifo_is_written_in_place(tmp_path):
    fifo = tmp_path / "stream.mkv"
    os.mkfifo(fifo)
    received = bytearray()

    def read():
        with open(fifo, "rb") as f:
            received.extend(f.read())

    reader = threading.Thread(target=read)
    reader.start()
    VideoEncoder(FRAMES, frame_rate=30).to_file(fifo, codec="ffv1")
    reader.join(timeout=30)
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert partials(tmp_path) == []
    assert len(VideoDecoder(bytes(received))) == 6


_KILLED_SCRIPT = textwrap.dedent(
    """
    import sys, torch
    from codecflow.encoders import Encoder
    frames = torch.randint(0, 256, (10, 3, 64, 64), dtype=torch.uint8)
    encoder = Encoder()
    video = encoder.add_video(height=64, width=64, frame_rate=30, codec="ffv1")
    encoder.open_file(sys.argv[1])
    while True:  # until killed
        video.add_frames(frames)
        print("more", flush=True)
    """
)


def test_a_killed_process_leaves_only_the_temporary_file(tmp_path):
    dest = tmp_path / "killed.mkv"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    process = subprocess.Popen(
        [sys.executable, "-c", _KILLED_SCRIPT, str(dest)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
    )  # fmt: skip
    try:
        for _ in range(5):  # a few batches encoded and written
            assert process.stdout.readline() == b"more\n"
        deadline = time.monotonic() + 30
        while not any((tmp_path / p).stat().st_size > 0 for p in partials(tmp_path)):
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
        process.stdout.close()
    assert not dest.exists()
    (temporary,) = partials(tmp_path)
    assert temporary.startswith(".killed.mkv.")


def test_a_missing_directory_is_a_file_not_found_error(tmp_path):
    dest = tmp_path / "missing" / "out.mp4"
    with pytest.raises(FileNotFoundError, match="make sure it is a valid, writable path") as info:
        VideoEncoder(FRAMES, frame_rate=30).to_file(dest)
    assert isinstance(info.value, RuntimeError)  # as TorchCodec raises
    assert list(tmp_path.iterdir()) == []


def test_a_device_is_written_in_place(tmp_path):
    # A link named like a video, to /dev/null: written through, no temporary file.
    link = tmp_path / "discard.mkv"
    link.symlink_to("/dev/null")
    VideoEncoder(FRAMES, frame_rate=30).to_file(link, codec="ffv1")
    assert link.is_symlink() and stat.S_ISCHR(link.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["discard.mkv"]

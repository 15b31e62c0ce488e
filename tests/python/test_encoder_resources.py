"""Encoders release what they hold: threads and memory stay flat over many
encodes, and the same input gives the same bytes whatever the heap held."""

from __future__ import annotations

import gc
import hashlib
import io
import os
import re
import subprocess
import sys
import textwrap
from typing import Callable, Tuple

import pytest
import torch
from _encoding import generate

from codecflow.encoders import AudioEncoder, Encoder, VideoEncoder

FRAMES = torch.randint(
    0, 256, (5, 3, 64, 64), dtype=torch.uint8, generator=torch.Generator().manual_seed(0)
)
SAMPLES = torch.rand(2, 4800, generator=torch.Generator().manual_seed(1)) * 2 - 1


def threads_and_rss() -> Tuple[int, int]:
    """This process's thread count and resident memory in bytes, from /proc."""
    with open("/proc/self/status") as f:
        status = f.read()
    threads = int(re.search(r"^Threads:\s+(\d+)", status, re.M).group(1))
    rss_kb = int(re.search(r"^VmRSS:\s+(\d+)", status, re.M).group(1))
    return threads, rss_kb * 1024


def _multi_stream(dest) -> None:
    encoder = Encoder()
    video = encoder.add_video(height=64, width=64, frame_rate=30)
    audio = encoder.add_audio(sample_rate=48000, num_channels=2)
    encoder.open_file(dest)
    video.add_frames(FRAMES)
    audio.add_samples(SAMPLES)
    encoder.close()


def _background(dest) -> None:
    encoder = Encoder(max_queued_frames=4)
    video = encoder.add_video(height=64, width=64, frame_rate=30)
    with encoder.open_file_like(io.BytesIO(), format="mkv"):
        video.add_frames(FRAMES)


def _failing_open(dest) -> None:
    # Streams configured, then an open that fails: nothing may stay behind.
    encoder = Encoder()
    encoder.add_video(height=64, width=64, frame_rate=30, extra_options={"no_such_option": 1})
    with pytest.raises(ValueError):
        encoder.open_file(dest)


ENTRY_POINTS: dict = {
    "video_to_tensor": lambda dest: VideoEncoder(FRAMES, frame_rate=30).to_tensor("mp4"),
    "video_to_file": lambda dest: VideoEncoder(FRAMES, frame_rate=30).to_file(dest),
    "video_to_file_like": lambda dest: VideoEncoder(FRAMES, frame_rate=30).to_file_like(
        io.BytesIO(), "mp4"
    ),
    "audio_flac": lambda dest: AudioEncoder(SAMPLES, sample_rate=48000).to_tensor("flac"),
    "audio_mp3_file": lambda dest: AudioEncoder(SAMPLES, sample_rate=48000).to_file(
        dest.with_suffix(".mp3")
    ),
    "multi_stream_encoder": _multi_stream,
    "background_encoder": _background,
    "failing_open": _failing_open,
}


@pytest.mark.parametrize("name", sorted(ENTRY_POINTS))
def test_no_thread_or_memory_growth(name, tmp_path):
    # The cyclic garbage collector is off: whatever an encode leaves to it
    # (an encoder caught in a reference cycle) would pile up. Each libx264
    # encoder holds several threads and megabytes, flac's several more.
    encode: Callable = ENTRY_POINTS[name]
    dest = tmp_path / "out.mp4"
    gc.collect()
    gc.disable()
    try:
        for _ in range(5):  # warm-up: lazily created pools and caches
            encode(dest)
        threads_before, rss_before = threads_and_rss()
        for _ in range(100):
            encode(dest)
        threads_after, rss_after = threads_and_rss()
    finally:
        gc.enable()
    assert threads_after <= threads_before, (threads_before, threads_after)
    assert rss_after - rss_before < 24 * 2**20, (rss_before, rss_after)


def test_flac_encodes_keep_memory_flat():
    # Each flac encoder once kept ~6 MB until the garbage collector ran.
    gc.collect()
    gc.disable()
    try:
        for _ in range(5):
            AudioEncoder(SAMPLES, sample_rate=48000).to_tensor("flac")
        _, before = threads_and_rss()
        for _ in range(150):
            AudioEncoder(SAMPLES, sample_rate=48000).to_tensor("flac")
        _, after = threads_and_rss()
    finally:
        gc.enable()
    assert after - before < 16 * 2**20


def test_closed_encoder_still_answers():
    encoder = Encoder()
    video = encoder.add_video(height=64, width=64, frame_rate=30)
    encoder.open_file_like(io.BytesIO(), format="mp4")
    video.add_frames(FRAMES)
    encoder.close()
    assert encoder._core.stream_info(0)["codec"] == "libx264"
    with pytest.raises(RuntimeError, match="closed"):
        video.add_frames(FRAMES)
    encoder.close()


_SAME_BYTES_SCRIPT = textwrap.dedent(
    """
    import hashlib, sys
    from codecflow.decoders import VideoDecoder
    from codecflow.encoders import VideoEncoder
    frames = VideoDecoder(sys.argv[1]).get_all_frames().data
    data = VideoEncoder(frames, frame_rate=30).to_tensor(
        "mp4", crf=23, extra_options={"threads": 1}
    )
    print(hashlib.md5(data.numpy().tobytes()).hexdigest())
    """
)


def test_same_input_same_bytes_whatever_the_heap_held():
    # glibc fills fresh allocations with a pattern under MALLOC_PERTURB_: an
    # encoder that reads memory it never wrote gives different bytes. (libx264's
    # AVX-512 code does, on CPUs that have it.)
    digests = set()
    for perturb in ("", "165", "37"):
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path), MALLOC_PERTURB_=perturb)
        result = subprocess.run(
            [sys.executable, "-c", _SAME_BYTES_SCRIPT, str(generate.clip("gradients"))],
            capture_output=True,
            text=True,
            env=env,
        )
        assert result.returncode == 0, result.stderr
        digests.add(result.stdout.strip())
    assert len(digests) == 1, digests


def test_repeated_encodes_in_one_process_give_the_same_bytes():
    from codecflow.decoders import VideoDecoder

    frames = VideoDecoder(generate.clip("gradients")).get_all_frames().data
    options = dict(crf=23, extra_options={"threads": 1})
    reference = VideoEncoder(frames, frame_rate=30).to_tensor("mp4", **options)
    for _ in range(3):
        junk = [bytearray(os.urandom(1 << 16)) for _ in range(64)]  # dirty the heap
        del junk
        again = VideoEncoder(frames, frame_rate=30).to_tensor("mp4", **options)
        assert hashlib.md5(again.numpy()).digest() == hashlib.md5(reference.numpy()).digest()

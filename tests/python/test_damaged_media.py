"""Corrupt data raises; a file that simply ends early decodes what is there.

A packet FFmpeg's decoder rejects in the middle of a stream is a
RuntimeError (InvalidMediaError: also a ValueError) naming the packet's time
in seconds; packets rejected right after a seek are skipped, and a file cut
short returns what the ffmpeg CLI returns for it.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

import generate
from codecflow._errors import InvalidMediaError
from codecflow.decoders import AudioDecoder, VideoDecoder, WavDecoder


def _flip_every_7th_byte(data: bytes, start: int, stop: int | None = None) -> bytes:
    damaged = bytearray(data)
    for i in range(start, len(damaged) if stop is None else stop, 7):
        damaged[i] ^= 0xFF
    return bytes(damaged)


def _cli_samples(path: Path) -> tuple[int, np.ndarray]:
    run = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "quiet", "-i", str(path), "-map", "0:a:0", "-f", "f32le", "-"],
        capture_output=True,
        check=False,
    )
    return run.returncode, np.frombuffer(run.stdout, dtype="<f4")


def _interleaved_bits(samples: torch.Tensor) -> np.ndarray:
    return samples.numpy().T.reshape(-1).view(np.uint32)


# -- corrupt audio ----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["path", "bytes", "tensor"])
@pytest.mark.parametrize("name", ["mp3", "long_mp3"])
def test_corrupt_mp3_raises(name: str, kind: str, tmp_path: Path) -> None:
    damaged = _flip_every_7th_byte(generate.clip(name).read_bytes(), 4096)
    path = tmp_path / f"damaged_{name}.mp3"
    path.write_bytes(damaged)
    source = {
        "path": path,
        "bytes": damaged,
        "tensor": torch.frombuffer(bytearray(damaged), dtype=torch.uint8),
    }[kind]
    decoder = AudioDecoder(source)
    for _ in range(2):  # the same error each time, not truncated samples
        with pytest.raises(RuntimeError) as info:
            decoder.get_all_samples()
        assert isinstance(info.value, InvalidMediaError) and isinstance(info.value, ValueError)
        message = str(info.value)
        assert re.search(r"packet at \d+\.\d+ s of audio stream 0", message), message
        described = {"path": str(path), "bytes": f"<bytes of size {len(damaged)}>",
                     "tensor": f"<tensor of {len(damaged)} bytes>"}[kind]  # fmt: skip
        assert described in message
    # What precedes the damage still decodes, bit for bit as the intact file.
    reference = generate.audio_reference(name)
    start = decoder.get_samples_played_in_range(0.0, 0.1)
    t0 = start.pts_seconds
    expected = reference[:, : round((0.1 - t0) * decoder.metadata.sample_rate)]
    assert np.array_equal(start.data.numpy().view(np.uint32), expected.view(np.uint32))


def _damage_packets(name: str, first: float, last: float) -> tuple[bytes, float]:
    """The file with the audio packets whose pts lies in [first, last] s
    overwritten with 0xFF, and the first damaged packet's time."""
    path = generate.clip(name)
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries",
         "packet=pts_time,pos,size", "-of", "json", str(path)],
        capture_output=True, check=True,
    )  # fmt: skip
    packets = [
        p for p in json.loads(probe.stdout)["packets"] if first <= float(p["pts_time"]) <= last
    ]
    assert len(packets) >= 5
    data = bytearray(path.read_bytes())
    for p in packets:
        pos, size = int(p["pos"]), int(p["size"])
        data[pos : pos + size] = b"\xff" * size
    return bytes(data), float(packets[0]["pts_time"])


def test_damaged_packets_right_after_a_seek_are_skipped() -> None:
    damaged, at = _damage_packets("long_aac", 14.3, 14.6)
    clean = AudioDecoder(generate.clip("long_aac"))
    # 15 s is far ahead: the decoder seeks 0.5 s early, landing among the
    # damaged packets, and skips them until a frame decodes.
    decoder = AudioDecoder(damaged)
    got = decoder.get_samples_played_in_range(15.0, 15.5)
    expected = clean.get_samples_played_in_range(15.0, 15.5)
    assert got.pts_seconds == expected.pts_seconds == 15.0
    assert got.data.shape == expected.data.shape == (1, 11025)
    assert (got.data - expected.data).abs().max().item() <= 1e-3
    # Decoding through them from before is corrupt data.
    with pytest.raises(RuntimeError, match=rf"packet at {at:.6f} s .*<bytes of size"):
        AudioDecoder(damaged).get_all_samples()
    with pytest.raises(RuntimeError, match=rf"packet at {at:.6f} s .*<bytes of size"):
        AudioDecoder(damaged).get_samples_played_in_range(13.0, 16.0)
    # Ranges before the damage are intact.
    assert torch.equal(
        decoder.get_samples_played_in_range(1.0, 2.0).data,
        AudioDecoder(generate.clip("long_aac")).get_samples_played_in_range(1.0, 2.0).data,
    )


# -- files cut short ---------------------------------------------------------------


@pytest.mark.parametrize("fraction", [0.5, 0.77, 0.931])
@pytest.mark.parametrize("name", ["mp3", "long_mp3", "flac", "long_aac", "vorbis_ogg",
                                  "opus_ogg", "opus_webm", "wav_s16", "wav_f32"])  # fmt: skip
def test_file_cut_short_gives_what_the_cli_gives(name: str, fraction: float, tmp_path) -> None:
    data = generate.clip(name).read_bytes()
    path = tmp_path / f"cut{generate.clip(name).suffix}"
    path.write_bytes(data[: int(len(data) * fraction)])
    rc, cli = _cli_samples(path)
    if rc != 0 and cli.size == 0:
        # Cut before the headers end: the CLI cannot open it either.
        with pytest.raises(ValueError):
            AudioDecoder(path).get_all_samples()
        return
    samples = AudioDecoder(path).get_all_samples()
    whole = AudioDecoder(generate.clip(name)).get_all_samples()
    assert 0 < samples.data.shape[1] < whole.data.shape[1]
    assert np.array_equal(_interleaved_bits(samples.data), cli.view(np.uint32))
    if name.startswith("wav_"):
        assert torch.equal(WavDecoder(path).get_all_samples().data, samples.data)


# -- video ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["path", "bytes"])
@pytest.mark.parametrize("name", ["h264_bframes", "hevc", "av1"])
def test_corrupt_video_raises(name: str, kind: str, tmp_path: Path) -> None:
    data = generate.clip(name).read_bytes()
    damaged = _flip_every_7th_byte(data, len(data) // 3, len(data) // 3 + 2000)
    path = tmp_path / f"damaged{generate.clip(name).suffix}"
    path.write_bytes(damaged)
    decoder = VideoDecoder(path if kind == "path" else damaged)
    with pytest.raises(RuntimeError) as info:
        decoder.get_all_frames()
    assert isinstance(info.value, InvalidMediaError)
    message = str(info.value)
    assert re.search(r"packet at \d+\.\d+ s of video stream 0", message), message
    assert (str(path) if kind == "path" else f"<bytes of size {len(damaged)}>") in message
    # Frames before the damage still decode exactly.
    assert torch.equal(
        decoder.get_frames_in_range(0, 3).data, VideoDecoder(generate.clip(name))[0:3]
    )

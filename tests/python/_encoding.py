"""Helpers shared by the encoder tests: media, ffprobe and ffmpeg decoding."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Union

import numpy as np
import torch

_MEDIA = Path(__file__).resolve().parents[1] / "media"
if str(_MEDIA) not in sys.path:
    sys.path.insert(0, str(_MEDIA))

import generate  # noqa: E402, F401  (re-exported for the tests)

MediaLike = Union[str, Path, bytes, torch.Tensor]


def _as_path(media: MediaLike, tmp_path: Path, suffix: str = "") -> str:
    if isinstance(media, (str, Path)):
        return str(media)
    data = media.numpy().tobytes() if isinstance(media, torch.Tensor) else media
    path = tmp_path / f"probe_input{suffix}"
    path.write_bytes(data)
    return str(path)


def ffprobe(path: Union[str, Path], *args: str) -> Dict[str, Any]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-of", "json", *args, str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out)


def probe_streams(path: Union[str, Path]) -> List[Dict[str, Any]]:
    return ffprobe(path, "-show_streams", "-show_format")["streams"]


def probe_format(path: Union[str, Path]) -> Dict[str, Any]:
    return ffprobe(path, "-show_format")["format"]


def probe_frames(path: Union[str, Path], stream: str = "v:0") -> List[Dict[str, Any]]:
    return ffprobe(path, "-select_streams", stream, "-show_frames")["frames"]


def probe_packets(path: Union[str, Path]) -> List[Dict[str, Any]]:
    return ffprobe(path, "-show_packets")["packets"]


def decode_audio(path: Union[str, Path], num_channels: int) -> np.ndarray:
    """Float32 (C, N) decoded by the ffmpeg CLI."""
    raw = subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-i",
            str(path),
            "-map",
            "0:a:0",
            "-ac",
            str(num_channels),
            "-f",
            "f32le",
            "-",
        ],
        check=True,
        capture_output=True,
    ).stdout
    return np.frombuffer(raw, dtype=np.float32).reshape(-1, num_channels).T.copy()


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    mse = ((a.double() - b.double()) ** 2).mean().item()
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def sines(sample_rate: int, seconds: float, freqs=(440.0, 660.0), amplitude: float = 0.5):
    t = torch.arange(int(sample_rate * seconds), dtype=torch.float64) / sample_rate
    return torch.stack([amplitude * torch.sin(2 * np.pi * f * t) for f in freqs]).float()

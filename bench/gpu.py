"""NVDEC in-order decode speed: codecflow on CUDA against the ffmpeg CLI.

Both decode every frame of a 1080p H.264 clip on the GPU in the same run:
the CLI with ``ffmpeg -hwaccel cuda -hwaccel_output_format cuda -i CLIP -f
null -`` (frames stay in GPU memory as NV12, no colour conversion: the
limit), codecflow with ``VideoDecoder(device="cuda")`` in batches (NVDEC,
then its colour kernel into a CUDA RGB tensor). Prints frames per second
for both and their ratio. Needs an NVIDIA GPU, a codecflow build with CUDA
and an ffmpeg CLI with the CUDA hwaccel; fails with a clear message
otherwise.

    PYTHONPATH=python python bench/gpu.py [--runs R] [--seconds S] [--clip PATH]
"""

from __future__ import annotations

import argparse
import pathlib
import shutil
import statistics
import subprocess
import sys
import time

import torch

import codecflow
from codecflow import _core
from codecflow.decoders import VideoDecoder

CACHE = pathlib.Path(__file__).resolve().parent / "media-cache"


def require_gpu() -> None:
    missing = []
    if not _core.has_cuda():
        missing.append("this codecflow build has no CUDA support (build it where nvcc is found)")
    if not torch.cuda.is_available():
        missing.append("torch sees no CUDA device (no GPU/driver, or a CPU-only torch)")
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        missing.append("no ffmpeg CLI on PATH")
    else:
        hwaccels = subprocess.run(
            [ffmpeg, "-hide_banner", "-hwaccels"], capture_output=True, text=True, check=True
        ).stdout.split()
        if "cuda" not in hwaccels:
            missing.append("the ffmpeg CLI on PATH has no cuda hwaccel")
    if missing:
        sys.exit("bench/gpu.py cannot run here:\n  - " + "\n  - ".join(missing))


def make_clip(seconds: int) -> pathlib.Path:
    """A 1920x1080 60 fps H.264 clip (mandelbrot, one key frame per 600 frames)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"mandelbrot_1080p60_{seconds}s.mp4"
    if not path.exists():
        tmp = path.with_suffix(".tmp.mp4")
        subprocess.run(
            ["ffmpeg", "-y", "-v", "error", "-f", "lavfi",
             "-i", "mandelbrot=size=1920x1080:rate=60", "-t", str(seconds),
             "-c:v", "libx264", "-preset", "veryfast", "-g", "600", "-pix_fmt", "yuv420p",
             str(tmp)],
            check=True,
        )  # fmt: skip
        tmp.rename(path)
    return path


def time_cli(path: pathlib.Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        ["ffmpeg", "-v", "error", "-hwaccel", "cuda", "-hwaccel_output_format", "cuda",
         "-i", str(path), "-f", "null", "-"],
        check=True,
    )  # fmt: skip
    return time.perf_counter() - start


def time_codecflow(path: pathlib.Path, batch: int = 16) -> tuple[float, int]:
    torch.cuda.synchronize()
    start = time.perf_counter()
    decoder = VideoDecoder(path, device="cuda", dimension_order="NHWC")
    count = 0
    for first in range(0, len(decoder), batch):
        frames = decoder.get_frames_in_range(first, min(first + batch, len(decoder)))
        count += len(frames)
    torch.cuda.synchronize()
    elapsed = time.perf_counter() - start
    if decoder.cpu_fallback:
        sys.exit(f"codecflow fell back to the CPU: {decoder.cpu_fallback}")
    return elapsed, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10, help="length of the generated clip")
    parser.add_argument("--clip", type=pathlib.Path, help="use this clip instead")
    args = parser.parse_args()
    require_gpu()
    path = args.clip or make_clip(args.seconds)
    frames = int(
        subprocess.run(
            ["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets",
             "-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", str(path)],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
    )  # fmt: skip
    time_cli(path)  # warm up the driver and the file cache
    time_codecflow(path)
    cli = [time_cli(path) for _ in range(args.runs)]
    ours = []
    for _ in range(args.runs):
        elapsed, count = time_codecflow(path)
        if count != frames:
            sys.exit(f"codecflow decoded {count} frames, the clip has {frames}")
        ours.append(elapsed)
    cli_fps = frames / statistics.median(cli)
    our_fps = frames / statistics.median(ours)
    print(f"device: {torch.cuda.get_device_name()}  clip: {path.name} ({frames} frames)")
    print(f"ffmpeg -hwaccel cuda (NV12, no conversion): {cli_fps:8.1f} fps")
    print(f"codecflow {codecflow.__version__} device='cuda' (RGB24): {our_fps:8.1f} fps")
    print(f"ratio codecflow / CLI: {our_fps / cli_fps:.2f}")


if __name__ == "__main__":
    main()

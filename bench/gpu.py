"""NVDEC in-order decode speed: codecflow on CUDA against the ffmpeg CLI.

Both decode every frame of a 1080p H.264 clip on the GPU in the same run:
the CLI with ``ffmpeg -hwaccel cuda -hwaccel_output_format cuda -i CLIP -f
null -`` (frames stay in GPU memory as NV12, no colour conversion: the
limit), codecflow with ``VideoDecoder(device="cuda")`` in batches (NVDEC,
then its colour kernel into a CUDA RGB tensor). Prints frames per second
for both and their ratio. A second row decodes and resizes (to --size,
224x224 by default): the CLI with ``-vf scale_cuda=W:H`` (NVDEC, then
CUDA scaling, still NV12), codecflow with ``transforms=[Resize((H, W))]``
(NVDEC, then its fused colour + antialiased resize kernels into RGB). Needs
an NVIDIA GPU, a codecflow build with CUDA and an ffmpeg CLI with the CUDA
hwaccel; fails with a clear message otherwise.

    PYTHONPATH=python python bench/gpu.py [--runs R] [--seconds S] [--clip PATH]
                                          [--size HxW]
"""

from __future__ import annotations

import argparse
import pathlib
import shutil
import statistics
import subprocess
import sys
import time
from typing import List, Optional, Tuple

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


def cli_command(path: pathlib.Path, size: Optional[Tuple[int, int]] = None) -> List[str]:
    """The ffmpeg CLI's GPU decode of ``path``, resized to ``size = (H, W)``
    on the GPU when given."""
    command = ["ffmpeg", "-v", "error", "-hwaccel", "cuda", "-hwaccel_output_format", "cuda",
               "-i", str(path)]  # fmt: skip
    if size is not None:
        command += ["-vf", f"scale_cuda={size[1]}:{size[0]}"]
    return command + ["-f", "null", "-"]


def parse_size(text: str) -> Tuple[int, int]:
    """``"224x224"`` -> (224, 224): height x width."""
    try:
        height, width = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must be HxW, got {text!r}") from None
    if height <= 0 or width <= 0:
        raise argparse.ArgumentTypeError(f"size must be positive, got {text!r}")
    return height, width


def time_cli(path: pathlib.Path, size: Optional[Tuple[int, int]] = None) -> float:
    start = time.perf_counter()
    subprocess.run(cli_command(path, size), check=True)
    return time.perf_counter() - start


def time_codecflow(
    path: pathlib.Path, batch: int = 16, size: Optional[Tuple[int, int]] = None
) -> tuple[float, int]:
    from codecflow.transforms import Resize

    transforms = [Resize(size)] if size is not None else None
    torch.cuda.synchronize()
    start = time.perf_counter()
    decoder = VideoDecoder(path, device="cuda", dimension_order="NHWC", transforms=transforms)
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
    parser.add_argument("--size", type=parse_size, default=(224, 224),
                        help="the resize row's output size, HxW (default 224x224)")
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
    print(f"device: {torch.cuda.get_device_name()}  clip: {path.name} ({frames} frames)")
    for size in (None, args.size):
        time_cli(path, size)  # warm up the driver and the file cache
        time_codecflow(path, size=size)
        cli = [time_cli(path, size) for _ in range(args.runs)]
        ours = []
        for _ in range(args.runs):
            elapsed, count = time_codecflow(path, size=size)
            if count != frames:
                sys.exit(f"codecflow decoded {count} frames, the clip has {frames}")
            ours.append(elapsed)
        cli_fps = frames / statistics.median(cli)
        our_fps = frames / statistics.median(ours)
        if size is None:
            print(f"decode: ffmpeg -hwaccel cuda (NV12, no conversion): {cli_fps:8.1f} fps")
            print(f"decode: codecflow {codecflow.__version__} device='cuda' (RGB24): "
                  f"{our_fps:8.1f} fps")
        else:
            h, w = size
            print(f"decode+resize {h}x{w}: ffmpeg scale_cuda={w}:{h} (NV12): {cli_fps:8.1f} fps")
            print(f"decode+resize {h}x{w}: codecflow Resize (RGB24): {our_fps:8.1f} fps")
        print(f"ratio codecflow / CLI: {our_fps / cli_fps:.2f}")


if __name__ == "__main__":
    main()

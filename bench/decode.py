"""In-order decode speed of codecflow against the ffmpeg CLI, in one run.

Both decode every frame of a 1080p H.264 clip to RGB24 with the same number
of decoding threads: the CLI with
``ffmpeg -threads N -i CLIP -pix_fmt rgb24 -f null -`` (the limit: no Python,
no tensors), codecflow through ``VideoDecoder.get_frames_in_range`` in
batches. Prints frames per second for both and their ratio.

    PYTHONPATH=python python bench/decode.py [--threads N] [--runs R] [--seconds S]
"""

from __future__ import annotations

import argparse
import pathlib
import statistics
import subprocess
import time

import codecflow
from codecflow.decoders import VideoDecoder

CACHE = pathlib.Path(__file__).resolve().parent / "media-cache"


def make_clip(seconds: int) -> pathlib.Path:
    """A 1920x1080 60 fps H.264 clip (mandelbrot, one key frame per 600 frames)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"decode_mandelbrot_1080p60_{seconds}s.mp4"
    if not path.exists():
        tmp = path.with_suffix(".tmp.mp4")
        subprocess.run(
            [
                "ffmpeg",
                "-y",
                "-v",
                "error",
                "-f",
                "lavfi",
                "-i",
                "mandelbrot=size=1920x1080:rate=60",
                "-t",
                str(seconds),
                "-c:v",
                "libx264",
                "-preset",
                "veryfast",
                "-g",
                "600",
                "-pix_fmt",
                "yuv420p",
                str(tmp),
            ],
            check=True,
        )
        tmp.rename(path)
    return path


def time_cli(path: pathlib.Path, threads: int) -> float:
    start = time.perf_counter()
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-threads",
            str(threads),
            "-i",
            str(path),
            "-pix_fmt",
            "rgb24",
            "-f",
            "null",
            "-",
        ],
        check=True,
    )
    return time.perf_counter() - start


def time_codecflow(path: pathlib.Path, threads: int, batch: int = 16) -> tuple[float, int]:
    start = time.perf_counter()
    decoder = VideoDecoder(path, num_ffmpeg_threads=threads, dimension_order="NHWC")
    count = 0
    for first in range(0, len(decoder), batch):
        frames = decoder.get_frames_in_range(first, min(first + batch, len(decoder)))
        count += len(frames)
    return time.perf_counter() - start, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    path = make_clip(args.seconds)
    frames = len(VideoDecoder(path, seek_mode="approximate"))
    cli, ours = [], []
    for _ in range(args.runs):
        cli.append(time_cli(path, args.threads))
        elapsed, count = time_codecflow(path, args.threads)
        assert count == frames, (count, frames)
        ours.append(elapsed)
    cli_fps = frames / statistics.median(cli)
    our_fps = frames / statistics.median(ours)
    print(
        f"clip: {path.name}, {frames} frames 1920x1080, {args.threads} decoding threads, "
        f"median of {args.runs} runs, codecflow {codecflow.__version__}"
    )
    print(f"ffmpeg CLI (-pix_fmt rgb24 -f null): {cli_fps:8.1f} fps")
    print(f"codecflow (get_frames_in_range):     {our_fps:8.1f} fps")
    print(f"ratio codecflow / CLI: {our_fps / cli_fps:.3f}")


if __name__ == "__main__":
    main()

"""In-order decode speed of codecflow against the ffmpeg CLI, in one run.

Both decode every frame of a 1080p H.264 clip to RGB24 with the same number
of decoding threads: the CLI with
``ffmpeg -threads N -i CLIP -pix_fmt rgb24 -f null -`` (the limit: no Python,
no tensors), codecflow through ``VideoDecoder.get_frames_in_range`` in
batches with ``num_ffmpeg_threads=N``. Each thread count of ``--threads``
(default: 1 and the cores) is one row; the CLI and codecflow take turns, so
the machine's load touches both, and the ratio comes from the same run.
Prints frames per second for both, their ratio and the load average.

codecflow's own threads (the conversion thread beside the decoder, swscale's
slice threads) follow ``codecflow.set_num_threads``: ``--limit`` sets it
(default: the cores, set explicitly, since with ``num_ffmpeg_threads=1``
codecflow starts no thread of its own unless a limit was set); ``--limit 1``
gives the sequential path.

    PYTHONPATH=python python bench/decode.py [--threads 1,2] [--runs R] [--seconds S]
"""

from __future__ import annotations

import argparse
import os
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


def load() -> str:
    """The 1, 5 and 15 minute load averages, as uptime prints them."""
    return "load %.2f %.2f %.2f" % os.getloadavg()


def row(path: pathlib.Path, frames: int, threads: int, runs: int) -> dict:
    cli, ours = [], []
    for _ in range(runs):
        cli.append(time_cli(path, threads))
        elapsed, count = time_codecflow(path, threads)
        assert count == frames, (count, frames)
        ours.append(elapsed)
    cli_fps = frames / statistics.median(cli)
    our_fps = frames / statistics.median(ours)
    return {"threads": threads, "cli_fps": cli_fps, "codecflow_fps": our_fps,
            "ratio": our_fps / cli_fps, "load": load()}  # fmt: skip


def main() -> None:
    cores = len(os.sched_getaffinity(0))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default=f"1,{cores}",
                        help="decoding thread counts, one row each (comma-separated)")
    parser.add_argument("--limit", type=int, default=cores,
                        help="codecflow.set_num_threads (1: the sequential path)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    codecflow.set_num_threads(args.limit)
    path = make_clip(args.seconds)
    frames = len(VideoDecoder(path, seek_mode="approximate"))
    print(
        f"clip: {path.name}, {frames} frames 1920x1080, median of {args.runs} runs, "
        f"codecflow {codecflow.__version__} (set_num_threads({args.limit})), {cores} cores"
    )
    print(f"{'threads':>7} {'CLI fps':>8} {'codecflow fps':>13} {'ratio':>6}  load (1/5/15 min)")
    for threads in (int(t) for t in args.threads.split(",")):
        r = row(path, frames, threads, args.runs)
        print(f"{threads:>7} {r['cli_fps']:8.1f} {r['codecflow_fps']:13.1f} "
              f"{r['ratio']:6.3f}  {r['load']}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()

"""Throughput of codecflow.ray.read_video_clips on a local cluster of N CPUs.

    PYTHONPATH=python python bench/ray_clips.py --workers 1
    PYTHONPATH=python python bench/ray_clips.py --workers 2 [--files 6] [--seconds 20]

Generates (once, cached in $TMPDIR/codecflow-bench-ray) FILES videos of
testsrc2 640x360 30 fps, libx264 with a GOP of 60, SECONDS each. Starts
``ray.init(num_cpus=WORKERS)``, plans 16 random clips of 8 frames per file
(resized to 112x112 while decoding) and consumes the dataset with
``iter_batches``, once to warm the cluster up and once timed; prints one
JSON line with the planning time, the reading time, and the clips and frames
per second of reading. ``--single`` reads one long file instead (SECONDS x
FILES) to compare ``frames_per_task`` splitting against one task per file.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import tempfile
import time
from typing import List

import ray

import codecflow.ray as cfray
from codecflow.transforms import Resize


def make_videos(count: int, seconds: int) -> List[str]:
    root = pathlib.Path(tempfile.gettempdir()) / "codecflow-bench-ray"
    root.mkdir(exist_ok=True)
    paths = []
    for i in range(count):
        path = root / f"testsrc2_360p_{seconds}s_{i}.mp4"
        if not path.exists():
            partial = path.with_suffix(".part.mp4")
            source = f"testsrc2=size=640x360:rate=30:duration={seconds}"
            subprocess.run(
                ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", source,
                 "-vf", f"hue=h={37 * i}", "-c:v", "libx264", "-preset", "veryfast", "-g", "60",
                 "-pix_fmt", "yuv420p", str(partial)],
                check=True,
            )  # fmt: skip
            os.replace(partial, path)
        paths.append(str(path))
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, required=True, help="CPUs of the local cluster")
    parser.add_argument("--files", type=int, default=6)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--clips", type=int, default=16, help="clips per file")
    parser.add_argument("--frames-per-task", type=int, default=256)
    parser.add_argument("--single", action="store_true", help="one long file")
    args = parser.parse_args()

    if args.single:
        paths = make_videos(1, args.seconds * args.files)
        clips = args.clips * args.files
    else:
        paths = make_videos(args.files, args.seconds)
        clips = args.clips
    ray.init(num_cpus=args.workers, include_dashboard=False, log_to_driver=False)
    ray.data.DataContext.get_current().enable_progress_bars = False
    try:
        # Round 0 warms the cluster up (worker processes, imports); round 1 is timed.
        for seed in (1, 0):
            start = time.perf_counter()
            dataset = cfray.read_video_clips(
                paths, num_clips=clips, num_frames_per_clip=8, transforms=[Resize((112, 112))],
                index_cache=False, frames_per_task=args.frames_per_task, seed=seed,
            )  # fmt: skip
            planned = time.perf_counter()
            rows = 0
            for batch in dataset.iter_batches(batch_size=16):
                rows += len(batch["clip"])
            done = time.perf_counter()
    finally:
        ray.shutdown()
    read_s = done - planned
    print(
        json.dumps(
            {
                "workers": args.workers,
                "files": len(paths),
                "frames_per_task": args.frames_per_task,
                "clips": rows,
                "plan_s": round(planned - start, 2),
                "read_s": round(read_s, 2),
                "clips_per_s": round(rows / read_s, 1),
                "frames_per_s": round(rows * 8 / read_s, 1),
                "load_average": os.getloadavg()[0],
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()

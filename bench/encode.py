"""Encoding speed: codecflow's VideoEncoder against the ffmpeg CLI and TorchCodec.

All three encode the same raw RGB frames (testsrc2, 1080p by default) with
the same codec, preset, crf and thread count into an mp4:

- ffmpeg CLI: reads the frames as rawvideo rgb24 from a file (in the page
  cache after the first run) and converts them with swscale, as codecflow
  does; its time includes the process start.
- codecflow: ``VideoEncoder(frames).to_file(...)`` on a uint8 NCHW tensor
  (a channels-last view, as decoders return).
- TorchCodec: the same call, in the peers venv (``--peers-python``), on the
  same frames loaded there.

Each configuration runs ``--repeats`` times, the three encoders taking
turns; the median wall time is reported, with frames per second and the
speed relative to the CLI.

    python bench/encode.py                      # 300 frames, ultrafast and medium
    python bench/encode.py --frames 60 --repeats 1
    python bench/encode.py --presets ultrafast  # the "ultrafast encode vs the CLI" row

The RGB -> YUV conversion in front of the encoder runs on swscale's slice
threads, as many as ``codecflow.set_num_threads`` allows (``--limit``;
default: every core, as the CLI's scale filter uses). Each row also prints
the load average at its end.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List

_ROOT = Path(__file__).resolve().parents[1]

# Run by the peers' interpreter: loads the frames and times TorchCodec's encoder.
_TORCHCODEC_WORKER = r"""
import json, sys, time
import numpy as np, torch
from torchcodec.encoders import VideoEncoder
raw, out, n, h, w, preset, crf, threads, repeats = sys.argv[1:]
n, h, w, threads, repeats = int(n), int(h), int(w), int(threads), int(repeats)
frames = torch.from_numpy(np.fromfile(raw, dtype=np.uint8).reshape(n, h, w, 3)).permute(0, 3, 1, 2)
times = []
for _ in range(repeats):
    start = time.perf_counter()
    VideoEncoder(frames, frame_rate=30).to_file(
        out, codec="libx264", preset=preset, crf=float(crf), extra_options={"threads": threads}
    )
    times.append(time.perf_counter() - start)
print(json.dumps({"times": times, "version": __import__("torchcodec").__version__}))
"""


def make_frames(path: Path, count: int, width: int, height: int) -> None:
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
         f"testsrc2=size={width}x{height}:rate=30", "-frames:v", str(count),
         "-pix_fmt", "rgb24", "-f", "rawvideo", str(path)],
        check=True,
    )  # fmt: skip


def time_cli(raw: Path, out: Path, args: argparse.Namespace, preset: str) -> List[float]:
    command = [
        "ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
        "-s", f"{args.width}x{args.height}", "-r", "30", "-i", str(raw),
        "-c:v", "libx264", "-preset", preset, "-crf", str(args.crf),
        "-threads", str(args.threads), "-pix_fmt", "yuv420p", str(out),
    ]  # fmt: skip
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        subprocess.run(command, check=True)
        times.append(time.perf_counter() - start)
    return times


def time_codecflow(raw: Path, out: Path, args: argparse.Namespace, preset: str) -> List[float]:
    import numpy as np
    import torch

    from codecflow.encoders import VideoEncoder

    data = np.fromfile(raw, dtype=np.uint8).reshape(args.frames, args.height, args.width, 3)
    frames = torch.from_numpy(data).permute(0, 3, 1, 2)
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        VideoEncoder(frames, frame_rate=30).to_file(
            out,
            codec="libx264",
            preset=preset,
            crf=args.crf,
            extra_options={"threads": args.threads},
        )
        times.append(time.perf_counter() - start)
    return times


def time_torchcodec(raw: Path, out: Path, args: argparse.Namespace, preset: str) -> Dict:
    if not Path(args.peers_python).exists():
        return {"error": f"no peers interpreter at {args.peers_python}"}
    result = subprocess.run(
        [args.peers_python, "-c", _TORCHCODEC_WORKER, str(raw), str(out), str(args.frames),
         str(args.height), str(args.width), preset, str(args.crf), str(args.threads),
         str(args.repeats)],
        capture_output=True, text=True,
    )  # fmt: skip
    if result.returncode != 0:
        return {"error": result.stderr.strip().splitlines()[-1] if result.stderr else "failed"}
    return json.loads(result.stdout.strip().splitlines()[-1])


def frame_count(path: Path) -> int:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets", "-show_entries",
         "stream=nb_read_packets", "-of", "csv=p=0", str(path)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return int(out.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--width", type=int, default=1920)
    parser.add_argument("--height", type=int, default=1080)
    parser.add_argument("--presets", default="ultrafast,medium")
    parser.add_argument("--crf", type=int, default=23)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--peers-python", default="/work/main/.peers/venv/bin/python")
    parser.add_argument("--limit", type=int, default=None,
                        help="codecflow.set_num_threads (default: every core)")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()

    sys.path.insert(0, str(_ROOT / "python"))
    import codecflow

    codecflow.set_num_threads(args.limit)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "frames.rgb"
        make_frames(raw, args.frames, args.width, args.height)
        print(
            f"{args.frames} frames {args.width}x{args.height} rgb24, libx264 crf {args.crf}, "
            f"{args.threads} threads, median of {args.repeats} (codecflow "
            f"{codecflow.__version__}, FFmpeg {codecflow.ffmpeg_major_version})"
        )
        header = ("preset", "encoder", "seconds", "fps", "vs CLI", "size")
        print("{:<10} {:<12} {:>8} {:>8} {:>7} {:>10}".format(*header))
        for preset in args.presets.split(","):
            row = {"preset": preset}
            cli_out = Path(tmp) / f"cli_{preset}.mp4"
            ours_out = Path(tmp) / f"codecflow_{preset}.mp4"
            peer_out = Path(tmp) / f"torchcodec_{preset}.mp4"
            # Interleaved, so that the machine's load changes touch all three.
            once = argparse.Namespace(**{**vars(args), "repeats": 1})
            times: Dict[str, List[float]] = {"cli": [], "codecflow": [], "torchcodec": []}
            peer: Dict = {}
            for _ in range(args.repeats):
                times["cli"] += time_cli(raw, cli_out, once, preset)
                times["codecflow"] += time_codecflow(raw, ours_out, once, preset)
                peer = time_torchcodec(raw, peer_out, once, preset)
                times["torchcodec"] += peer.get("times", [])
            for name, values in times.items():
                row[name] = statistics.median(values) if values else None
            for name, out in (("cli", cli_out), ("codecflow", ours_out), ("torchcodec", peer_out)):
                seconds = row[name]
                if seconds is None:
                    print(f"{preset:<10} {name:<12} {'-':>8} {'-':>8} {'-':>7}  {peer['error']}")
                    continue
                assert frame_count(out) == args.frames, f"{name} wrote the wrong frame count"
                ratio = row["cli"] / seconds
                row[f"{name}_vs_cli"] = ratio
                print(
                    f"{preset:<10} {name:<12} {seconds:8.2f} {args.frames / seconds:8.1f} "
                    f"{ratio:6.2f}x {out.stat().st_size:10d}"
                )
            row["load"] = "%.2f %.2f %.2f" % os.getloadavg()
            print(f"{preset:<10} load average (1/5/15 min): {row['load']}")
            results.append(row)
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "results": results}, indent=2))


if __name__ == "__main__":
    main()

"""The parallel rows: random frames over many GOPs, and clips from many videos.

    .peers/venv/bin/python bench/parallel.py [--rounds N] [--only gops|clips]

Run with the peers' interpreter (torchcodec installed); codecflow comes from
the checkout's ``python/``. Two rows, each a ratio of medians measured in the
same run with the contenders interleaved round by round, and the load
average printed beside each:

* gops: 10 random frame indices (new ones each round, the same for every
  contender) of the bench's 540p clip (60 s, 1800 frames, GOP 250: 8 GOPs),
  ``get_frames_at`` on an open decoder: codecflow (GOP-parallel, and with
  ``codecflow.set_num_threads(1)``) against TorchCodec's exact mode.
* clips: 32 short videos (640x360 30 fps 4 s, GOP 30, each its own
  content), 8 random frames from each, one epoch of a DataLoader with
  batch_size 8: ``ClipDataset`` (one process, ``decode_clips`` per batch)
  against a 2-worker DataLoader whose dataset opens a TorchCodec, or a
  codecflow, ``VideoDecoder`` per item (persistent workers, warmed up).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "python"))

import media  # noqa: E402

import codecflow  # noqa: E402
from codecflow.decoders import ClipDataset, VideoDecoder  # noqa: E402

CLIP = "testsrc2_540p30_60s.mp4"
SHORT = 32


def load() -> str:
    return "load %.2f %.2f %.2f" % os.getloadavg()


def interleaved(contenders: Dict[str, Callable[[int], object]], rounds: int) -> Dict[str, float]:
    """Median seconds of each contender, run in turn each round (round r's
    inputs are the same for every contender)."""
    times: Dict[str, List[float]] = {name: [] for name in contenders}
    for r in range(rounds):
        for name, fn in contenders.items():
            start = time.perf_counter()
            fn(r)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def report(title: str, medians: Dict[str, float], base: str, rounds: int) -> None:
    print(f"{title} (median of {rounds}, interleaved; {load()}):")
    for name, seconds in medians.items():
        print(f"  {name:<44} {seconds * 1e3:9.1f} ms   {medians[base] / seconds:5.2f}x {base}")
    sys.stdout.flush()


def gops(rounds: int) -> None:
    from torchcodec.decoders import VideoDecoder as TorchCodecDecoder

    path = str(media.ensure([CLIP])[CLIP])
    ours = VideoDecoder(path)
    theirs = TorchCodecDecoder(path, seek_mode="exact")
    n = len(ours)
    draws = [random.Random(r).sample(range(n), 10) for r in range(rounds)]

    def codecflow_at(threads: int) -> Callable[[int], object]:
        def run(r: int) -> object:
            codecflow.set_num_threads(threads)
            try:
                return ours.get_frames_at(draws[r])
            finally:
                codecflow.set_num_threads(None)
        return run

    medians = interleaved({
        "torchcodec exact": lambda r: theirs.get_frames_at(draws[r]),
        f"codecflow ({codecflow.get_num_threads()} threads, GOP-parallel)":
            codecflow_at(codecflow.get_num_threads()),
        "codecflow (set_num_threads(1))": codecflow_at(1),
    }, rounds)
    report(f"10 random frames of {CLIP} ({n} frames, "
           f"{len(ours.key_frame_indices)} key frames)", medians, "torchcodec exact", rounds)


def short_videos() -> List[str]:
    folder = media.CACHE_DIR / "short360p"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(SHORT):
        out = folder / f"short_{i:02d}.mp4"
        if not out.exists():
            tmp = folder / f".tmp_{i:02d}.mp4"
            source = "testsrc2" if i % 2 == 0 else "mandelbrot"
            subprocess.run([
                "ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi",
                "-i", f"{source}=size=640x360:rate=30", "-ss", str(i * 0.5), "-t", "4",
                "-c:v", "libx264", "-preset", "veryfast", "-g", "30", "-pix_fmt", "yuv420p",
                "-an", str(tmp),
            ], check=True)
            os.replace(tmp, out)
        paths.append(str(out))
    return paths


class TorchCodecClips:
    """A map dataset opening a TorchCodec decoder per item (in the worker)."""

    def __init__(self, clips):
        self.clips = clips

    def __len__(self) -> int:
        return len(self.clips)

    def __getitem__(self, i):
        from torchcodec.decoders import VideoDecoder as TorchCodecDecoder

        path, indices = self.clips[i]
        return TorchCodecDecoder(path, seek_mode="exact").get_frames_at(indices).data


class CodecflowClips(TorchCodecClips):
    def __getitem__(self, i):
        path, indices = self.clips[i]
        return VideoDecoder(path).get_frames_at(indices).data


def clips(rounds: int) -> None:
    from torch.utils.data import DataLoader

    paths = short_videos()
    rng = random.Random(0)
    items = [(p, sorted(rng.sample(range(120), 8))) for p in paths]

    def loader(dataset, workers: int):
        kwargs = dict(persistent_workers=True, prefetch_factor=2) if workers else {}
        return DataLoader(dataset, batch_size=8, num_workers=workers, **kwargs)

    loaders = {
        "codecflow ClipDataset, 1 process": loader(ClipDataset(items), 0),
        "DataLoader 2 workers, torchcodec": loader(TorchCodecClips(items), 2),
        "DataLoader 2 workers, codecflow VideoDecoder": loader(CodecflowClips(items), 2),
    }
    for dl in loaders.values():
        for _ in dl:  # warm-up: workers started, libraries loaded
            pass

    def epoch(dl) -> Callable[[int], object]:
        return lambda r: [batch.shape for batch in dl]

    medians = interleaved({name: epoch(dl) for name, dl in loaders.items()}, rounds)
    report(f"8 frames from each of {SHORT} short videos (640x360, 4 s, GOP 30), "
           "batch_size 8", medians, "DataLoader 2 workers, torchcodec", rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--only", choices=["gops", "clips"])
    args = parser.parse_args()
    print(f"codecflow threads: {codecflow.get_num_threads()}, cores: {os.cpu_count()}")
    if args.only in (None, "gops"):
        gops(args.rounds)
    if args.only in (None, "clips"):
        clips(args.rounds)


if __name__ == "__main__":
    main()

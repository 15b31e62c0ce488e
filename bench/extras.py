"""The extras' figures: opening from the index cache, and key-frame decoding.

    PYTHONPATH=python python bench/extras.py [--rounds N] [--path VIDEO]

Two rows, each a ratio of medians measured in the same run with the
contenders interleaved round by round (so a busy machine slows both alike):

* open: ``VideoDecoder(path)`` in exact mode from a warm index cache, against
  approximate mode (and, for scale, an exact-mode open that scans).
* key frames: ``get_key_frames()`` against ``get_all_frames()`` on the
  bench's 540p clip (testsrc2 960x540 30 fps 60 s, libx264, GOP 250).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import media  # noqa: E402

from codecflow.decoders import VideoDecoder  # noqa: E402

CLIP = "testsrc2_540p30_60s.mp4"


def _time(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def interleaved(contenders: Dict[str, Callable[[], object]], rounds: int) -> Dict[str, float]:
    """Median seconds of each contender, run in turn each round."""
    times: Dict[str, List[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, fn in contenders.items():
            times[name].append(_time(fn))
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", help="a video (default: the bench's 540p GOP-250 clip)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--decode-rounds", type=int, default=3)
    args = parser.parse_args()
    path = args.path or str(media.ensure([CLIP])[CLIP])
    with tempfile.TemporaryDirectory() as cache:
        VideoDecoder(path, index_cache=cache)  # warm the cache
        opens = interleaved({
            "exact, warm index cache": lambda: VideoDecoder(path, index_cache=cache),
            "approximate": lambda: VideoDecoder(path, seek_mode="approximate"),
            "exact, scanning": lambda: VideoDecoder(path, index_cache=False),
        }, args.rounds)
    base = opens["approximate"]
    print(f"open {Path(path).name} (median of {args.rounds}, interleaved):")
    for name, seconds in opens.items():
        print(f"  {name:<26} {seconds * 1e3:8.2f} ms   {seconds / base:5.2f}x approximate")

    decoder = VideoDecoder(path)
    keys = len(decoder.key_frame_indices)
    decodes = interleaved({
        "key frames only": decoder.get_key_frames,
        "all frames": decoder.get_all_frames,
    }, args.decode_rounds)
    speedup = decodes["all frames"] / decodes["key frames only"]
    print(f"decode {Path(path).name}: {len(decoder)} frames, {keys} key frames "
          f"(median of {args.decode_rounds}, interleaved):")
    for name, seconds in decodes.items():
        print(f"  {name:<26} {seconds:8.3f} s")
    print(f"  key frames only is {speedup:.1f}x faster than decoding every frame")


if __name__ == "__main__":
    main()

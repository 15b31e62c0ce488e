"""Decoding one video in parallel, with threads or with processes.

    PYTHONPATH=python python examples/parallel_decoding.py [VIDEO] [--workers 2]
        [--mode threads|processes|both] [--start-method fork|spawn]

Without VIDEO it uses the ``h264_bframes`` test asset (tests/media/generate.py).

The frames are split into one contiguous chunk per worker (contiguous, so each
worker decodes forward from a key frame instead of seeking for every frame):

- threads: each thread gets its own ``copy.copy`` of the decoder, which
  reopens the file from the frame index without scanning it again. Decoding
  releases the GIL, so the threads run at the same time. (Threads may also
  share one decoder safely, but its calls are serialized.)
- processes: a pool whose workers each receive the decoder by pickling
  (source, options and frame index) and reopen it on first use.

Each mode's frames are compared with one sequential decode.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import copy
import hashlib
import multiprocessing
import pathlib
import sys
import time
from typing import List, Optional, Sequence

import torch

from codecflow.decoders import VideoDecoder

_WORKER_DECODER: Optional[VideoDecoder] = None


def default_video() -> str:
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests" / "media"))
    import generate

    return str(generate.clip("h264_bframes"))


def frame_digests(decoder: VideoDecoder, indices: Sequence[int]) -> List[str]:
    """A digest per decoded frame: cheap to send back from a process."""
    frames = decoder.get_frames_at(list(indices)).data
    return [hashlib.sha1(frame.numpy().tobytes()).hexdigest() for frame in frames]


def _init_worker(decoder: VideoDecoder) -> None:
    global _WORKER_DECODER
    # As DataLoader workers do: torch's OpenMP pool does not survive a fork.
    torch.set_num_threads(1)
    _WORKER_DECODER = decoder  # unpickled once per process, opened on first use


def _decode_in_worker(indices: Sequence[int]) -> List[str]:
    assert _WORKER_DECODER is not None
    return frame_digests(_WORKER_DECODER, indices)


def chunks(count: int, parts: int) -> List[range]:
    bounds = [count * k // parts for k in range(parts + 1)]
    return [range(bounds[k], bounds[k + 1]) for k in range(parts) if bounds[k] < bounds[k + 1]]


def decode_with_threads(decoder: VideoDecoder, workers: int) -> List[str]:
    parts = chunks(len(decoder), workers)
    copies = [copy.copy(decoder) for _ in parts]
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        results = pool.map(frame_digests, copies, parts)
        return [digest for part in results for digest in part]


def decode_with_processes(decoder: VideoDecoder, workers: int, start_method: str) -> List[str]:
    parts = chunks(len(decoder), workers)
    with concurrent.futures.ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context(start_method),
        initializer=_init_worker,
        initargs=(decoder,),
    ) as pool:
        return [digest for part in pool.map(_decode_in_worker, parts) for digest in part]


def main() -> None:
    parser = argparse.ArgumentParser(description="Decode one video with threads or processes")
    parser.add_argument("video", nargs="?", help="video file (default: a generated test asset)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--mode", choices=("threads", "processes", "both"), default="both")
    parser.add_argument("--start-method", choices=("fork", "spawn"), default="spawn")
    args = parser.parse_args()

    path = args.video or default_video()
    decoder = VideoDecoder(path)
    meta = decoder.metadata
    print(f"video: {path} ({meta.width}x{meta.height}, {len(decoder)} frames, {meta.codec})")

    frame_digests(decoder, range(len(decoder)))  # warm-up: file cache, allocations
    start = time.perf_counter()
    expected = frame_digests(decoder, range(len(decoder)))
    print(f"sequential: {len(expected)} frames in {time.perf_counter() - start:.3f} s")

    modes = ["threads", "processes"] if args.mode == "both" else [args.mode]
    for mode in modes:
        start = time.perf_counter()
        if mode == "threads":
            digests = decode_with_threads(decoder, args.workers)
            label = f"threads ({args.workers})"
        else:
            digests = decode_with_processes(decoder, args.workers, args.start_method)
            label = f"processes ({args.workers}, {args.start_method}, with their start-up)"
        elapsed = time.perf_counter() - start
        print(
            f"{label}: {len(digests)} frames in {elapsed:.3f} s, "
            f"identical to sequential: {digests == expected}"
        )


if __name__ == "__main__":
    main()

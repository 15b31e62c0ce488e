"""A Dataset of clips over several videos, loaded by DataLoader workers.

    PYTHONPATH=python python examples/dataloader.py [VIDEO ...] [--num-workers 2]
        [--clips-per-video 4] [--frames-per-clip 8] [--batch-size 4]
        [--start-method fork|spawn]

Without VIDEO arguments it uses test assets from tests/media/generate.py.

The decoders are created once, in the main process, where each video's frame
index is built. Workers get them by fork (or by pickling with
``--start-method spawn``) and reopen the files lazily from that index, without
scanning again. A Resize inside the decoder gives every clip the same shape,
so clips of videos of different sizes batch together. Each worker's torch RNG
is seeded by the DataLoader, so ``--seed`` makes the random clips reproducible.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
from typing import Dict, List, Sequence

import torch
from torch.utils.data import DataLoader, Dataset

from codecflow.decoders import VideoDecoder
from codecflow.samplers import clips_at_random_indices
from codecflow.transforms import Resize

DEFAULT_ASSETS = ("h264_bframes", "h264_open_gop", "vfr", "odd_size")


def default_videos() -> List[str]:
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests" / "media"))
    import generate

    return [str(generate.clip(name)) for name in DEFAULT_ASSETS]


class ClipDataset(Dataset):
    """``clips_per_video`` random clips from each video, resized to ``size``.

    Item ``i`` is a clip of video ``i // clips_per_video``: a dict with
    ``clip`` (frames, C, H, W), ``pts`` (frames,), ``video`` and the ``pid`` of
    the process that decoded it.
    """

    def __init__(
        self,
        paths: Sequence[str],
        *,
        clips_per_video: int,
        frames_per_clip: int,
        size: Sequence[int] = (112, 112),
    ):
        self.decoders = [VideoDecoder(path, transforms=[Resize(size)]) for path in paths]
        self.clips_per_video = clips_per_video
        self.frames_per_clip = frames_per_clip

    def __len__(self) -> int:
        return len(self.decoders) * self.clips_per_video

    def __getitem__(self, i: int) -> Dict[str, torch.Tensor]:
        video = i // self.clips_per_video
        clips = clips_at_random_indices(
            self.decoders[video],
            num_clips=1,
            num_frames_per_clip=self.frames_per_clip,
            num_indices_between_frames=2,
        )
        return {
            "clip": clips.data[0],
            "pts": clips.pts_seconds[0],
            "video": torch.tensor(video),
            "pid": torch.tensor(os.getpid()),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description="Clips from several videos in DataLoader workers")
    parser.add_argument("videos", nargs="*", help="video files (default: generated test assets)")
    parser.add_argument("--num-workers", type=int, default=2)
    parser.add_argument("--clips-per-video", type=int, default=4)
    parser.add_argument("--frames-per-clip", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--start-method", choices=("fork", "spawn"), default="fork")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    paths = args.videos or default_videos()
    dataset = ClipDataset(
        paths, clips_per_video=args.clips_per_video, frames_per_clip=args.frames_per_clip
    )
    loader = DataLoader(
        dataset,
        batch_size=args.batch_size,
        shuffle=True,
        num_workers=args.num_workers,
        multiprocessing_context=args.start_method if args.num_workers > 0 else None,
        generator=torch.Generator().manual_seed(args.seed),
    )
    clips = 0
    pids = set()
    for number, batch in enumerate(loader):
        shape = tuple(batch["clip"].shape)
        starts = [round(t, 3) for t in batch["pts"][:, 0].tolist()]
        print(
            f"batch {number}: clips {shape} {batch['clip'].dtype}, "
            f"videos {batch['video'].tolist()}, first pts {starts}"
        )
        clips += len(batch["clip"])
        pids.update(batch["pid"].tolist())
    print(
        f"loaded {clips} clips from {len(paths)} videos in {number + 1} batches, "
        f"decoded in {len(pids)} processes ({args.start_method} workers: {args.num_workers})"
    )


if __name__ == "__main__":
    main()

"""Distributed loading: each rank decodes its shard of the clips.

    PYTHONPATH=python torchrun --standalone --nproc_per_node=2 examples/distributed.py \\
        [VIDEO ...] [--clips-per-video 4] [--frames-per-clip 4] [--num-workers 0]

Without VIDEO arguments it uses test assets from tests/media/generate.py. Runs
on the CPU with the gloo backend. A DistributedSampler gives each rank a
disjoint shard of the items (padded with repeats when the count does not
divide evenly); item ``i`` is a clip drawn with a seed derived from ``i``, so
it is the same clip whichever rank decodes it. Rank 0 gathers what every rank
decoded and checks the shards cover the dataset once.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
from typing import Dict, List, Sequence

import torch
import torch.distributed as dist
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.distributed import DistributedSampler

from codecflow.decoders import VideoDecoder
from codecflow.samplers import clips_at_random_indices
from codecflow.transforms import Resize

DEFAULT_ASSETS = ("h264_bframes", "h264_open_gop", "vfr")


def default_videos() -> List[str]:
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests" / "media"))
    import generate

    return [str(generate.clip(name)) for name in DEFAULT_ASSETS]


class SeededClips(Dataset):
    """Item ``i``: one clip of video ``i // clips_per_video``, drawn with seed ``i``."""

    def __init__(self, paths: Sequence[str], *, clips_per_video: int, frames_per_clip: int):
        self.decoders = [VideoDecoder(path, transforms=[Resize((64, 64))]) for path in paths]
        self.clips_per_video = clips_per_video
        self.frames_per_clip = frames_per_clip

    def __len__(self) -> int:
        return len(self.decoders) * self.clips_per_video

    def __getitem__(self, i: int) -> Dict[str, torch.Tensor]:
        torch.manual_seed(i)
        clips = clips_at_random_indices(
            self.decoders[i // self.clips_per_video],
            num_clips=1,
            num_frames_per_clip=self.frames_per_clip,
        )
        return {"item": torch.tensor(i), "clip": clips.data[0], "pts": clips.pts_seconds[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description="Each rank decodes its shard of clips")
    parser.add_argument("videos", nargs="*", help="video files (default: generated test assets)")
    parser.add_argument("--clips-per-video", type=int, default=4)
    parser.add_argument("--frames-per-clip", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=2)
    parser.add_argument("--num-workers", type=int, default=0)
    args = parser.parse_args()

    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    try:
        # Rank 0 generates missing test assets first, so ranks do not race to write them.
        if rank == 0:
            paths = args.videos or default_videos()
        dist.barrier()
        if rank != 0:
            paths = args.videos or default_videos()

        dataset = SeededClips(
            paths, clips_per_video=args.clips_per_video, frames_per_clip=args.frames_per_clip
        )
        sampler = DistributedSampler(dataset, num_replicas=world, rank=rank, shuffle=True, seed=0)
        loader = DataLoader(
            dataset, batch_size=args.batch_size, sampler=sampler, num_workers=args.num_workers
        )
        items: List[int] = []
        checksum = 0
        for batch in loader:
            items += batch["item"].tolist()
            checksum += int(batch["clip"].sum(dtype=torch.int64))
        print(
            f"rank {rank}/{world}: decoded items {items} "
            f"(clips of shape {tuple(batch['clip'].shape[1:])}, pixel sum {checksum})",
            flush=True,
        )

        gathered: List[List[int]] = [[] for _ in range(world)]
        dist.all_gather_object(gathered, items)
        total = torch.tensor([checksum], dtype=torch.int64)
        dist.all_reduce(total)
        if rank == 0:
            everything = sorted(i for shard in gathered for i in shard)
            print(
                f"all {world} ranks: {len(everything)} items decoded, covering "
                f"{len(set(everything))} of {len(dataset)}, "
                f"repeated as padding: {len(everything) - len(set(everything))}, "
                f"total pixel sum {int(total)}",
                flush=True,
            )
    finally:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()

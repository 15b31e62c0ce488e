"""Forked children never destroy the parent's core objects (threads and all)."""

from __future__ import annotations

import gc
import io
import multiprocessing

import torch

from codecflow.decoders import VideoDecoder
from codecflow.encoders import Encoder


def _collect_in_child() -> None:
    gc.collect()


def test_fork_while_threaded_objects_await_collection(media):
    gc.disable()
    try:
        # Objects in a reference cycle wait for the garbage collector, which
        # then runs in whichever process comes first: here, the child.
        encoder = Encoder()
        stream = encoder.add_video(height=64, width=64, frame_rate=10)
        encoder.open_file_like(io.BytesIO(), format="mkv")
        stream.add_frames(torch.zeros(3, 3, 64, 64, dtype=torch.uint8))
        encoder.close()
        decoder = VideoDecoder(media.clip("h264_bframes"), num_ffmpeg_threads=2)
        decoder.get_frames_at([10, 20])
        cycle = {"encoder": encoder, "decoder": decoder}
        cycle["self"] = cycle
        del encoder, stream, decoder, cycle
        child = multiprocessing.get_context("fork").Process(target=_collect_in_child)
        child.start()
        child.join(timeout=120)
        hung = child.is_alive()
        if hung:
            child.kill()
        assert not hung, "the child hung destroying objects it inherited"
        assert child.exitcode == 0
    finally:
        gc.enable()
        gc.collect()

"""Decoding releases the GIL, and one decoder shared by threads stays correct."""

from __future__ import annotations

import sys
import threading

import numpy as np

from codecflow.decoders import VideoDecoder


def test_decoding_releases_the_gil(media):
    decoder = VideoDecoder(media.clip("odd_size"))
    started = threading.Event()

    def work() -> None:
        started.set()
        decoder.get_frames_at(list(range(len(decoder)))[::-1] * 3)

    # With a long switch interval a thread holding the GIL keeps it: the
    # main thread then only runs again once the decoder releases it.
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1.0)
    try:
        thread = threading.Thread(target=work)
        thread.start()
        started.wait()
        spins = 0
        while thread.is_alive():
            spins += 1
        thread.join()
    finally:
        sys.setswitchinterval(previous)
    assert spins > 100


def test_one_decoder_shared_by_threads(media):
    reference = media.reference_frames("h264_bframes")
    decoder = VideoDecoder(media.clip("h264_bframes"), dimension_order="NHWC")
    errors = []

    def work(seed: int) -> None:
        rng = np.random.default_rng(seed)
        try:
            for _ in range(6):
                indices = rng.integers(0, len(reference), size=5).tolist()
                frames = decoder.get_frames_at(indices).data.numpy()
                if not np.array_equal(frames, reference[indices]):
                    errors.append(f"wrong frames for {indices}")
        except Exception as error:  # reported below, with the thread's error
            errors.append(repr(error))

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []

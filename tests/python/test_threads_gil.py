"""Decoding releases the GIL, and one decoder shared by threads stays correct."""

from __future__ import annotations

import threading

import numpy as np

from _threads import main_thread_spins

from codecflow.decoders import VideoDecoder


def test_decoding_releases_the_gil(media):
    decoder = VideoDecoder(media.clip("odd_size"))
    everything_backwards = list(range(len(decoder)))[::-1] * 3
    spins = main_thread_spins(lambda: decoder.get_frames_at(everything_backwards), enough=100)
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

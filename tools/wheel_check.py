"""Runs inside the clean root of tools/wheel_check.sh, with the installed
self-contained wheel: the FFmpeg libraries come from the wheel's
codecflow.libs/, a clip decodes to the ffmpeg CLI's frames and samples bit
for bit, and frames and samples encode and decode back (exactly where the
codec is lossless). Usage: python wheel_check.py DIR [--torch]
(DIR holds clip.mp4, clip.rgb and clip.f32, made outside with the CLI).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from typing import Any

import numpy as np


def as_array(data: Any) -> np.ndarray:
    return data.numpy() if hasattr(data, "numpy") else np.asarray(data)


def check(condition: bool, what: str) -> None:
    if not condition:
        sys.exit(f"wheel_check.py: FAILED: {what}")
    print(f"  ok: {what}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dir")
    parser.add_argument("--torch", action="store_true", help="torch is installed too")
    args = parser.parse_args()
    os.chdir(args.dir)

    import codecflow
    from codecflow.decoders import AudioDecoder, VideoDecoder
    from codecflow.encoders import AudioEncoder, VideoEncoder

    site = os.path.dirname(os.path.dirname(os.path.abspath(codecflow.__file__)))
    bundled = os.path.join(site, "codecflow.libs")
    libraries = codecflow.ffmpeg_libraries()
    check(len(libraries) == 5 and all(lib.path and lib.path.startswith(bundled + os.sep)
                                      and lib.bundled for lib in libraries),
          "FFmpeg's libraries load from the wheel: "
          + ", ".join(f"{lib.name} {lib.version} {os.path.basename(lib.path or '?')}"
                      for lib in libraries))
    check(codecflow.ffmpeg_library_path() == bundled, f"ffmpeg_library_path() is {bundled}")
    has_torch = importlib.util.find_spec("torch") is not None
    check(has_torch == args.torch, f"torch {'installed' if args.torch else 'absent'}")

    reference = np.fromfile("clip.rgb", dtype=np.uint8).reshape(-1, 240, 320, 3)
    decoder = VideoDecoder("clip.mp4", dimension_order="NHWC")
    batch = decoder.get_frames_in_range(0, len(decoder))
    if args.torch:
        import torch

        check(isinstance(batch.data, torch.Tensor), "frames are torch tensors")
    else:
        check(isinstance(batch.data, np.ndarray), "frames are NumPy arrays (no torch)")
    frames = as_array(batch.data)
    check(frames.shape == reference.shape and np.array_equal(frames, reference),
          f"{len(reference)} frames equal the ffmpeg CLI's rgb24 frames")

    samples = AudioDecoder("clip.mp4").get_all_samples()
    audio = as_array(samples.data)
    audio_reference = np.fromfile("clip.f32", dtype="<f4").reshape(-1, audio.shape[0]).T
    check(audio.shape == audio_reference.shape and np.array_equal(audio, audio_reference),
          f"{audio.shape[1]} AAC samples equal the ffmpeg CLI's")

    nchw = np.ascontiguousarray(frames.transpose(0, 3, 1, 2))
    VideoEncoder(nchw, frame_rate=30).to_file("lossless.mkv", codec="ffv1", pixel_format="bgr0")
    back = as_array(VideoDecoder("lossless.mkv", dimension_order="NHWC")
                    .get_frames_in_range(0, len(reference)).data)
    check(np.array_equal(back, reference), "FFV1 (bgr0) round trip returns the very frames")

    VideoEncoder(nchw, frame_rate=30).to_file("h264.mp4", crf=18)
    h264 = VideoDecoder("h264.mp4", dimension_order="NHWC")
    back = as_array(h264.get_frames_in_range(0, len(h264)).data).astype(np.float64)
    mse = float(np.mean((back - reference.astype(np.float64)) ** 2)) if len(h264) == len(
        reference) else float("inf")
    psnr = 10 * np.log10(255.0**2 / max(mse, 1e-12))
    check(len(h264) == len(reference) and psnr > 35,
          f"libx264 round trip: {len(h264)} frames, PSNR {psnr:.1f} dB")

    AudioEncoder(audio, sample_rate=samples.sample_rate).to_file("exact.wav", codec="pcm_f32le")
    back = as_array(AudioDecoder("exact.wav").get_all_samples().data)
    check(np.array_equal(back, audio), "float WAV round trip returns the very samples")
    AudioEncoder(audio, sample_rate=samples.sample_rate).to_file("lame.mp3")
    mp3 = AudioDecoder("lame.mp3")
    check(mp3.metadata.codec == "mp3" and as_array(mp3.get_all_samples().data).shape[1] > 0,
          "libmp3lame encodes and the MP3 decodes")
    print("wheel_check.py: all checks passed")


if __name__ == "__main__":
    main()

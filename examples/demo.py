"""Decodes a generated clip and prints what happened.

Run with `make demo`.
"""

from __future__ import annotations

import json
import math
import pathlib
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests" / "media"))

import codecflow  # noqa: E402
import generate  # noqa: E402
from codecflow.decoders import AudioDecoder, VideoDecoder  # noqa: E402
from codecflow.encoders import Encoder, VideoEncoder  # noqa: E402


def main() -> None:
    path = generate.clip("h264_audio")
    print(f"codecflow {codecflow.__version__} on FFmpeg {codecflow.ffmpeg_major_version}")
    print(f"clip: {path} ({path.stat().st_size} bytes)")

    container = codecflow.get_container_metadata(path)
    print(
        f"container: {len(container.streams)} streams, "
        f"{container.duration_seconds_from_header:.3f} s, best video stream "
        f"{container.best_video_stream_index}, best audio stream "
        f"{container.best_audio_stream_index}"
    )
    for stream in container.streams:
        print(f"  stream {stream.stream_index}: {type(stream).__name__} codec={stream.codec}")

    start = time.perf_counter()
    decoder = VideoDecoder(path)
    meta = decoder.metadata
    print(
        f"video: {meta.codec} {meta.width}x{meta.height} {meta.pixel_format}, "
        f"{meta.num_frames} frames at {meta.average_fps:.3f} fps, {meta.duration_seconds:.3f} s"
    )
    for index in (0, 1, len(decoder) // 2, len(decoder) - 1):
        frame = decoder.get_frame_at(index)
        print(
            f"  frame {index:3d}: shape={tuple(frame.data.shape)} dtype={frame.data.dtype} "
            f"pts={frame.pts_seconds:.4f}s duration={frame.duration_seconds:.4f}s"
        )
    batch = decoder.get_all_frames()
    elapsed = time.perf_counter() - start
    print(
        f"all frames: {tuple(batch.data.shape)} in {elapsed * 1000:.1f} ms "
        f"({len(batch) / elapsed:.0f} fps, including the index scan)"
    )
    shown = decoder.get_frame_played_at(1.0)
    print(f"frame shown at 1.0 s: pts={shown.pts_seconds:.4f}s")

    # Encode the decoded frames back into an mp4 and describe it with ffprobe.
    with tempfile.TemporaryDirectory() as tmp:
        out = pathlib.Path(tmp) / "reencoded.mp4"
        start = time.perf_counter()
        VideoEncoder(batch.data, frame_rate=meta.average_fps).to_file(out, crf=18)
        elapsed = time.perf_counter() - start
        print(
            f"encoded {len(batch)} frames to {out.name}: {out.stat().st_size} bytes in "
            f"{elapsed * 1000:.1f} ms"
        )
        probe = subprocess.run(
            ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
             "stream=codec_name,width,height,pix_fmt,nb_frames,duration", "-of", "json",
             str(out)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        stream = json.loads(probe.stdout)["streams"][0]
        print(
            f"ffprobe: {stream['codec_name']} {stream['width']}x{stream['height']} "
            f"{stream['pix_fmt']}, {stream['nb_frames']} frames, {float(stream['duration']):.3f} s"
        )
        again = VideoDecoder(out).get_all_frames().data
        mse = ((again.double() - batch.data.double()) ** 2).mean().item()
        print(f"round trip: PSNR {10 * math.log10(255**2 / mse):.2f} dB")

        # The soundtrack: decode it, then mux it with the video into one file.
        audio = AudioDecoder(path).get_all_samples()
        print(
            f"audio: {tuple(audio.data.shape)} float32 at {audio.sample_rate} Hz, "
            f"pts={audio.pts_seconds:.4f}s, {audio.duration_seconds:.3f} s"
        )
        muxed = pathlib.Path(tmp) / "muxed.mp4"
        with Encoder() as encoder:
            video_stream = encoder.add_video(
                height=meta.height, width=meta.width, frame_rate=meta.average_fps, crf=18
            )
            audio_stream = encoder.add_audio(
                sample_rate=audio.sample_rate, num_channels=audio.data.shape[0]
            )
            encoder.open_file(muxed)
            video_stream.add_frames(batch.data)
            audio_stream.add_samples(audio.data)
        container = codecflow.get_container_metadata(muxed)
        print(
            f"muxed {muxed.name}: {muxed.stat().st_size} bytes, "
            + ", ".join(f"{s.codec}" for s in container.streams)
            + f", {container.duration_seconds_from_header:.3f} s"
        )


if __name__ == "__main__":
    main()

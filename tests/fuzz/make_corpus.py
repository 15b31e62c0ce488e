"""Writes the seed corpora of the fuzz harnesses from the test media.

Usage: python tests/fuzz/make_corpus.py OUT_DIR

Each seed is a short cut of a generated clip (tests/media/generate.py), or a
truncated copy of one, followed by a 16-byte parameter trailer (the
harnesses read their parameters from the end of an input). OUT_DIR/<harness>/
gets the seeds of each harness: video, audio, wav and encoder. Seeds are
rewritten only when missing, so repeated runs are cheap.
"""

from __future__ import annotations

import random
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "media"))
import generate  # noqa: E402

VIDEO = ["h264_bframes", "h264_open_gop", "hevc", "vp9", "mpeg4", "av1", "odd_size", "yuv444p",
         "yuvj420p", "yuv420p10", "vfr", "edit_list", "rot90", "ffv1", "h264_audio"]
AUDIO = ["mp3", "aac_m4a", "flac", "vorbis_ogg", "opus_ogg", "opus_webm", "mono_flac",
         "surround51_flac", "wav_s16", "wav_f32", "h264_audio"]
WAV = ["wav_u8", "wav_s16", "wav_s24", "wav_s32", "wav_f32", "wav_f64", "wav_extensible",
       "wav_rf64", "wav_adpcm", "wav_alaw"]
MAX_SEED = 48 * 1024


def _trailer(rng: random.Random) -> bytes:
    return bytes(rng.randrange(256) for _ in range(16))


def _cut(src: Path, seconds: float, *, extra: list[str] | None = None) -> bytes:
    """The first `seconds` of `src`, stream-copied into the same container."""
    fmt = {".mp4": "mp4", ".m4a": "mp4", ".webm": "webm", ".mkv": "matroska", ".avi": "avi",
           ".mp3": "mp3", ".flac": "flac", ".ogg": "ogg", ".opus": "ogg", ".wav": "wav"}[src.suffix]
    args = ["ffmpeg", "-v", "error", "-i", str(src), "-t", str(seconds), "-map", "0", "-c", "copy"]
    if fmt == "mp4":
        args += ["-movflags", "+faststart"]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"cut{src.suffix}"
        subprocess.run(args + (extra or []) + ["-f", fmt, str(out)], check=True,
                       capture_output=True)
        return out.read_bytes()


def _write(out: Path, name: str, data: bytes, rng: random.Random) -> None:
    path = out / name
    if not path.exists():
        path.write_bytes(data[:MAX_SEED] + _trailer(rng))


def main(argv: list[str]) -> int:
    root = Path(argv[1])
    rng = random.Random(20261201)
    for harness, clips, seconds in (("video", VIDEO, 0.25), ("audio", AUDIO, 0.2), ("wav", WAV, 0.05)):
        out = root / harness
        out.mkdir(parents=True, exist_ok=True)
        for name in clips:
            src = generate.clip(name)
            extra = ["-rf64", "always"] if name == "wav_rf64" else None
            cut = _cut(src, seconds, extra=extra)
            _write(out, f"{name}.cut", cut, rng)
            _write(out, f"{name}.half", cut[: len(cut) // 2], rng)
            _write(out, f"{name}.head", src.read_bytes()[:2048], rng)
    out = root / "encoder"
    out.mkdir(parents=True, exist_ok=True)
    frames = generate.reference_frames("gradients")
    for i in range(12):
        pixels = frames[i % len(frames)].tobytes()[: 64 * 64 * 3 * (i % 3 + 1)]
        _write(out, f"gradients.{i}", pixels, rng)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

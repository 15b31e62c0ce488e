"""The benchmark's media, generated with the ffmpeg CLI and cached.

Each clip is made from a recipe (an ffmpeg argument list). Clips live in
``bench/media-cache/`` (ignored by git; ``$CODECFLOW_BENCH_MEDIA`` overrides
it) next to a ``NAME.recipe`` sidecar holding the recipe's hash, and are
regenerated only when missing or when their recipe changed. Files are written
under a temporary name and renamed into place, so an interrupted run never
leaves a partial file that looks cached.

Run ``python bench/media.py [--full]`` to generate the clips up front.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Sequence

CACHE_DIR = Path(os.environ.get("CODECFLOW_BENCH_MEDIA", Path(__file__).parent / "media-cache"))


@dataclass(frozen=True)
class Clip:
    """One benchmark input: its file name, what it is, and the ffmpeg recipe."""

    name: str
    kind: str  # "video" or "audio"
    description: str
    args: Sequence[str]
    # Facts the workloads rely on, checked after generation.
    num_frames: int = 0
    width: int = 0
    height: int = 0
    fps: float = 0.0
    seconds: float = 0.0
    gop: int = 0


def _mandelbrot(seconds: int) -> Clip:
    # The mandelbrot source is single-threaded and slow at 1080p; a lower
    # iteration limit keeps the zoom's look (detail at the boundary changes
    # every frame) at a fraction of the cost. veryfast keeps B-frames and
    # CABAC, as most real H.264 has; ultrafast would drop both.
    return Clip(
        name=f"mandelbrot_1080p60_{seconds}s.mp4",
        kind="video",
        description=f"mandelbrot 1920x1080 60 fps, {seconds} s, H.264 veryfast, "
        "one key frame every 600 frames",
        args=[
            "-f", "lavfi", "-i", "mandelbrot=size=1920x1080:rate=60:maxiter=256",
            "-t", str(seconds), "-c:v", "libx264", "-preset", "veryfast", "-g", "600",
            "-pix_fmt", "yuv420p", "-an",
        ],
        num_frames=60 * seconds, width=1920, height=1080, fps=60.0, seconds=seconds, gop=600,
    )


def _testsrc(seconds: int) -> Clip:
    return Clip(
        name=f"testsrc2_540p30_{seconds}s.mp4",
        kind="video",
        description=f"testsrc2 960x540 30 fps, {seconds} s, H.264 veryfast, "
        "libx264's default key frame interval (250)",
        args=[
            "-f", "lavfi", "-i", "testsrc2=size=960x540:rate=30",
            "-t", str(seconds), "-c:v", "libx264", "-preset", "veryfast",
            "-pix_fmt", "yuv420p", "-an",
        ],
        num_frames=30 * seconds, width=960, height=540, fps=30.0, seconds=seconds, gop=250,
    )


def _audio(ext: str, codec_args: List[str]) -> Clip:
    # Two tones and a little noise per channel, so the encoders have real work.
    source = (
        "aevalsrc=exprs='0.4*sin(2*PI*440*t)+0.1*sin(2*PI*1234*t)+0.02*(random(0)-0.5)"
        "|0.4*sin(2*PI*554*t)+0.1*sin(2*PI*3321*t)+0.02*(random(1)-0.5)'"
        ":sample_rate=44100:duration=600"
    )
    return Clip(
        name=f"tones_10min.{ext}",
        kind="audio",
        description=f"10 min stereo 44.1 kHz {ext.upper()}",
        args=["-f", "lavfi", "-i", source, *codec_args],
        seconds=600.0,
    )


CLIPS: Dict[str, Clip] = {
    c.name: c
    for c in (
        _mandelbrot(10),
        _mandelbrot(120),
        _testsrc(60),
        _testsrc(200),
        _audio("mp3", ["-c:a", "libmp3lame", "-b:a", "192k"]),
        _audio("flac", ["-c:a", "flac"]),
    )
}

QUICK = ["mandelbrot_1080p60_10s.mp4", "testsrc2_540p30_60s.mp4", "tones_10min.mp3",
         "tones_10min.flac"]
FULL = QUICK + ["mandelbrot_1080p60_120s.mp4", "testsrc2_540p30_200s.mp4"]


def command(clip: Clip, output: Path) -> List[str]:
    """The ffmpeg command line that makes ``clip`` at ``output``."""
    return ["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-y", *clip.args, str(output)]


def _recipe_hash(clip: Clip) -> str:
    text = json.dumps({"args": list(clip.args), "name": clip.name})
    return hashlib.sha256(text.encode()).hexdigest()


def path(name: str, *, verbose: bool = True) -> Path:
    """The path of clip ``name``, generated first if missing or stale.

    Raises:
        KeyError: for an unknown clip name.
        subprocess.CalledProcessError: when ffmpeg fails.
    """
    clip = CLIPS[name]
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    out = CACHE_DIR / name
    sidecar = CACHE_DIR / (name + ".recipe")
    want = _recipe_hash(clip)
    if out.exists() and sidecar.exists() and sidecar.read_text().strip() == want:
        return out
    tmp = CACHE_DIR / (".tmp-" + name)
    if verbose:
        print(f"[media] generating {name} ({clip.description})", file=sys.stderr, flush=True)
    start = time.perf_counter()
    subprocess.run(command(clip, tmp), check=True)
    os.replace(tmp, out)
    sidecar.write_text(want + "\n")
    if verbose:
        print(f"[media] {name}: {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
    return out


def ensure(names: Sequence[str]) -> Dict[str, Path]:
    """Generates (or finds cached) every clip of ``names``."""
    return {n: path(n) for n in names}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--full", action="store_true", help="also the long clips")
    args = parser.parse_args()
    for name, p in ensure(FULL if args.full else QUICK).items():
        print(f"{name}\t{p}")


if __name__ == "__main__":
    main()

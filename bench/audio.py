"""Whole-file audio decoding: codecflow against TorchCodec and soundfile.

Decodes a 10-minute stereo 44.1 kHz MP3, FLAC and WAV (generated once with
the ffmpeg CLI into ``bench/media-cache/``, or ``$CODECFLOW_BENCH_MEDIA``)
into float32 tensors, with every library in the same process, and prints the
median time of each and the ratios (codecflow time / peer time, and the
speed-up peer time / codecflow time).

The peers are not installed in the project's environment. Run the script
with the interpreter of a separate environment that has them (torch==2.13.0,
torchcodec==0.13.0 -- the newest CPU build on PyPI; 0.14 to 0.17 there need
CUDA's libraries -- and soundfile), with codecflow's freshly built
``python/`` directory on ``PYTHONPATH`` (the compiled module is built for the
same Python and hands tensors over through DLPack)::

    PYTHONPATH=python PEERS_VENV/bin/python bench/audio.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

CACHE_DIR = Path(os.environ.get("CODECFLOW_BENCH_MEDIA", Path(__file__).parent / "media-cache"))
SECONDS = 600
RATE = 44100

_SOURCE = [
    "-f", "lavfi", "-i",
    f"aevalsrc=0.5*sin(2*PI*440*t)+0.05*sin(2*PI*3520*t)|0.5*sin(2*PI*660*t):s={RATE}:d={SECONDS}",
]  # fmt: skip
RECIPES = {
    "mp3": [*_SOURCE, "-c:a", "libmp3lame", "-b:a", "192k"],
    "flac": [*_SOURCE, "-c:a", "flac"],
    "wav": [*_SOURCE, "-c:a", "pcm_s16le"],
}


def clip(kind: str) -> Path:
    """The 10-minute clip of this kind, generated when missing or outdated."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    path = CACHE_DIR / f"audio_sines_{SECONDS}s.{kind}"
    recipe = CACHE_DIR / f"{path.name}.recipe"
    digest = hashlib.sha256(json.dumps(RECIPES[kind]).encode()).hexdigest()
    if path.is_file() and recipe.is_file() and recipe.read_text() == digest:
        return path
    tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    command = ["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-y", *RECIPES[kind], str(tmp)]
    print(f"generating {path.name} ...", file=sys.stderr)
    subprocess.run(command, check=True)
    tmp.rename(path)
    recipe.write_text(digest)
    return path


def _codecflow(path: Path) -> torch.Tensor:
    from codecflow.decoders import AudioDecoder

    return AudioDecoder(str(path)).get_all_samples().data


def _codecflow_wav(path: Path) -> torch.Tensor:
    from codecflow.decoders import WavDecoder

    return WavDecoder(str(path)).get_all_samples().data


def _torchcodec(path: Path) -> torch.Tensor:
    from torchcodec.decoders import AudioDecoder

    return AudioDecoder(str(path)).get_all_samples().data


def _soundfile(path: Path) -> torch.Tensor:
    import soundfile

    data, _ = soundfile.read(str(path), dtype="float32", always_2d=True)
    # (samples, channels) as soundfile returns it; a transposed view, no copy.
    return torch.from_numpy(data).T


def _time_all(
    decoders: dict[str, Callable[[Path], torch.Tensor]], path: Path, repeat: int
) -> dict[str, tuple[float, torch.Tensor]]:
    """Median time and output of each decoder, timed round-robin so that a
    change in the machine's load affects every decoder alike."""
    outputs: dict[str, torch.Tensor] = {}
    times: dict[str, list[float]] = {}
    for name, fn in decoders.items():
        try:
            outputs[name] = fn(path)  # warm-up: page cache, library loading
            times[name] = []
        except Exception as error:  # a peer that fails is reported, not fatal
            print(f"{path.name}: {name} failed: {type(error).__name__}: {error}", file=sys.stderr)
    for _ in range(repeat):
        for name in times:
            start = time.perf_counter()
            outputs[name] = decoders[name](path)
            times[name].append(time.perf_counter() - start)
    return {name: (statistics.median(t), outputs[name]) for name, t in times.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per decoder (median)")
    parser.add_argument("--formats", nargs="*", default=list(RECIPES), choices=list(RECIPES))
    opts = parser.parse_args(argv)

    import codecflow

    versions = {"codecflow": codecflow.__version__, "torch": torch.__version__}
    for name in ("torchcodec", "soundfile"):
        try:
            versions[name] = __import__(name).__version__
        except Exception as error:  # a peer that cannot load is reported, not fatal
            versions[name] = f"unavailable ({type(error).__name__}: {error})"
    print("versions:", ", ".join(f"{k} {v}" for k, v in versions.items()))
    print(
        f"torch threads: {torch.get_num_threads()}, CPUs: {os.cpu_count()}, repeat: {opts.repeat}"
    )

    rows = []
    for kind in opts.formats:
        path = clip(kind)
        decoders: dict[str, Callable[[Path], torch.Tensor]] = {"codecflow": _codecflow}
        if kind == "wav":
            decoders["codecflow WavDecoder"] = _codecflow_wav
        decoders["torchcodec"] = _torchcodec
        decoders["soundfile"] = _soundfile
        results = _time_all(decoders, path, opts.repeat)
        reference = results["codecflow"][1]
        for name, (seconds, data) in results.items():
            # Every decoder must have decoded the same audio.
            same_shape = tuple(data.shape) == tuple(reference.shape)
            diff = (data - reference).abs().max().item() if same_shape else float("nan")
            rows.append((kind, name, seconds, tuple(data.shape), diff))

    print()
    print(
        f"{'file':<6} {'decoder':<22} {'median s':>9} {'samples/s':>11}  shape           max|diff|"
    )
    for kind, name, seconds, shape, diff in rows:
        rate = shape[-1] / seconds
        print(f"{kind:<6} {name:<22} {seconds:>9.4f} {rate:>11.3e}  {shape!s:<15} {diff:.2e}")
    print()
    print("ratios (codecflow time / peer time; speed-up = peer time / codecflow time)")
    by_key = {(kind, name): seconds for kind, name, seconds, _, _ in rows}
    for kind in opts.formats:
        ours = [n for n in ("codecflow", "codecflow WavDecoder") if (kind, n) in by_key]
        for mine in ours:
            for peer in ("torchcodec", "soundfile"):
                if (kind, peer) not in by_key:
                    continue
                ratio = by_key[(kind, mine)] / by_key[(kind, peer)]
                print(
                    f"{kind:<6} {mine:<22} vs {peer:<11} ratio {ratio:6.3f}  "
                    f"speed-up {1 / ratio:6.2f}x"
                )
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())

"""Write the GPU test kit: what the GPU suites need that a GPU machine lacks.

A GPU machine has CUDA, torch and an FFmpeg built by tools/gpu/build_ffmpeg.sh
(decoders only: no encoders, no ffmpeg CLI, no libdav1d). Run this where the
full ffmpeg CLI is installed; it writes into one folder (default
build/gpu-kit, under 60 MiB):

  media/       the clips the GPU suites decode (tests/python/test_cuda*.py,
               tests/cpp/Cuda*.cpp: every quoted asset name found there), with
               the sidecars tests/media/generate.py checks, so that on the GPU
               machine generate.clip() finds them fresh without the CLI; the
               ffmpeg CLI's frames of the clips the GPU machine's FFmpeg cannot
               decode on the CPU (AV1: FFmpeg's native decoder needs a hwaccel);
               and the CLI reference of the top-left crop test
  googletest/  GoogleTest's sources when installed here (/usr/src/googletest),
               built by `make gpu-test` when the GPU machine has none
  MANIFEST     the files and their sizes, and the FFmpeg that made them

Usage: python tools/gpu/make_kit.py [KIT_DIR]   (or `make gpu-kit`)
The GPU run reads it with CODECFLOW_GPU_KIT=KIT_DIR (tools/gpu/README.md).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 60 * 1024 * 1024
# Clips the GPU machine's FFmpeg cannot decode on the CPU: their CPU
# reference is the ffmpeg CLI's frames, carried in the kit.
CLI_REFERENCES = ("av1",)
# The CLI's first frame of the top-left cropped clip, decoded with
# "-flags unaligned" (tests/python/test_cuda.py reads it from the kit).
CROP_CLIP = "h264_crop_topleft"
CROP_REFERENCE = "h264_crop_topleft.unaligned-frame0.rgb"
# The other C++ tests `make gpu-test` runs (their media go in the kit too).
GPU_RUN_CPP_TESTS = ("YuvRgbTest.cpp", "HwFallbackTest.cpp")


def gpu_suite_files() -> list[Path]:
    files = sorted((ROOT / "tests" / "python").glob("test_cuda*.py"))
    files += sorted((ROOT / "tests" / "cpp").glob("Cuda*.cpp"))
    files += [ROOT / "tests" / "cpp" / f for f in GPU_RUN_CPP_TESTS]
    return files


def assets_used(generate) -> list[str]:
    """Every asset whose name (or file name) is quoted in a GPU suite."""
    by_file = {generate._asset(n).filename: n for n in generate.names()}
    known = set(generate.names())
    found: set[str] = set()
    for path in gpu_suite_files():
        for quoted in re.findall(r"[\"']([A-Za-z0-9_.]+)[\"']", path.read_text(encoding="utf-8")):
            if quoted in known:
                found.add(quoted)
            elif quoted in by_file:
                found.add(by_file[quoted])
    return sorted(found)


def copy_with_sidecar(src: Path, kit_media: Path) -> None:
    for path in (src, src.with_name(src.name + ".recipe")):
        if path.exists():
            shutil.copy2(path, kit_media / path.name)


def main(argv: list[str]) -> int:
    kit = Path(argv[1] if len(argv) > 1 else ROOT / "build" / "gpu-kit").resolve()
    if shutil.which("ffmpeg") is None:
        sys.exit("make_kit: needs the ffmpeg CLI (with x264, x265, libvpx, SVT-AV1)")
    sys.path.insert(0, str(ROOT / "tests" / "media"))
    import generate  # noqa: E402  (reads CODECFLOW_MEDIA_DIR at each call)

    media = kit / "media"
    if kit.exists():
        shutil.rmtree(kit)
    media.mkdir(parents=True)

    # Made (or found) in the usual cache, then copied with their sidecars.
    names = assets_used(generate)
    for name in names:
        src = generate.clip(name)
        copy_with_sidecar(src, media)
        target = generate._asset(name).alias_of
        if target is not None:
            copy_with_sidecar(generate.clip(target), media)
    for name in CLI_REFERENCES:
        if name in names:
            generate.reference_frames(name)
            base = generate._asset(name).alias_of or name
            copy_with_sidecar(generate.cache_dir() / f"{base}.frames.rgb", media)
    if CROP_CLIP in names:
        raw = subprocess.run(
            ["ffmpeg", "-v", "error", "-flags", "unaligned", "-i", str(generate.clip(CROP_CLIP)),
             "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
            capture_output=True, check=True,
        ).stdout
        (media / CROP_REFERENCE).write_bytes(raw)

    gtest = Path("/usr/src/googletest")
    if (gtest / "CMakeLists.txt").exists():
        shutil.copytree(gtest, kit / "googletest", symlinks=False)

    version = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True).stdout
    files = sorted(p for p in kit.rglob("*") if p.is_file())
    total = sum(p.stat().st_size for p in files)
    lines = [f"codecflow GPU test kit: {len(names)} clips: {', '.join(names)}",
             f"made with: {version.splitlines()[0] if version else 'ffmpeg'}",
             f"total: {total} bytes", ""]
    lines += [f"{p.stat().st_size:>10}  {p.relative_to(kit)}" for p in files]
    (kit / "MANIFEST").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if total > LIMIT:
        sys.exit(f"make_kit: the kit is {total} bytes, over {LIMIT}")
    print(f"{kit}: {len(files)} files, {total / 1048576:.1f} MiB "
          f"({len(names)} clips; run the GPU suites with CODECFLOW_GPU_KIT={kit})")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("CODECFLOW_MEDIA_DIR", str(ROOT / "tests" / "media" / "cache"))
    sys.exit(main(sys.argv))

"""[extra] codecflow's command line: ``python -m codecflow`` or ``codecflow``.

Commands:
    info FILE [--json]    container and stream metadata
    doctor [--json]       FFmpeg's version, the files its libraries were loaded
                          from, configuration, codecs and hardware, and whether
                          CUDA, NVDEC and NVENC load
    index DIR... --cache DIR [--jobs N]
                          fills an index cache for every video under DIRs

Exit status: 0 on success, 1 when a file failed (info, index) or a required
library is missing (never for a missing GPU), 2 for bad usage.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import ctypes
import dataclasses
import fractions
import json
import multiprocessing
import os
import sys
import warnings
from typing import Any, Dict, Iterable, List, Optional, Sequence, TextIO, Tuple

VIDEO_EXTENSIONS = (
    ".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".ts", ".mts", ".m2ts", ".mpg", ".mpeg",
    ".flv", ".wmv", ".3gp", ".ogv", ".y4m", ".mxf", ".gif",
)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="codecflow", description="codecflow: inspect media, check the install, index videos."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    info = sub.add_parser("info", help="container and stream metadata of a file")
    info.add_argument("file")
    info.add_argument("--json", action="store_true", help="print JSON instead of a table")
    doctor = sub.add_parser("doctor", help="FFmpeg, codecs, hardware acceleration, CUDA")
    doctor.add_argument("--json", action="store_true", help="print JSON instead of text")
    doctor.add_argument("--codecs", action="store_true", help="list every codec, not a summary")
    index = sub.add_parser("index", help="store the exact-mode frame index of every video")
    index.add_argument("paths", nargs="+", metavar="PATH", help="directories or video files")
    index.add_argument("--cache", required=True, help="the index cache directory")
    index.add_argument("--jobs", type=int, default=0, help="worker processes (0: CPU count)")
    index.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if args.command == "info":
        return _info(args.file, args.json, sys.stdout)
    if args.command == "doctor":
        return _doctor(args.json, args.codecs, sys.stdout)
    return _index(args.paths, args.cache, args.jobs, args.quiet, sys.stdout, sys.stderr)


# -- info -----------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, fractions.Fraction):
        return f"{value.numerator}/{value.denominator}"
    if isinstance(value, float) and value != value:
        return None
    return value


def _stream_dict(stream: Any) -> Dict[str, Any]:
    kind = type(stream).__name__.replace("StreamMetadata", "").lower() or "other"
    fields = {f.name: _jsonable(getattr(stream, f.name)) for f in dataclasses.fields(stream)}
    return {"media_type": kind, **fields}


def _info(path: str, as_json: bool, out: TextIO) -> int:
    from codecflow.decoders._metadata import get_container_metadata

    try:
        meta = get_container_metadata(path)
    except Exception as error:
        print(f"codecflow info: {path}: {error}", file=sys.stderr)
        return 1
    streams = [_stream_dict(s) for s in meta.streams]
    if as_json:
        container = {
            "path": path,
            "duration_seconds_from_header": meta.duration_seconds_from_header,
            "bit_rate_from_header": meta.bit_rate_from_header,
            "best_video_stream_index": meta.best_video_stream_index,
            "best_audio_stream_index": meta.best_audio_stream_index,
        }
        json.dump({"container": container, "streams": streams}, out, indent=2)
        out.write("\n")
        return 0
    out.write(f"{path}\n")
    out.write(f"  duration: {_fmt(meta.duration_seconds_from_header, ' s')}"
              f"   bit rate: {_fmt(meta.bit_rate_from_header, ' b/s')}"
              f"   streams: {len(streams)}\n")
    rows = [("#", "type", "codec", "details", "duration", "bit rate")]
    for s in streams:
        if s["media_type"] == "video":
            details = (f"{s['width']}x{s['height']} {s['pixel_format'] or '?'}, "
                       f"{_fmt(s['average_fps_from_header'], ' fps')}, "
                       f"{_fmt(s['num_frames_from_header'], ' frames')}")
            if s["rotation"]:
                details += f", rotated {s['rotation']:g}°"
        elif s["media_type"] == "audio":
            details = (f"{_fmt(s['sample_rate'], ' Hz')}, {_fmt(s['num_channels'], ' ch')}, "
                       f"{s['sample_format'] or '?'}")
        else:
            details = ""
        best = s["stream_index"] in (meta.best_video_stream_index, meta.best_audio_stream_index)
        rows.append((
            f"{s['stream_index']}{'*' if best else ''}", s["media_type"], s["codec"] or "?",
            details, _fmt(s["duration_seconds_from_header"], " s"), _fmt(s["bit_rate"], " b/s"),
        ))
    _table(rows, out)
    out.write("  (* the best stream of its type)\n")
    return 0


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "?"
    if isinstance(value, float):
        return f"{value:.6g}{unit}"
    return f"{value}{unit}"


def _table(rows: List[Tuple[str, ...]], out: TextIO) -> None:
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        out.write("  " + "  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() + "\n")


# -- doctor ---------------------------------------------------------------


def _try_load(names: Iterable[str]) -> Tuple[bool, str]:
    """Loads the first library that loads; (ok, its name or every error)."""
    errors = []
    for name in names:
        try:
            ctypes.CDLL(name)
            return True, name
        except OSError as error:
            errors.append(str(error))
    return False, "; ".join(errors)


def _cuda_report() -> Dict[str, Any]:
    from codecflow import _core

    report: Dict[str, Any] = {"built_with_cuda": bool(_core.has_cuda())}
    ok, detail = _try_load(["libcuda.so.1", "libcuda.so"])
    report["cuda_driver"] = {"loads": ok, "detail": detail}
    if ok:
        try:
            report["cuda_devices"] = int(_core.cuda_device_count())
        except Exception as error:  # the real reason, e.g. no device, driver mismatch
            report["cuda_devices"] = 0
            report["cuda_error"] = str(error)
    ok, detail = _try_load(["libnvcuvid.so.1", "libnvcuvid.so"])
    report["nvdec"] = {"loads": ok, "detail": detail}
    ok, detail = _try_load(["libnvidia-encode.so.1", "libnvidia-encode.so"])
    report["nvenc"] = {"loads": ok, "detail": detail}
    return report


def _doctor(as_json: bool, all_codecs: bool, out: TextIO) -> int:
    import codecflow
    from codecflow import _core

    loaded = {lib.name: lib for lib in codecflow.ffmpeg_libraries()}
    libraries = [
        {"name": n, "version": v, "configuration": c, "path": loaded[n].path,
         "bundled": loaded[n].bundled}
        for n, v, c in _core.ffmpeg_libraries()
    ]
    codecs = [
        {"name": n, "long_name": ln, "media_type": t, "decoder": d, "hardware": h}
        for n, ln, t, d, h in _core.ffmpeg_codecs()
    ]
    hwaccels = list(_core.ffmpeg_hardware_device_types())
    cuda = _cuda_report()
    if as_json:
        json.dump({
            "codecflow": codecflow.__version__,
            "ffmpeg_major_version": codecflow.ffmpeg_major_version,
            "ffmpeg_library_path": codecflow.ffmpeg_library_path(),
            "libraries": libraries,
            "hardware_device_types": hwaccels,
            "codecs": codecs,
            "cuda": cuda,
        }, out, indent=2)
        out.write("\n")
        return 0
    out.write(f"codecflow {codecflow.__version__}, FFmpeg {codecflow.ffmpeg_major_version}\n")
    origin = "bundled in the wheel" if all(lib["bundled"] for lib in libraries) else "the system's"
    out.write(f"FFmpeg libraries: {origin}, from {codecflow.ffmpeg_library_path() or '?'}\n")
    for lib in libraries:
        out.write(f"  {lib['name']:<14} {lib['version']:<10} {lib['path'] or '?'}\n")
    out.write(f"configuration: {libraries[0]['configuration']}\n")
    decoders = [c for c in codecs if c["decoder"]]
    encoders = [c for c in codecs if not c["decoder"]]
    out.write(f"codecs: {len(decoders)} decoders, {len(encoders)} encoders\n")
    wanted = None if all_codecs else {"h264", "hevc", "av1", "libdav1d", "vp9", "libvpx-vp9",
                                      "mpeg4", "aac", "mp3", "opus", "libopus", "flac",
                                      "libx264", "libx265", "libsvtav1", "libaom-av1",
                                      "h264_nvenc", "hevc_nvenc", "av1_nvenc", "h264_cuvid",
                                      "hevc_cuvid"}
    for c in codecs:
        if wanted is None or c["name"] in wanted:
            role = "decoder" if c["decoder"] else "encoder"
            hw = " (hardware)" if c["hardware"] else ""
            out.write(f"  {c['name']:<16} {c['media_type']:<6} {role}{hw}\n")
    out.write(f"hardware device types: {', '.join(hwaccels) or 'none'}\n")
    out.write(f"built with CUDA: {'yes' if cuda['built_with_cuda'] else 'no'}\n")
    for label, key in (("CUDA driver", "cuda_driver"), ("NVDEC", "nvdec"), ("NVENC", "nvenc")):
        entry = cuda[key]
        detail = entry["detail"]
        state = f"loads ({detail})" if entry["loads"] else f"does not load: {detail}"
        out.write(f"{label}: {state}\n")
    if "cuda_devices" in cuda:
        out.write(f"CUDA devices: {cuda['cuda_devices']}\n")
    if "cuda_error" in cuda:
        out.write(f"CUDA error: {cuda['cuda_error']}\n")
    return 0


# -- index ----------------------------------------------------------------


def find_videos(paths: Sequence[str]) -> List[str]:
    """The video files (by extension) under directories, and files as given."""
    found: List[str] = []
    for path in paths:
        if os.path.isdir(path):
            for root, dirs, files in os.walk(path):
                dirs.sort()
                for name in sorted(files):
                    if name.lower().endswith(VIDEO_EXTENSIONS):
                        found.append(os.path.join(root, name))
        else:
            found.append(path)
    return found


def _index_one(job: Tuple[str, str]) -> Tuple[str, Optional[str], str]:
    """(path, error or None, where the index came from) for one file."""
    path, cache = job
    from codecflow.decoders import VideoDecoder

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            decoder = VideoDecoder(path, index_cache=cache)
        problems = [str(w.message) for w in caught]
        origin = decoder._index_origin
        if origin == "scan" and problems:
            return path, "; ".join(problems), origin
        return path, None, origin
    except Exception as error:
        return path, f"{type(error).__name__}: {error}", "none"


def _progress(done: int, total: int, failed: int, err: TextIO) -> None:
    width = 30
    filled = width * done // max(total, 1)
    bar = "#" * filled + "." * (width - filled)
    err.write(f"\r[{bar}] {done}/{total} files, {failed} failed")
    err.flush()


def _index(paths: Sequence[str], cache: str, jobs: int, quiet: bool, out: TextIO,
           err: TextIO) -> int:
    files = find_videos(paths)  # a missing path fails as a file (FileNotFoundError)
    if not files:
        err.write("codecflow index: no video files found\n")
        return 1
    os.makedirs(cache, exist_ok=True)
    workers = jobs if jobs > 0 else (os.cpu_count() or 1)
    workers = max(1, min(workers, len(files)))
    failures: List[Tuple[str, str]] = []
    counts = {"scan": 0, "cache": 0}
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
        results = pool.map(_index_one, [(f, cache) for f in files])
        for done, (path, error, origin) in enumerate(results, start=1):
            if error is not None:
                failures.append((path, error))
            elif origin in counts:
                counts[origin] += 1
            if not quiet:
                _progress(done, len(files), len(failures), err)
    if not quiet:
        err.write("\n")
    out.write(f"indexed {counts['scan']} files, {counts['cache']} already cached, "
              f"{len(failures)} failed, into {cache}\n")
    for path, error in failures:
        out.write(f"  FAILED {path}: {error}\n")
    return 1 if failures else 0

"""Generate and cache the media files used by the test suite.

Every asset is produced from a *recipe* (an ffmpeg argument list, or a small
Python transformation of another asset).  Assets live in a cache directory
(``tests/media/cache`` by default, overridable with the ``CODECFLOW_MEDIA_DIR``
environment variable) next to a ``.recipe`` sidecar holding the hash of the
recipe that produced them.  An asset is rebuilt only when it is missing or when
its recipe (or the recipe of an asset it is derived from) changed.

Files are written under a temporary name and renamed into place, so an
interrupted run never leaves a partial file that looks cached, and generation
is serialised across processes with an ``fcntl.flock`` lock file.

Besides the media themselves the module exposes cached ground truth computed
with the ffmpeg command line tools: decoded RGB frames (``reference_frames``),
decoded float samples (``audio_reference``) and ffprobe's view of frames,
packets, streams and format (``probe_frames``, ``probe_packets``,
``probe_streams``).

Run ``python tests/media/generate.py`` to generate everything up front.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "AUDIO",
    "OTHER",
    "VIDEO",
    "audio_reference",
    "cache_dir",
    "clip",
    "ensure_all",
    "names",
    "probe_frames",
    "probe_packets",
    "probe_streams",
    "reference_frames",
    "rotation",
]

#: Version of the cache layout; bump to invalidate every cached file.
_CACHE_VERSION = 1

_FFMPEG = "ffmpeg"
_FFPROBE = "ffprobe"
_FFMPEG_PREFIX = (_FFMPEG, "-nostdin", "-hide_banner", "-v", "error", "-y")


# --------------------------------------------------------------------------
# Asset table
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Asset:
    """One cached file.

    ``recipe`` is a JSON-serialisable description of how the file is made; it
    is hashed (together with the hashes of ``deps``) to decide whether a cached
    copy is still valid.  For ffmpeg assets it is the argument list, in which
    ``{dep:NAME}`` stands for the path of asset ``NAME``; the output path is
    appended.  Assets made in Python instead have a ``build`` function (given
    the asset and the output path) whose parameters all appear in ``recipe``.
    An alias shares the file of the asset named by ``alias_of``.
    """

    name: str
    filename: str
    kind: str  # "video", "audio" or "other"
    description: str
    recipe: tuple[Any, ...]
    deps: tuple[str, ...] = ()
    build: Callable[[_Asset, Path], None] | None = field(default=None, compare=False)
    alias_of: str | None = None


def _video_src(size: str = "320x240", rate: int = 30, duration: float = 1.0) -> list[str]:
    return ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration={duration}"]


def _sines(
    freqs: Sequence[int], rate: int, duration: float, layout: str | None = None
) -> list[str]:
    """An ``aevalsrc`` input with one sine of a distinct frequency per channel."""
    exprs = "|".join(f"0.5*sin(2*PI*{f}*t)" for f in freqs)
    spec = f"aevalsrc={exprs}:s={rate}:d={duration}"
    if layout is not None:
        spec += f":channel_layout={layout}"
    return ["-f", "lavfi", "-i", spec]


def _args(text: str) -> list[str]:
    """Split a string of command line options (none of them contains spaces)."""
    return text.split()


_STEREO = (440, 660)
_SURROUND51 = (220, 330, 440, 110, 550, 660)

_X264 = _args("-c:v libx264 -preset veryfast -pix_fmt yuv420p")
_X265 = _args("-c:v libx265 -preset veryfast -x265-params log-level=error -tag:v hvc1")

_ASSETS: dict[str, _Asset] = {}


def _add(
    name: str,
    ext: str,
    kind: str,
    description: str,
    recipe: Sequence[Any],
    *,
    deps: Sequence[str] = (),
    build: Callable[[_Asset, Path], None] | None = None,
) -> None:
    if name in _ASSETS:
        raise ValueError(f"duplicate asset {name!r}")
    filename = f"{name}.{ext}"
    _ASSETS[name] = _Asset(name, filename, kind, description, tuple(recipe), tuple(deps), build)


def _alias(name: str, target: str, description: str) -> None:
    t = _ASSETS[target]
    _ASSETS[name] = _Asset(name, t.filename, t.kind, description, (), (target,), None, target)


# ---- video -----------------------------------------------------------------

_add(
    "h264_bframes", "mp4", "video",
    "H.264 yuv420p 320x240 30 fps 2 s, 3 B-frames, closed GOPs of 15",
    [*_video_src(duration=2), *_X264, *_args("-bf 3 -g 15 -sc_threshold 0")],
)  # fmt: skip
_add(
    "h264_open_gop", "mp4", "video",
    "H.264 320x240 30 fps 2 s, open GOPs of 12 with 3 B-frames",
    [*_video_src(duration=2), *_X264, "-bf", "3",
     "-x264-params", "open_gop=1:keyint=12:min-keyint=12:scenecut=0:bframes=3"],
)  # fmt: skip
_add(
    "hevc", "mp4", "video",
    "HEVC (libx265) yuv420p 320x240 30 fps 1 s, hvc1 tag",
    [*_video_src(), *_X265, "-pix_fmt", "yuv420p"],
)  # fmt: skip
_add(
    "vp9", "webm", "video",
    "VP9 (libvpx) 320x240 30 fps 1 s in WebM, with alt-ref frames",
    [*_video_src(),
     *_args("-c:v libvpx-vp9 -deadline good -cpu-used 8 -auto-alt-ref 1 -lag-in-frames 16"),
     *_args("-b:v 400k -pix_fmt yuv420p")],
)  # fmt: skip
# The SPS crops 16 columns on the left and 8 rows at the top: libavcodec
# leaves that part of the crop of hardware frames to the caller. "other":
# the CLI references of video assets would keep the left columns (the CLI
# rounds a left crop down to the planes' alignment); its test makes its own.
_add(
    "h264_crop_topleft", "mp4", "other",
    "H.264 yuv420p 320x240 coded, 304x232 shown (SPS crop 16 left, 8 top), 30 fps 1 s",
    [*_video_src(), *_X264, *_args("-bsf:v h264_metadata=crop_left=16:crop_top=8")],
)  # fmt: skip
_add(
    "mpeg4", "avi", "video",
    "MPEG-4 part 2 320x240 25 fps 1 s in AVI (no B-frames)",
    [*_video_src(rate=25), *_args("-c:v mpeg4 -q:v 4 -g 10 -pix_fmt yuv420p")],
)  # fmt: skip
_add(
    "av1", "mp4", "video",
    "AV1 (SVT-AV1 preset 12) 320x240 30 fps 1 s in MP4",
    [*_video_src(), *_args("-c:v libsvtav1 -preset 12 -pix_fmt yuv420p")],
)  # fmt: skip
_add(
    "h264_audio", "mp4", "video",
    "H.264 320x240 30 fps 2 s + AAC stereo 48 kHz (440/660 Hz)",
    [*_video_src(duration=2), *_sines(_STEREO, 48000, 2), "-map", "0:v", "-map", "1:a",
     *_X264, *_args("-bf 2 -g 30 -c:a aac -b:a 128k")],
)  # fmt: skip
_add(
    "odd_size", "mp4", "video",
    "H.264 yuv420p 650x370 (not multiples of 16) 30 fps 1 s",
    [*_video_src(size="650x370"), *_X264],
)  # fmt: skip
_add(
    "h264_720p", "mp4", "video",
    "H.264 yuv420p 1280x720 30 fps 0.4 s, 2 B-frames, GOPs of 6 (frames large enough for "
    "swscale's slice threads)",
    [*_video_src(size="1280x720", duration=0.4), *_X264, *_args("-bf 2 -g 6")],
)  # fmt: skip
_add(
    "hevc_720p10", "mp4", "video",
    "HEVC Main 10 yuv420p10le 1280x720 30 fps 0.3 s",
    [*_video_src(size="1280x720", duration=0.3),
     *_args("-c:v libx265 -preset ultrafast -x265-params log-level=error -tag:v hvc1"
            " -pix_fmt yuv420p10le")],
)  # fmt: skip
_add(
    "yuv444p", "mp4", "video",
    "H.264 High 4:4:4 (yuv444p) 320x240 30 fps 1 s",
    [*_video_src(), *_args("-c:v libx264 -preset veryfast -pix_fmt yuv444p")],
)  # fmt: skip
_add(
    "yuvj420p", "avi", "video",
    "Motion JPEG full-range yuvj420p 320x240 30 fps 1 s in AVI",
    [*_video_src(), *_args("-c:v mjpeg -q:v 3 -pix_fmt yuvj420p")],
)  # fmt: skip
_add(
    "yuv420p10", "mp4", "video",
    "HEVC Main 10 (yuv420p10le) 320x240 30 fps 1 s",
    [*_video_src(), *_X265, "-pix_fmt", "yuv420p10le"],
)  # fmt: skip
# HEVC 4:4:4, which NVDEC decodes (to yuv444p / yuv444p16), unlike H.264
# 4:4:4.
_add(
    "hevc_yuv444p", "mp4", "video",
    "HEVC Main 4:4:4 (yuv444p) 320x240 30 fps 1 s",
    [*_video_src(), *_X265, "-pix_fmt", "yuv444p"],
)  # fmt: skip
_add(
    "hevc_yuv444p10", "mp4", "video",
    "HEVC Main 4:4:4 10 (yuv444p10le) 320x240 30 fps 1 s",
    [*_video_src(), *_X265, "-pix_fmt", "yuv444p10le"],
)  # fmt: skip
# Frames 0-19 are 1/30 s apart, frames 20-39 are 7/120 s apart, then 1/30 s
# again.  Timestamps are integers in a 1/90000 time base so no rounding occurs.
# B-frames are disabled: with B-frames and an irregular stts this ffmpeg's mp4
# demuxer reports no packet durations at all.
_add(
    "vfr", "mp4", "video",
    "H.264 320x240 variable frame rate (1/30 s and 7/120 s gaps), 60 frames",
    [*_video_src(duration=2), "-vf", "settb=1/90000,setpts=N*3000+clip(N-20\\,0\\,20)*2250",
     *_args("-fps_mode passthrough -enc_time_base 1/90000"), *_X264, "-bf", "0", "-g", "15"],
)  # fmt: skip
_add(
    "edit_list", "mp4", "video",
    "h264_bframes stream-copied from 0.6 s: edit list, first shown frame is not a key frame",
    ["-ss", "0.6", "-i", "{dep:h264_bframes}", "-c", "copy"],
    deps=("h264_bframes",),
)  # fmt: skip
# The first pts, 750000 in 1/90000, is 8.3333333... s; ffprobe prints
# 8.333333, a little before it.  The muxer adds no delay of its own.
_add(
    "nonzero_start", "ts", "video",
    "H.264 160x120 30 fps 1 s in MPEG-TS starting at 8.333 s (pts 750000 of 1/90000)",
    [*_video_src(size="160x120"), "-vf", "settb=1/90000,setpts=N*3000+750000",
     *_args("-fps_mode passthrough -enc_time_base 1/90000"), *_X264,
     *_args("-bf 2 -g 10 -muxdelay 0 -muxpreload 0")],
)  # fmt: skip
# Matroska gives the duration of the whole segment only, which libavformat
# leaves unassigned to streams when there are several.
_add(
    "mkv_audio_video", "mkv", "video",
    "H.264 160x120 30 fps 1 s + PCM mono 16 kHz 1 s in Matroska: no per-stream duration",
    [*_video_src(size="160x120"), *_sines((440,), 16000, 1, "mono"), "-map", "0:v",
     "-map", "1:a", *_X264, *_args("-bf 2 -g 10 -c:a pcm_s16le")],
)  # fmt: skip
_add(
    "rot0", "mp4", "video",
    "H.264 320x240 30 fps 1 s, no rotation (the source of the rot* clips)",
    [*_video_src(), *_X264, "-bf", "2", "-g", "10"],
)  # fmt: skip


def _build_rotated(asset: _Asset, out: Path) -> None:
    degrees = int(asset.recipe[1])
    shutil.copyfile(_path(asset.deps[0]), out)
    _set_display_rotation(out, degrees)


for _deg, _ffprobe_rotation in ((90, -90), (180, -180), (270, 90)):
    _add(
        f"rot{_deg}", "mp4", "video",
        f"rot0 with a display matrix turning it {_deg} degrees clockwise "
        f"(ffprobe rotation {_ffprobe_rotation})",
        ["display_rotation_cw", _deg, 1],
        deps=("rot0",),
        build=_build_rotated,
    )  # fmt: skip

# ---- colour spaces for the CUDA tests ------------------------------------------
# Small clips tagged with each matrix and range the GPU colour kernels
# implement; the content is converted to the tagged matrix so it looks right.
# fmt: off
for _name, _desc, _codec, _pix, _tags in (
    ("color_bt601", "H.264 BT.601 (SMPTE 170M) limited range", _X264, "yuv420p",
     "-colorspace smpte170m -color_primaries smpte170m -color_trc smpte170m -color_range tv"),
    ("color_bt709", "H.264 BT.709 limited range", _X264, "yuv420p",
     "-colorspace bt709 -color_primaries bt709 -color_trc bt709 -color_range tv"),
    ("color_bt709_full", "H.264 BT.709 full range", _X264, "yuv420p",
     "-colorspace bt709 -color_primaries bt709 -color_trc bt709 -color_range pc"),
    ("color_bt2020_10bit", "HEVC Main 10 BT.2020 (NCL) limited range", _X265, "yuv420p10le",
     "-colorspace bt2020nc -color_primaries bt2020 -color_trc smpte2084 -color_range tv"),
    ("color_fcc", "H.264 FCC limited range", _X264, "yuv420p",
     "-colorspace fcc -color_primaries smpte170m -color_trc smpte170m -color_range tv"),
    ("color_smpte240m", "H.264 SMPTE 240M limited range", _X264, "yuv420p",
     "-colorspace smpte240m -color_primaries smpte240m -color_trc smpte240m -color_range tv"),
):
    _matrix = _tags.split()[1].replace("smpte170m", "bt601").replace("bt2020nc", "bt2020")
    _range = "full" if _tags.endswith("pc") else "limited"
    _add(
        _name, "mp4", "video",
        f"{_desc}, 320x240 30 fps 0.5 s",
        [*_video_src(duration=0.5), "-vf",
         f"scale=out_color_matrix={_matrix}:out_range={_range},format={_pix}",
         *_codec, "-pix_fmt", _pix, *_args(_tags)],
    )
_add(
    "ffv1", "mkv", "video",
    "FFV1 320x240 30 fps 0.5 s in Matroska (a codec without NVDEC support)",
    [*_video_src(duration=0.5), *_args("-c:v ffv1 -pix_fmt yuv420p")],
)
# fmt: on
# ---- encoder sources -----------------------------------------------------------
# Smooth content (no sharp chroma edges): after a 4:2:0 round trip through
# RGB the colour conversion alone keeps it above 45 dB, so encoder quality
# can be measured on it.  The filter draws random colours and end points
# whatever its seed, so both are given: the clip is the same on every machine.
_GRADIENTS = (
    "gradients=size=320x240:rate=30:duration=1:speed=0.05:nb_colors=3"
    ":c0=0x2a5fd0:c1=0xe0a040:c2=0x40c070:x0=40:y0=30:x1=280:y1=210"
)
_add(
    "gradients", "mp4", "video",
    "H.264 yuv420p 320x240 30 fps 1 s of slowly moving colour gradients",
    [*_args(f"-f lavfi -i {_GRADIENTS}"), *_X264],
)  # fmt: skip

# ---- audio -------------------------------------------------------------------

for _codec in ("pcm_u8", "pcm_s16le", "pcm_s24le", "pcm_s32le", "pcm_f32le", "pcm_f64le"):
    _add(
        f"wav_{_codec[4:].removesuffix('le')}", "wav", "audio",
        f"WAV {_codec} stereo 16 kHz 2 s (440/660 Hz)",
        [*_sines(_STEREO, 16000, 2), "-c:a", _codec],
    )  # fmt: skip
_add(
    "wav_extensible", "wav", "audio",
    "WAV pcm_s24le 5.1 16 kHz 1 s, WAVE_FORMAT_EXTENSIBLE with channel mask 0x3f",
    [*_sines(_SURROUND51, 16000, 1, "5.1"), "-c:a", "pcm_s24le"],
)  # fmt: skip
_add(
    "wav_rf64", "wav", "audio",
    "RF64 WAV pcm_s16le stereo 16 kHz 2 s",
    [*_sines(_STEREO, 16000, 2), *_args("-c:a pcm_s16le -rf64 always")],
)  # fmt: skip
_add(
    "mp3", "mp3", "audio",
    "MP3 (libmp3lame) stereo 44.1 kHz 2 s",
    [*_sines(_STEREO, 44100, 2), *_args("-c:a libmp3lame -b:a 128k")],
)  # fmt: skip
_add(
    "aac_m4a", "m4a", "audio",
    "AAC in M4A stereo 44.1 kHz 2 s",
    [*_sines(_STEREO, 44100, 2), *_args("-c:a aac -b:a 128k")],
)  # fmt: skip
_add(
    "flac", "flac", "audio",
    "FLAC stereo 44.1 kHz 2 s",
    [*_sines(_STEREO, 44100, 2), "-c:a", "flac"],
)  # fmt: skip
_add(
    "vorbis_ogg", "ogg", "audio",
    "Vorbis (libvorbis) in Ogg stereo 44.1 kHz 2 s",
    [*_sines(_STEREO, 44100, 2), *_args("-c:a libvorbis -q:a 4")],
)  # fmt: skip
_add(
    "opus_ogg", "opus", "audio",
    "Opus (libopus) in Ogg stereo 48 kHz 2 s",
    [*_sines(_STEREO, 48000, 2), *_args("-c:a libopus -b:a 96k")],
)  # fmt: skip
_add(
    "opus_webm", "webm", "audio",
    "Opus (libopus) in WebM stereo 48 kHz 2 s",
    [*_sines(_STEREO, 48000, 2), *_args("-c:a libopus -b:a 96k")],
)  # fmt: skip
_add(
    "mono_flac", "flac", "audio",
    "FLAC mono 22.05 kHz 2 s (440 Hz)",
    [*_sines((440,), 22050, 2, "mono"), "-c:a", "flac"],
)  # fmt: skip
_add(
    "surround51_flac", "flac", "audio",
    "FLAC 5.1 (6 channels, distinct frequencies) 44.1 kHz 1 s",
    [*_sines(_SURROUND51, 44100, 1, "5.1"), "-c:a", "flac"],
)  # fmt: skip

# Audio decoder assets: files long enough for seeking (more than 10 s), a
# mono WAV, and WAV files holding compressed audio (which WavDecoder refuses
# and AudioDecoder decodes). Listed under OTHER so that AUDIO keeps naming
# the 2 s format matrix.
_add(
    "long_flac", "flac", "other",
    "FLAC mono 8 kHz 24 s (440 Hz), long enough for the decoders' forward seeks",
    [*_sines((440,), 8000, 24, "mono"), "-c:a", "flac"],
)  # fmt: skip
_add(
    "long_mp3", "mp3", "other",
    "MP3 (libmp3lame) mono 22.05 kHz 24 s (440 Hz)",
    [*_sines((440,), 22050, 24, "mono"), *_args("-c:a libmp3lame -b:a 64k")],
)  # fmt: skip
_add(
    "long_aac", "m4a", "other",
    "AAC in M4A with the moov box first (faststart), mono 22.05 kHz 24 s (440 Hz): "
    "seekable, and still readable when cut short",
    [*_sines((440,), 22050, 24, "mono"), *_args("-c:a aac -b:a 64k -movflags +faststart")],
)  # fmt: skip
_add(
    "wav_s16_mono", "wav", "other",
    "WAV pcm_s16le mono 8 kHz 1 s (440 Hz)",
    [*_sines((440,), 8000, 1, "mono"), "-c:a", "pcm_s16le"],
)  # fmt: skip
_add(
    "wav_adpcm", "wav", "other",
    "WAV holding Microsoft ADPCM (format tag 0x0002), stereo 16 kHz 1 s",
    [*_sines(_STEREO, 16000, 1), "-c:a", "adpcm_ms"],
)  # fmt: skip
_add(
    "wav_alaw", "wav", "other",
    "WAV holding A-law (format tag 0x0006), mono 8 kHz 1 s",
    [*_sines((440,), 8000, 1, "mono"), "-c:a", "pcm_alaw"],
)  # fmt: skip

# ---- other -------------------------------------------------------------------

_alias("video_only", "h264_bframes", "alias of h264_bframes: a file with no audio stream")


def _build_truncated(asset: _Asset, out: Path) -> None:
    data = _path(asset.deps[0]).read_bytes()
    out.write_bytes(data[: int(len(data) * float(asset.recipe[1]))])


_add(
    "truncated_mp4", "mp4", "other",
    "first 60% of the bytes of h264_bframes.mp4 (no moov box)",
    ["truncate", 0.6],
    deps=("h264_bframes",),
    build=_build_truncated,
)  # fmt: skip

# Files that end early are cut from these at test time (a cut file keeps
# its header: MP4 needs the moov box first).
_add(
    "h264_faststart", "mp4", "other",
    "h264_bframes stream-copied with the moov box first (faststart)",
    ["-i", "{dep:h264_bframes}", "-c", "copy", "-movflags", "+faststart"],
    deps=("h264_bframes",),
)
_add(
    "hevc_faststart", "mp4", "other",
    "hevc stream-copied with the moov box first (faststart), hvc1 tag",
    ["-i", "{dep:hevc}", "-c", "copy", "-tag:v", "hvc1", "-movflags", "+faststart"],
    deps=("hevc",),
)
_add(
    "h264_fragmented", "mp4", "other",
    "h264_bframes stream-copied into a fragmented MP4 (frag_keyframe+empty_moov)",
    ["-i", "{dep:h264_bframes}", "-c", "copy", "-movflags", "frag_keyframe+empty_moov"],
    deps=("h264_bframes",),
)

_BARE_MP3 = _args("-c:a libmp3lame -b:a 64k -write_xing 0 -id3v2_version 0")
_add(
    "mp3_mono_bare", "mp3", "other",
    "MP3 mono 44.1 kHz 1 s (550 Hz), no ID3 tag or Xing frame",
    [*_sines((550,), 44100, 1, "mono"), *_BARE_MP3],
)
_add(
    "mp3_stereo_bare", "mp3", "other",
    "MP3 stereo 44.1 kHz 1 s (440/660 Hz), no ID3 tag or Xing frame",
    [*_sines(_STEREO, 44100, 1), *_BARE_MP3],
)


def _build_concatenated(asset: _Asset, out: Path) -> None:
    out.write_bytes(b"".join(_path(dep).read_bytes() for dep in asset.deps))


_add(
    "mp3_mono_then_stereo", "mp3", "other",
    "mp3_mono_bare then mp3_stereo_bare, byte for byte: one channel, then two",
    ["concatenate"],
    deps=("mp3_mono_bare", "mp3_stereo_bare"),
    build=_build_concatenated,
)
_add(
    "mp3_stereo_then_mono", "mp3", "other",
    "mp3_stereo_bare then mp3_mono_bare, byte for byte: two channels, then one",
    ["concatenate"],
    deps=("mp3_stereo_bare", "mp3_mono_bare"),
    build=_build_concatenated,
)

_TEXT = "This is a plain text file, not a media file.\n" * 20


def _build_text(asset: _Asset, out: Path) -> None:
    out.write_text(str(asset.recipe[1]), encoding="utf-8")


# libavformat opens *.txt files with its "tty" (ANSI art) demuxer, which
# exposes a video stream; the same text under a neutral suffix is not
# recognised as media at all.
_add(
    "text_file", "txt", "other",
    "plain text with a .txt suffix (libavformat's tty demuxer accepts it as ANSI art video)",
    ["text", _TEXT],
    build=_build_text,
)  # fmt: skip
_add(
    "not_media", "dat", "other",
    "the same plain text with a .dat suffix: no demuxer recognises it",
    ["text", _TEXT],
    build=_build_text,
)  # fmt: skip

#: Names of the video clips (files with a video stream).
VIDEO: tuple[str, ...] = tuple(n for n, a in _ASSETS.items() if a.kind == "video")
#: Names of the audio-only files.
AUDIO: tuple[str, ...] = tuple(n for n, a in _ASSETS.items() if a.kind == "audio")
#: Names of the remaining assets (aliases, broken and non-media files).
OTHER: tuple[str, ...] = tuple(n for n, a in _ASSETS.items() if a.kind == "other")


# --------------------------------------------------------------------------
# Cache machinery
# --------------------------------------------------------------------------


def cache_dir() -> Path:
    """Return the cache directory (``$CODECFLOW_MEDIA_DIR`` or ``tests/media/cache``)."""
    env = os.environ.get("CODECFLOW_MEDIA_DIR")
    path = Path(env) if env else Path(__file__).resolve().parent / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


def names() -> list[str]:
    """Return the names of all known assets, in definition order."""
    return list(_ASSETS)


_thread_lock = threading.RLock()
_lock_depth = 0


@contextlib.contextmanager
def _locked() -> Iterator[None]:
    """Hold the cache's inter-process lock (re-entrant within a process)."""
    global _lock_depth
    with _thread_lock:
        if _lock_depth:
            _lock_depth += 1
            try:
                yield
            finally:
                _lock_depth -= 1
            return
        with open(cache_dir() / ".lock", "a+b") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            _lock_depth = 1
            try:
                # Temporary files are only written under the lock, so any
                # left now belong to a run that was killed.
                for stale in cache_dir().glob(".tmp-*"):
                    stale.unlink(missing_ok=True)
                yield
            finally:
                _lock_depth = 0
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _hash(obj: Any) -> str:
    blob = json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()


def _asset(name: str) -> _Asset:
    try:
        return _ASSETS[name]
    except KeyError:
        known = ", ".join(sorted(_ASSETS))
        raise KeyError(f"unknown media asset {name!r}; known assets: {known}") from None


def _recipe_hash(name: str) -> str:
    asset = _asset(name)
    if asset.alias_of is not None:
        return _recipe_hash(asset.alias_of)
    return _hash(
        {
            "version": _CACHE_VERSION,
            "recipe": list(asset.recipe),
            "deps": {d: _recipe_hash(d) for d in asset.deps},
        }
    )


def _path(name: str) -> Path:
    return cache_dir() / _asset(name).filename


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".recipe")


def _read_sidecar(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(_sidecar(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _is_fresh(path: Path, digest: str) -> dict[str, Any] | None:
    """Return the sidecar contents when ``path`` exists and matches ``digest``."""
    meta = _read_sidecar(path)
    if meta is not None and meta.get("hash") == digest and path.is_file():
        return meta
    return None


def _tmp_name(path: Path) -> Path:
    # Keep the suffix: ffmpeg picks the output format from it.
    return path.with_name(f".tmp-{os.getpid()}-{threading.get_ident()}-{path.name}")


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = _tmp_name(path)
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _cached(
    path: Path, digest: str, build: Callable[[Path], dict[str, Any] | None]
) -> tuple[dict[str, Any], bool]:
    """Make sure ``path`` holds the artefact identified by ``digest``.

    ``build`` writes the artefact to the temporary path it is given and may
    return metadata, which is stored in the sidecar.  Returns the sidecar
    contents and whether the artefact was (re)built.
    """
    meta = _is_fresh(path, digest)
    if meta is not None:
        return meta, False
    with _locked():
        meta = _is_fresh(path, digest)
        if meta is not None:
            return meta, False
        tmp = _tmp_name(path)
        try:
            tmp.unlink(missing_ok=True)
            extra = build(tmp) or {}
            if not tmp.is_file():
                raise RuntimeError(f"building {path.name} produced no file")
            meta = {"hash": digest, **extra}
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        _atomic_write_text(_sidecar(path), json.dumps(meta, indent=1, sort_keys=True) + "\n")
        return meta, True


def _run(args: Sequence[str], *, stdout: Any = subprocess.PIPE) -> bytes:
    """Run a command, raising ``RuntimeError`` with its stderr on failure."""
    try:
        proc = subprocess.run(list(args), stdout=stdout, stderr=subprocess.PIPE, check=False)
    except FileNotFoundError as exc:
        raise RuntimeError(
            f"{args[0]} not found; the ffmpeg command line tools are required"
        ) from exc
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace").strip()
        raise RuntimeError(f"command failed ({proc.returncode}): {' '.join(args)}\n{err}")
    return proc.stdout if proc.stdout is not None else b""


def _ffmpeg_args(asset: _Asset, out: Path) -> list[str]:
    args: list[str] = list(_FFMPEG_PREFIX)
    for token in asset.recipe:
        token = str(token)
        if token.startswith("{dep:") and token.endswith("}"):
            token = str(_path(token[5:-1]))
        args.append(token)
    args.append(str(out))
    return args


def _ensure(name: str) -> tuple[Path, bool]:
    asset = _asset(name)
    if asset.alias_of is not None:
        return _ensure(asset.alias_of)
    for dep in asset.deps:
        _ensure(dep)
    path = _path(name)

    def build(tmp: Path) -> None:
        if asset.build is not None:
            asset.build(asset, tmp)
        else:
            _run(_ffmpeg_args(asset, tmp))

    _, generated = _cached(path, _recipe_hash(name), build)
    return path, generated


# --------------------------------------------------------------------------
# MP4 display matrix
# --------------------------------------------------------------------------

_CONTAINER_BOXES = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"udta"}


def _boxes(data: bytes | bytearray, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """Yield ``(type, payload_start, box_end)`` for the ISO-BMFF boxes in a range."""
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            (size,) = struct.unpack_from(">Q", data, pos + 8)
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise ValueError(f"malformed box {kind!r} at offset {pos}")
        yield kind, pos + header, pos + size
        pos += size


def _child(data: bytearray, start: int, end: int, kind: bytes) -> tuple[int, int] | None:
    for k, s, e in _boxes(data, start, end):
        if k == kind:
            return s, e
    return None


def _set_display_rotation(path: Path, degrees_cw: int) -> None:
    """Rewrite the video track's ``tkhd`` matrix to rotate it clockwise on display.

    The matrix is the one phones write for portrait video (ffprobe reports a
    rotation of ``-degrees_cw``, normalised to (-180, 180]).
    """
    one, w30 = 0x10000, 0x40000000
    data = bytearray(path.read_bytes())
    moov = _child(data, 0, len(data), b"moov")
    if moov is None:
        raise ValueError(f"{path} has no moov box")
    for kind, start, end in _boxes(data, *moov):
        if kind != b"trak":
            continue
        mdia = _child(data, start, end, b"mdia")
        hdlr = _child(data, *mdia, b"hdlr") if mdia else None
        if hdlr is None or bytes(data[hdlr[0] + 8 : hdlr[0] + 12]) != b"vide":
            continue
        tkhd = _child(data, start, end, b"tkhd")
        if tkhd is None:
            raise ValueError(f"{path} has a video track without tkhd")
        version = data[tkhd[0]]
        matrix_at = tkhd[0] + 4 + (32 if version == 1 else 20) + 16
        width, height = (v >> 16 for v in struct.unpack_from(">II", data, matrix_at + 36))
        a, b, c, d, tx, ty = {
            0: (1, 0, 0, 1, 0, 0),
            90: (0, 1, -1, 0, height, 0),
            180: (-1, 0, 0, -1, width, height),
            270: (0, -1, 1, 0, 0, width),
        }[degrees_cw % 360]
        struct.pack_into(
            ">9i",
            data,
            matrix_at,
            a * one,
            b * one,
            0,
            c * one,
            d * one,
            0,
            tx * one,
            ty * one,
            w30,
        )
        path.write_bytes(bytes(data))
        return
    raise ValueError(f"{path} has no video track")


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------


def clip(name: str) -> Path:
    """Return the path of the named asset, generating it first if needed.

    Raises ``KeyError`` (listing the known names) for an unknown name and
    ``RuntimeError`` when ffmpeg fails.
    """
    return _ensure(name)[0]


def _derived(
    name: str,
    tag: str,
    suffix: str,
    recipe: Sequence[Any],
    build: Callable[[Path, Path], dict[str, Any] | None],
) -> tuple[Path, dict[str, Any]]:
    """A file computed from asset ``name`` and cached alongside it."""
    src = clip(name)
    base = _asset(name).alias_of or name
    path = cache_dir() / f"{base}.{tag}{suffix}"
    digest = _hash({"source": _recipe_hash(base), "recipe": list(recipe)})
    meta, _ = _cached(path, digest, lambda tmp: build(src, tmp))
    return path, meta


def _probe_json(name: str, tag: str, args: Sequence[str]) -> Any:
    def build(src: Path, tmp: Path) -> None:
        out = _run([_FFPROBE, "-v", "error", *args, "-of", "json", str(src)])
        tmp.write_bytes(out)

    path, _ = _derived(name, tag, ".json", ["ffprobe", *args], build)
    return json.loads(path.read_text(encoding="utf-8"))


def probe_frames(name: str) -> list[dict[str, Any]]:
    """Return ffprobe's per-frame information for the first video stream.

    Each entry has (where ffprobe reports them) ``pts``, ``pkt_dts``,
    ``best_effort_timestamp``, ``pkt_duration``/``duration``, ``key_frame``
    and ``pict_type``, in presentation (decode output) order.
    """
    data = _probe_json(
        name,
        "frames",
        [
            "-select_streams",
            "v:0",
            "-show_frames",
            "-show_entries",
            "frame=pts,pkt_dts,best_effort_timestamp,duration,pkt_duration,key_frame,pict_type",
        ],
    )
    return list(data.get("frames", []))


def probe_packets(name: str, stream: str = "v:0") -> list[dict[str, Any]]:
    """Return ffprobe's per-packet ``pts``, ``dts``, ``duration`` and ``flags``.

    ``stream`` is an ffprobe stream specifier (first video stream by default).
    Packets are in file (decode) order.
    """
    data = _probe_json(
        name,
        f"packets-{stream.replace(':', '')}",
        [
            "-select_streams",
            stream,
            "-show_packets",
            "-show_entries",
            "packet=pts,dts,duration,flags",
        ],
    )
    return list(data.get("packets", []))


def probe_streams(name: str) -> dict[str, Any]:
    """Return ffprobe's ``-show_streams -show_format`` output (``streams``, ``format``)."""
    return dict(_probe_json(name, "streams", ["-show_streams", "-show_format"]))


def rotation(name: str) -> float:
    """Return ffprobe's display-matrix rotation of the first video stream (0 if none).

    Follows ffprobe's sign convention: counter-clockwise degrees, so a clip
    meant to be turned 90 degrees clockwise on display reports ``-90``.
    """
    for stream in probe_streams(name)["streams"]:
        if stream.get("codec_type") != "video":
            continue
        for side in stream.get("side_data_list", []):
            if side.get("side_data_type") == "Display Matrix" and "rotation" in side:
                return float(side["rotation"])
        return 0.0
    raise ValueError(f"{name} has no video stream")


def reference_frames(name: str) -> np.ndarray:
    """Return every frame of the first video stream as decoded by ffmpeg.

    The frames come from ``ffmpeg -i CLIP -map 0:v:0 -fps_mode passthrough
    -pix_fmt rgb24 -f rawvideo -``: uint8 of shape ``(N, H, W, 3)``, in
    presentation order, after ffmpeg's automatic rotation (so ``H``/``W`` are
    the displayed height and width).
    """
    ref_args = ["-map", "0:v:0", "-fps_mode", "passthrough", "-pix_fmt", "rgb24", "-f", "rawvideo"]

    def build(src: Path, tmp: Path) -> dict[str, Any]:
        # The displayed size is taken from a one-frame PPM rendered the same way.
        ppm = _run(
            [
                *_FFMPEG_PREFIX,
                "-i",
                str(src),
                "-map",
                "0:v:0",
                "-frames:v",
                "1",
                "-pix_fmt",
                "rgb24",
                "-c:v",
                "ppm",
                "-f",
                "image2pipe",
                "-",
            ]
        )
        fields = ppm.split(maxsplit=3)
        if len(fields) < 3 or fields[0] != b"P6":
            raise RuntimeError(f"unexpected PPM header from {src}")
        width, height = int(fields[1]), int(fields[2])
        with open(tmp, "wb") as fh:
            _run([*_FFMPEG_PREFIX, "-i", str(src), *ref_args, "-"], stdout=fh)
        size = tmp.stat().st_size
        if size % (width * height * 3):
            raise RuntimeError(
                f"{size} bytes of rgb24 is not a whole number of {width}x{height} frames"
            )
        return {"width": width, "height": height, "frames": size // (width * height * 3)}

    path, meta = _derived(name, "frames", ".rgb", ["ffmpeg", *ref_args, "ppm-size"], build)
    data = np.fromfile(path, dtype=np.uint8)
    return data.reshape(int(meta["frames"]), int(meta["height"]), int(meta["width"]), 3)


def reference_frames_rgb48(name: str) -> np.ndarray:
    """Return every frame of the first video stream as ffmpeg's 16-bit RGB.

    The frames come from ``ffmpeg -i CLIP -map 0:v:0 -fps_mode passthrough
    -pix_fmt rgb48le -f rawvideo -``: uint16 of shape ``(N, H, W, 3)``, the
    frames of :func:`reference_frames` at 16 bits (whatever the source's
    bit depth).
    """
    shape = reference_frames(name).shape
    ref_args = ["-map", "0:v:0", "-fps_mode", "passthrough", "-pix_fmt", "rgb48le"]
    ref_args += ["-f", "rawvideo"]

    def build(src: Path, tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            _run([*_FFMPEG_PREFIX, "-i", str(src), *ref_args, "-"], stdout=fh)

    path, _ = _derived(name, "frames48", ".rgb48", ["ffmpeg", *ref_args], build)
    data = np.fromfile(path, dtype="<u2")
    if data.size != int(np.prod(shape)):
        raise RuntimeError(f"{data.size} rgb48 values for frames of shape {shape}")
    return data.reshape(shape).astype(np.uint16, copy=False)


def audio_reference(
    name: str, *, sample_rate: int | None = None, num_channels: int | None = None
) -> np.ndarray:
    """Return the first audio stream decoded by ffmpeg as float32 ``(channels, samples)``.

    Produced by ``ffmpeg -i CLIP -map 0:a:0 [-ar R] [-ac C] -f f32le -``; the
    optional arguments resample and remix exactly as those options do.
    """
    if num_channels is None:
        audio = [s for s in probe_streams(name)["streams"] if s.get("codec_type") == "audio"]
        if not audio:
            raise ValueError(f"{name} has no audio stream")
        channels = int(audio[0]["channels"])
    else:
        channels = int(num_channels)
    args = ["-map", "0:a:0"]
    tag = "audio"
    if sample_rate is not None:
        args += ["-ar", str(int(sample_rate))]
        tag += f"-ar{int(sample_rate)}"
    if num_channels is not None:
        args += ["-ac", str(channels)]
        tag += f"-ac{channels}"
    args += ["-f", "f32le"]

    def build(src: Path, tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            _run([*_FFMPEG_PREFIX, "-i", str(src), *args, "-"], stdout=fh)

    path, _ = _derived(name, tag, ".f32", ["ffmpeg", *args], build)
    data = np.fromfile(path, dtype="<f4").astype(np.float32, copy=False)
    if data.size % channels:
        raise RuntimeError(f"{data.size} samples do not divide into {channels} channels")
    return np.ascontiguousarray(data.reshape(-1, channels).T)


def ensure_all(*, references: bool = False) -> dict[str, Path]:
    """Generate every asset (and, with ``references``, every reference) now.

    Returns a mapping from asset name to path.
    """
    paths = {name: clip(name) for name in _ASSETS}
    if references:
        for name in VIDEO:
            reference_frames(name)
            probe_frames(name)
        for name in AUDIO:
            audio_reference(name)
    return paths


def _main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--references",
        action="store_true",
        help="also compute the decoded reference frames and samples",
    )
    parser.add_argument("names", nargs="*", help="assets to generate (default: all)")
    opts = parser.parse_args(argv)
    start = time.perf_counter()
    for name in opts.names or list(_ASSETS):
        t0 = time.perf_counter()
        path, generated = _ensure(name)
        state = "generated" if generated else "cached"
        print(
            f"{name:<16} {path.stat().st_size:>9} B  {state:<9} {time.perf_counter() - t0:6.2f} s  "
            f"{path.name}"
        )
    if opts.references:
        ensure_all(references=True)
    elapsed = time.perf_counter() - start
    print(f"{len(opts.names or _ASSETS)} assets in {cache_dir()} ({elapsed:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(_main())

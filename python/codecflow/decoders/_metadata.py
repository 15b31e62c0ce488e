"""Stream and container metadata."""

from __future__ import annotations

import dataclasses
import fractions
from typing import List, Optional, Union

from codecflow import _core
from codecflow._source import SourceLike, make_source


@dataclasses.dataclass
class StreamMetadata:
    """What every stream's header says.

    Attributes:
        duration_seconds_from_header: the header's duration, or None.
        begin_stream_seconds_from_header: the header's start time, or None.
        bit_rate: bits per second, or None.
        codec: FFmpeg's codec name, e.g. ``"h264"``.
        stream_index: the stream's index in the container.
    """

    duration_seconds_from_header: Optional[float]
    begin_stream_seconds_from_header: Optional[float]
    bit_rate: Optional[float]
    codec: Optional[str]
    stream_index: int

    @property
    def duration_seconds(self) -> Optional[float]:
        """The duration: from the content when it was scanned, else the header's."""
        return self.duration_seconds_from_header

    @property
    def begin_stream_seconds(self) -> float:
        """The start time: from the content when scanned, else the header's, else 0."""
        return self.begin_stream_seconds_from_header or 0.0

    def __repr__(self) -> str:
        lines = [f"  {f.name}: {getattr(self, f.name)}" for f in dataclasses.fields(self)]
        for name in _computed(type(self)):
            lines.append(f"  {name}: {getattr(self, name)}")
        return f"{type(self).__name__}:\n" + "\n".join(lines)


def _computed(cls: type) -> List[str]:
    return [name for name in dir(cls) if isinstance(getattr(cls, name, None), property)]


@dataclasses.dataclass(repr=False)
class VideoStreamMetadata(StreamMetadata):
    """Metadata of a video stream.

    ``width`` and ``height`` are as displayed, after rotation. The
    ``*_from_content`` fields come from the packet scan of exact seek mode
    (or custom frame mappings) and are None otherwise; the computed
    properties prefer them and fall back to the header.
    """

    begin_stream_seconds_from_content: Optional[float] = None
    end_stream_seconds_from_content: Optional[float] = None
    width: Optional[int] = None
    height: Optional[int] = None
    num_frames_from_header: Optional[int] = None
    num_frames_from_content: Optional[int] = None
    average_fps_from_header: Optional[float] = None
    pixel_aspect_ratio: Optional[fractions.Fraction] = None
    rotation: Optional[float] = None
    color_primaries: Optional[str] = None
    color_space: Optional[str] = None
    color_transfer_characteristic: Optional[str] = None
    pixel_format: Optional[str] = None

    @property
    def duration_seconds(self) -> Optional[float]:
        if (
            self.end_stream_seconds_from_content is not None
            and self.begin_stream_seconds_from_content is not None
        ):
            return self.end_stream_seconds_from_content - self.begin_stream_seconds_from_content
        return self.duration_seconds_from_header

    @property
    def begin_stream_seconds(self) -> float:
        if self.begin_stream_seconds_from_content is not None:
            return self.begin_stream_seconds_from_content
        return self.begin_stream_seconds_from_header or 0.0

    @property
    def end_stream_seconds(self) -> Optional[float]:
        """Where the last frame stops being shown."""
        if self.end_stream_seconds_from_content is not None:
            return self.end_stream_seconds_from_content
        if self.duration_seconds_from_header is None:
            return None
        return self.begin_stream_seconds + self.duration_seconds_from_header

    @property
    def num_frames(self) -> Optional[int]:
        """Frames in the stream: counted by the scan when there was one."""
        if self.num_frames_from_content is not None:
            return self.num_frames_from_content
        return self.num_frames_from_header

    @property
    def average_fps(self) -> Optional[float]:
        """Frames per second: from the scanned frames when there was a scan."""
        if (
            self.num_frames_from_content is not None
            and self.end_stream_seconds_from_content is not None
            and self.begin_stream_seconds_from_content is not None
        ):
            span = self.end_stream_seconds_from_content - self.begin_stream_seconds_from_content
            if span > 0:
                return self.num_frames_from_content / span
        return self.average_fps_from_header


@dataclasses.dataclass(repr=False)
class AudioStreamMetadata(StreamMetadata):
    """Metadata of an audio stream."""

    sample_rate: Optional[int] = None
    num_channels: Optional[int] = None
    sample_format: Optional[str] = None


@dataclasses.dataclass
class ContainerMetadata:
    """What a container's header says about itself and its streams."""

    duration_seconds_from_header: Optional[float]
    bit_rate_from_header: Optional[float]
    best_video_stream_index: Optional[int]
    best_audio_stream_index: Optional[int]
    streams: List[Union[VideoStreamMetadata, AudioStreamMetadata, StreamMetadata]]


def _common(core: _core.StreamMetadata) -> dict:
    return dict(
        duration_seconds_from_header=core.duration_seconds_from_header,
        begin_stream_seconds_from_header=core.begin_stream_seconds_from_header,
        bit_rate=None if core.bit_rate is None else float(core.bit_rate),
        codec=core.codec,
        stream_index=core.stream_index,
    )


def video_metadata_from_core(core: _core.StreamMetadata) -> VideoStreamMetadata:
    """Builds the public video metadata from the core's."""
    aspect = None
    if core.sample_aspect_num is not None and core.sample_aspect_den:
        aspect = fractions.Fraction(core.sample_aspect_num, core.sample_aspect_den)
    return VideoStreamMetadata(
        **_common(core),
        begin_stream_seconds_from_content=core.begin_stream_seconds_from_content,
        end_stream_seconds_from_content=core.end_stream_seconds_from_content,
        width=core.width,
        height=core.height,
        num_frames_from_header=core.num_frames_from_header,
        num_frames_from_content=core.num_frames_from_content,
        average_fps_from_header=core.average_fps_from_header,
        pixel_aspect_ratio=aspect,
        rotation=core.rotation,
        color_primaries=core.color_primaries,
        color_space=core.color_space,
        color_transfer_characteristic=core.color_transfer_characteristic,
        pixel_format=core.pixel_format,
    )


def audio_metadata_from_core(core: _core.StreamMetadata) -> AudioStreamMetadata:
    """Builds the public audio metadata from the core's."""
    return AudioStreamMetadata(
        **_common(core),
        sample_rate=core.sample_rate,
        num_channels=core.num_channels,
        sample_format=core.sample_format,
    )


def _stream_from_core(core: _core.StreamMetadata) -> StreamMetadata:
    if core.media_type == _core.MediaType.VIDEO:
        return video_metadata_from_core(core)
    if core.media_type == _core.MediaType.AUDIO:
        return audio_metadata_from_core(core)
    return StreamMetadata(**_common(core))


def get_container_metadata(source: SourceLike) -> ContainerMetadata:
    """Reads the container header of ``source`` (no decoding, no scan).

    Args:
        source: any source a decoder accepts.

    Returns:
        ContainerMetadata with one metadata object per stream, in stream order.

    Raises:
        The source errors of the decoders (FileNotFoundError, ValueError, ...).
    """
    core = _core.read_container_metadata(make_source(source))
    return ContainerMetadata(
        duration_seconds_from_header=core.duration_seconds_from_header,
        bit_rate_from_header=(
            None if core.bit_rate_from_header is None else float(core.bit_rate_from_header)
        ),
        best_video_stream_index=core.best_video_stream_index,
        best_audio_stream_index=core.best_audio_stream_index,
        streams=[_stream_from_core(s) for s in core.streams],
    )

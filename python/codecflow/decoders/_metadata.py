"""Stream and container metadata."""

from __future__ import annotations

import dataclasses
import fractions
from typing import Any, ClassVar, List, Optional, Union

from codecflow import _core
from codecflow._source import SourceLike, make_source


class _Computed:
    """The default of a computed field: "work it out from the other fields"."""

    def __repr__(self) -> str:
        return "<computed>"


_COMPUTED: Any = _Computed()


def _computed_field(cls: type, name: str) -> None:
    """Turns the dataclass field ``name`` of ``cls`` into a computed one.

    It stays a field (``dataclasses.fields``, ``asdict``, ``replace``, ``==``
    and the constructor see it, as with TorchCodec's metadata), but unless a
    value was given or assigned its value is ``cls._compute_<name>()`` of the
    current field values, so it follows later changes to the fields it is
    computed from. Assigning a value (None included) pins it.
    """
    key = f"_pinned_{name}"
    compute = f"_compute_{name}"

    def get(self: Any) -> Any:
        if key in self.__dict__:
            return self.__dict__[key]
        return getattr(self, compute)()

    def set_(self: Any, value: Any) -> None:
        if value is _COMPUTED:
            self.__dict__.pop(key, None)
        else:
            self.__dict__[key] = value

    setattr(cls, name, property(get, set_))


@dataclasses.dataclass(repr=False)
class StreamMetadata:
    """What every stream's header says.

    Attributes:
        duration_seconds_from_header: the header's duration, or None.
        begin_stream_seconds_from_header: the header's start time, or None.
        bit_rate: bits per second, or None.
        codec: FFmpeg's codec name, e.g. ``"h264"``.
        stream_index: the stream's index in the container.
        duration_seconds: computed: the header's duration, else (for video)
            the header's frame count over its frame rate, else the
            container's duration; a scan's span when there was one.
        begin_stream_seconds: computed: the scanned first pts, else the
            header's start time, else 0.

    The computed attributes are dataclass fields, as in TorchCodec, and may
    be assigned; until they are, they follow the fields they come from.
    """

    duration_seconds_from_header: Optional[float]
    begin_stream_seconds_from_header: Optional[float]
    bit_rate: Optional[float]
    codec: Optional[str]
    stream_index: int
    duration_seconds: Optional[float] = _COMPUTED
    begin_stream_seconds: Optional[float] = _COMPUTED

    # Not a field: the container's duration, the last fallback of duration.
    _duration_seconds_from_container: ClassVar[Optional[float]] = None

    def _compute_duration_seconds(self) -> Optional[float]:
        if self.duration_seconds_from_header is not None:
            return self.duration_seconds_from_header
        return self._duration_seconds_from_container

    def _compute_begin_stream_seconds(self) -> Optional[float]:
        if self.begin_stream_seconds_from_header is not None:
            return self.begin_stream_seconds_from_header
        return 0.0

    def __repr__(self) -> str:
        lines = [f"  {f.name}: {getattr(self, f.name)}" for f in dataclasses.fields(self)]
        return f"{type(self).__name__}:\n" + "\n".join(lines)


_computed_field(StreamMetadata, "duration_seconds")
_computed_field(StreamMetadata, "begin_stream_seconds")


@dataclasses.dataclass(repr=False)
class VideoStreamMetadata(StreamMetadata):
    """Metadata of a video stream.

    ``width`` and ``height`` are as displayed, after rotation. The
    ``*_from_content`` fields come from the packet scan of exact seek mode
    (or custom frame mappings) and are None otherwise. The computed fields
    (``duration_seconds``, ``begin_stream_seconds``, ``end_stream_seconds``,
    ``num_frames``, ``average_fps``) prefer them and fall back to the header
    as TorchCodec does: ``num_frames`` to ``int(duration * fps)``, the
    duration to ``num_frames_from_header / fps`` and then to the container's.
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
    end_stream_seconds: Optional[float] = _COMPUTED
    num_frames: Optional[int] = _COMPUTED
    average_fps: Optional[float] = _COMPUTED
    color_primaries: Optional[str] = None
    color_space: Optional[str] = None
    color_transfer_characteristic: Optional[str] = None
    pixel_format: Optional[str] = None

    def _content_span(self) -> Optional[float]:
        if (
            self.end_stream_seconds_from_content is not None
            and self.begin_stream_seconds_from_content is not None
        ):
            return self.end_stream_seconds_from_content - self.begin_stream_seconds_from_content
        return None

    def _compute_duration_seconds(self) -> Optional[float]:
        span = self._content_span()
        if span is not None:
            return span
        if self.duration_seconds_from_header is not None:
            return self.duration_seconds_from_header
        if self.num_frames_from_header is not None and self.average_fps_from_header:
            return self.num_frames_from_header / self.average_fps_from_header
        return self._duration_seconds_from_container

    def _compute_begin_stream_seconds(self) -> Optional[float]:
        if self.begin_stream_seconds_from_content is not None:
            return self.begin_stream_seconds_from_content
        return super()._compute_begin_stream_seconds()

    def _compute_end_stream_seconds(self) -> Optional[float]:
        """Where the last frame stops being shown."""
        if self.end_stream_seconds_from_content is not None:
            return self.end_stream_seconds_from_content
        duration = self.duration_seconds
        begin = self.begin_stream_seconds
        if duration is None or begin is None:
            return None
        return begin + duration

    def _compute_num_frames(self) -> Optional[int]:
        if self.num_frames_from_content is not None:
            return self.num_frames_from_content
        if self.num_frames_from_header is not None:
            return self.num_frames_from_header
        duration = self.duration_seconds
        if duration is not None and self.average_fps_from_header is not None:
            return int(duration * self.average_fps_from_header)
        return None

    def _compute_average_fps(self) -> Optional[float]:
        span = self._content_span()
        if self.num_frames_from_content is not None and span:
            return self.num_frames_from_content / span
        return self.average_fps_from_header


_computed_field(VideoStreamMetadata, "end_stream_seconds")
_computed_field(VideoStreamMetadata, "num_frames")
_computed_field(VideoStreamMetadata, "average_fps")


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


def _from_core(cls: type, core: _core.StreamMetadata, **converted: Any) -> Any:
    """A ``cls`` whose fields are the core metadata's attributes of the same
    names (the computed fields left to compute), ``converted`` aside."""
    values = {
        f.name: getattr(core, f.name)
        for f in dataclasses.fields(cls)
        if f.default is not _COMPUTED and f.name not in converted
    }
    metadata = cls(**values, **converted)
    metadata._duration_seconds_from_container = core.duration_seconds_from_container
    return metadata


def _bit_rate(core: _core.StreamMetadata) -> Optional[float]:
    return None if core.bit_rate is None else float(core.bit_rate)


def video_metadata_from_core(core: _core.StreamMetadata) -> VideoStreamMetadata:
    """Builds the public video metadata from the core's."""
    aspect = None
    if core.sample_aspect_num is not None and core.sample_aspect_den:
        aspect = fractions.Fraction(core.sample_aspect_num, core.sample_aspect_den)
    return _from_core(
        VideoStreamMetadata, core, bit_rate=_bit_rate(core), pixel_aspect_ratio=aspect
    )


def audio_metadata_from_core(core: _core.StreamMetadata) -> AudioStreamMetadata:
    """Builds the public audio metadata from the core's."""
    return _from_core(AudioStreamMetadata, core, bit_rate=_bit_rate(core))


def _stream_from_core(core: _core.StreamMetadata) -> StreamMetadata:
    if core.media_type == _core.MediaType.VIDEO:
        return video_metadata_from_core(core)
    if core.media_type == _core.MediaType.AUDIO:
        return audio_metadata_from_core(core)
    return _from_core(StreamMetadata, core, bit_rate=_bit_rate(core))


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

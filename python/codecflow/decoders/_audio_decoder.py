"""AudioDecoder: the samples of an audio stream as tensors."""

from __future__ import annotations

from typing import Any

from codecflow import _backend, _core
from codecflow._checks import check_optional_int, check_seconds
from codecflow._errors import InvalidTypeError
from codecflow._fork import ReopensCore
from codecflow._frame import AudioSamples
from codecflow._source import SourceLike, make_source
from codecflow.decoders._metadata import AudioStreamMetadata, audio_metadata_from_core


class AudioDecoder(ReopensCore):
    """Decodes one audio stream into float32 ``(num_channels, num_samples)``
    tensors (NumPy arrays without torch) with values in [-1, 1].

    Args:
        source: a path (``str`` or ``pathlib.Path``), ``bytes``, a 1-D uint8
            tensor of encoded bytes (aliased, not copied) or a binary
            file-like object with ``read`` and ``seek`` (read on demand).
            The audio stream of a video file works too.
        stream_index: the absolute index of the audio stream; None picks
            FFmpeg's best audio stream.
        sample_rate: the output sample rate, 1 to 768000 Hz; None keeps the
            stream's.
        num_channels: the output channel count, 1 to 64; None keeps the
            stream's.

    Exactness: :meth:`get_all_samples` equals
    ``ffmpeg -i SOURCE -map 0:a:N [-ar R] [-ac C] -f f32le -`` bit for bit
    (channels de-interleaved), including the container's encoder delay and
    padding, which FFmpeg's decoders apply. Resampling and remixing use
    swresample configured as the ffmpeg CLI configures it (its default
    filter and rematrix coefficients), so with ``sample_rate`` and
    ``num_channels`` the samples equal the CLI's ``-ar``/``-ac`` output bit for
    bit too (tolerance 0, tested for every format of the test media).

    Ranges: sample ``k`` plays at ``t0 + k / sample_rate``, where ``t0`` is the
    first sample's time (``get_all_samples().pts_seconds``). On one decoder,
    ranges asked for in increasing, consecutive order concatenate to exactly
    the samples of :meth:`get_all_samples`, with or without resampling: the
    decoder keeps its position and its resampler's state between calls. A
    range that starts before the previous one's end, or more than 10 s after
    it, seeks (0.5 s early for lossy codecs, and decodes forward from there);
    lossless codecs (PCM, FLAC, ...) then give the same samples bit for bit,
    lossy codecs (MP3, AAC, Vorbis, Opus) the same within 1e-3 (max absolute
    difference; the decoders' warm-up after a seek; measured below 2e-5 on the
    test media). Streams whose timestamps are coarser than a sample
    (Matroska/WebM) are decoded from the start instead of seeking, so that
    positions stay exact.

    Thread safety: a decoder may be shared between threads; its calls are
    serialized. Decoding releases the GIL.

    Pickling and processes: a decoder pickles as its source and options (a
    tensor source as its bytes) and the copy opens its own FFmpeg state on
    first use; a forked child (a DataLoader worker) reopens the same way, so
    one decoder can be handed to ``DataLoader`` workers with fork or spawn.
    A copy starts at the beginning of the stream: ranges give the same
    samples as on a new decoder. A decoder over a file-like object does not
    pickle (``TypeError``).

    Raises:
        FileNotFoundError, IsADirectoryError: for a bad path.
        ValueError: for empty, non-media or corrupt data (a packet FFmpeg
            rejects mid-stream, raised by the call that reaches it; a file
            that simply ends early decodes up to the cut), a stream
            index that is not an audio stream (a video-only file has none),
            or a ``sample_rate`` outside [1, 768000] or ``num_channels``
            outside [1, 64] (those are also ``RuntimeError``).
        TypeError: for an unsupported source type or a text-mode file.
        Exception: whatever a file-like object's ``read`` or ``seek``
            raised, unchanged.
    """

    def __init__(
        self,
        source: SourceLike,
        *,
        stream_index: int | None = None,
        sample_rate: int | None = None,
        num_channels: int | None = None,
    ):
        # Types only: the core checks the ranges (Note [One owner per check]).
        stream_index = check_optional_int("stream_index", stream_index)
        sample_rate = check_optional_int("sample_rate", sample_rate)
        num_channels = check_optional_int("num_channels", num_channels)
        self._source = source
        self._open_args = dict(
            stream_index=stream_index,
            sample_rate=sample_rate,
            num_channels=num_channels,
        )
        self._decoder = self._open_core()
        self.stream_index: int = self._decoder.stream_index
        # What reopening needs (pickling, forked processes): ReopensCore.
        self._open_args["stream_index"] = self.stream_index
        self.metadata: AudioStreamMetadata = audio_metadata_from_core(self._decoder.metadata)

    def _open_core(self) -> "_core.AudioDecoder":
        return _core.AudioDecoder(make_source(self._source), **self._open_args)

    def get_all_samples(self) -> AudioSamples:
        """Every sample of the stream; ``pts_seconds`` is the first sample's time."""
        return _to_samples(self._decoder.all_samples())

    def get_samples_played_in_range(
        self, start_seconds: float = 0.0, stop_seconds: float | None = None
    ) -> AudioSamples:
        """The samples played in ``[start_seconds, stop_seconds)``.

        The first sample returned is the one nearest to ``start_seconds``
        (the stream's first sample when ``start_seconds`` lies before it), and
        ``pts_seconds`` is ``max(start_seconds, first pts)``. A ``stop_seconds``
        past the end (or None) stops at the end. ``[t, t)`` gives
        ``(num_channels, 0)`` samples wherever ``t`` lies, as does a range
        narrower than a sample whose bounds round to the same sample.

        Raises:
            ValueError: when ``start_seconds > stop_seconds``, or when the
                range lies wholly outside the audio: it ends at or before the
                first sample or starts at or after the end of the last one
                (also a ``RuntimeError``).
        """
        start, stop = _check_range(start_seconds, stop_seconds)
        return _to_samples(self._decoder.samples_in_range(start, stop))


def _check_range(start: Any, stop: Any) -> tuple[float, float | None]:
    # Types only: the core checks NaN, start <= stop and the stream's span.
    return _bound("start_seconds", start), None if stop is None else _bound("stop_seconds", stop)


def _bound(name: str, value: Any) -> float:
    return check_seconds(name, value, allow_inf=True, allow_nan=True, error=InvalidTypeError)


def _to_samples(result: tuple[Any, float, int]) -> AudioSamples:
    capsule, pts, sample_rate = result
    data = _backend.from_dlpack(capsule)
    return AudioSamples(
        data=data,
        pts_seconds=float(pts),
        duration_seconds=data.shape[1] / sample_rate,
        sample_rate=int(sample_rate),
    )

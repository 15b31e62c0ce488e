"""WavDecoder: PCM and float WAV files without FFmpeg's decoder."""

from __future__ import annotations

from codecflow import _core
from codecflow._fork import ReopensCore
from codecflow._frame import AudioSamples
from codecflow._source import SourceLike, make_source
from codecflow.decoders._audio_decoder import _check_range, _to_samples
from codecflow.decoders._metadata import AudioStreamMetadata, audio_metadata_from_core


class WavDecoder(ReopensCore):
    """Decodes a PCM or IEEE-float WAV file with codecflow's own parser.

    Reads RIFF and RF64/BW64 files with 8-bit (unsigned), 16-, 24-, 32- or
    64-bit integer or 32- or 64-bit float samples, plain or
    WAVE_FORMAT_EXTENSIBLE. A range reads only the bytes holding its
    samples. The samples are bit for bit those of :class:`AudioDecoder` (and
    of ``ffmpeg -i SOURCE -f f32le -``) for the same file: float32
    ``(num_channels, num_samples)`` in [-1, 1], ranges cut the same way, the
    first sample at 0 s.

    Args:
        source: a path (``str`` or ``pathlib.Path``), ``bytes``, a 1-D uint8
            tensor of the file's bytes or a binary file-like object with
            ``read`` and ``seek``.

    Thread safety: a decoder may be shared between threads; its calls are
    serialized. Reading releases the GIL.

    Pickling and processes: as :class:`AudioDecoder`, a decoder pickles as
    its source (a tensor as its bytes) and reopens on first use in the copy
    and in forked children (DataLoader workers); one over a file-like object
    does not pickle (``TypeError``).

    Raises:
        FileNotFoundError, IsADirectoryError: for a bad path.
        ValueError: for a file that is not a WAV file, is malformed, or holds
            compressed audio (ADPCM, A-law, MP3, ...; use AudioDecoder), with
            a message naming what is wrong (also a ``RuntimeError``).
        TypeError: for an unsupported source type or a text-mode file.
        Exception: whatever a file-like object's ``read`` or ``seek``
            raised, unchanged.
    """

    def __init__(self, source: SourceLike):
        self._source = source
        self._decoder = self._open_core()
        self.stream_index: int = 0
        self.metadata: AudioStreamMetadata = audio_metadata_from_core(self._decoder.metadata)

    def _open_core(self) -> "_core.WavDecoder":
        return _core.WavDecoder(make_source(self._source))

    def get_all_samples(self) -> AudioSamples:
        """Every sample of the file; ``pts_seconds`` is 0."""
        return _to_samples(self._decoder.all_samples())

    def get_samples_played_in_range(
        self, start_seconds: float = 0.0, stop_seconds: float | None = None
    ) -> AudioSamples:
        """The samples played in ``[start_seconds, stop_seconds)``, as
        :meth:`AudioDecoder.get_samples_played_in_range` cuts them.

        Raises:
            ValueError: when ``start_seconds > stop_seconds``, or when the
                range lies wholly outside the audio (also a ``RuntimeError``);
                ``[t, t)`` is empty, not an error.
        """
        start, stop = _check_range(start_seconds, stop_seconds)
        return _to_samples(self._decoder.samples_in_range(start, stop))

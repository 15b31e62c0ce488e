"""AudioEncoder: samples into an audio file, bytes or a file-like object."""

from __future__ import annotations

from typing import Any, Dict, Optional

from codecflow import _backend, _core
from codecflow._checks import check_int
from codecflow._errors import InvalidArgumentError
from codecflow.encoders._encode import OneStreamEncoder
from codecflow.encoders._encoder import Encoder, PathLike, as_channel_samples


class AudioEncoder(OneStreamEncoder):
    """Encodes audio samples.

    Args:
        samples: float32 samples in [-1, 1], shape ``(num_channels,
            num_samples)``, or 1-D for one channel: a tensor, a NumPy array
            or anything else with ``__dlpack__``.
        sample_rate: samples per second of the input.

    Each ``to_*`` method is a thin wrapper over :class:`Encoder` with one
    audio stream. The codec defaults from the container: wav → 16-bit PCM
    (pcm_s16le, as the ffmpeg CLI and TorchCodec), mp3 → libmp3lame, flac →
    flac (24-bit), m4a/aac → aac, ogg → libvorbis, opus → libopus. The
    codec's float sample format is used where it has one.

    Thread safety: methods may be called from several threads. The GIL is
    released while encoding.

    Raises:
        ValueError: for samples of the wrong type, dtype or dims, or a
            sample_rate that is not > 0. The ``to_*`` methods raise ValueError
            (also a RuntimeError) naming the first NaN or infinite sample,
            before any output exists, and RuntimeError for more than 8
            channels.
    """

    def __init__(self, samples: Any, *, sample_rate: int):
        samples = as_channel_samples(samples)
        if _backend.device_type(samples) != "cpu":
            raise InvalidArgumentError(
                f"Expected samples on the CPU, got {_backend.device_of(samples)}"
            )
        # At construction, as TorchCodec checks it (the core checks it again
        # when the stream is added).
        sample_rate = check_int("sample_rate", sample_rate)
        if sample_rate <= 0:
            raise InvalidArgumentError(f"sample_rate = {sample_rate} must be > 0")
        if samples.shape[0] == 0:
            raise InvalidArgumentError("Expected at least one channel of samples")
        self._samples = samples
        self._sample_rate = int(sample_rate)

    def _check_before_output(self) -> None:
        # NaN or infinite samples (which make libmp3lame abort the process).
        _core.check_finite_samples(_backend.for_core(self._samples))

    def _add_stream(self, encoder: Encoder, options: Dict[str, Any]) -> Any:
        return encoder.add_audio(
            sample_rate=self._sample_rate,
            num_channels=self._samples.shape[0],
            bit_rate=options["bit_rate"],
            out_num_channels=options["num_channels"],
            out_sample_rate=options["sample_rate"],
            codec=options["codec"],
        )

    def _feed(self, stream: Any) -> None:
        stream.add_samples(self._samples)

    def to_file(
        self,
        dest: PathLike,
        *,
        bit_rate: Optional[int] = None,
        num_channels: Optional[int] = None,
        sample_rate: Optional[int] = None,
        codec: Optional[str] = None,
    ) -> None:
        """Encodes into a file; its extension picks the container.

        Args:
            bit_rate: output bit rate, matched by the encoder to one it
                supports; None lets FFmpeg choose.
            num_channels, sample_rate: of the output (default: the input's).
            codec: **[extra]** an encoder name, e.g. "pcm_f32le" for float WAV.

        Raises:
            ValueError: for an unknown extension or codec, a sample rate or
                channel count the codec does not support, or a negative
                bit rate (no file is created then).
        """
        self._to_file(dest, _options(bit_rate, num_channels, sample_rate, codec))

    def to_tensor(
        self,
        format: str,
        *,
        bit_rate: Optional[int] = None,
        num_channels: Optional[int] = None,
        sample_rate: Optional[int] = None,
        codec: Optional[str] = None,
    ) -> Any:
        """Encodes into memory; returns the bytes as a 1-D uint8 tensor (a
        NumPy array without torch).

        Args:
            format: the container, e.g. "wav", "mp3", "flac", "m4a", "ogg", "opus".
        """
        return self._to_tensor(format, _options(bit_rate, num_channels, sample_rate, codec))

    def to_file_like(
        self,
        file_like: Any,
        format: str,
        *,
        bit_rate: Optional[int] = None,
        num_channels: Optional[int] = None,
        sample_rate: Optional[int] = None,
        codec: Optional[str] = None,
    ) -> None:
        """Encodes into a binary file-like object with ``write`` and ``seek``.

        Exceptions raised by its ``write`` or ``seek`` reach the caller
        unchanged.
        """
        self._to_file_like(file_like, format, _options(bit_rate, num_channels, sample_rate, codec))


def _options(
    bit_rate: Optional[int],
    num_channels: Optional[int],
    sample_rate: Optional[int],
    codec: Optional[str],
) -> Dict[str, Any]:
    return dict(bit_rate=bit_rate, num_channels=num_channels, sample_rate=sample_rate, codec=codec)

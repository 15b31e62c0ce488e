"""Encoders: tensors into video and audio files, bytes or file-like objects."""

from codecflow.encoders._audio_encoder import AudioEncoder
from codecflow.encoders._encoder import AudioStream, Encoder, VideoStream
from codecflow.encoders._video_encoder import VideoEncoder

from codecflow.encoders import _repr  # noqa: I001 - [extra] the reprs of these classes

VideoEncoder.__repr__ = _repr.video_encoder  # type: ignore[method-assign]
AudioEncoder.__repr__ = _repr.audio_encoder  # type: ignore[method-assign]
Encoder.__repr__ = _repr.encoder  # type: ignore[method-assign]
VideoStream.__repr__ = _repr.video_stream  # type: ignore[method-assign]
AudioStream.__repr__ = _repr.audio_stream  # type: ignore[method-assign]

__all__ = ["AudioEncoder", "VideoEncoder", "Encoder", "VideoStream", "AudioStream"]

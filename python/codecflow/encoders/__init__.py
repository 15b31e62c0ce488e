"""Encoders: tensors into video and audio files, bytes or file-like objects."""

from codecflow.encoders._audio_encoder import AudioEncoder
from codecflow.encoders._encoder import AudioStream, Encoder, VideoStream
from codecflow.encoders._video_encoder import VideoEncoder

__all__ = ["AudioEncoder", "VideoEncoder", "Encoder", "VideoStream", "AudioStream"]

"""Decoders: video and audio into tensors."""

from codecflow._device import CpuFallbackStatus
from codecflow.decoders._audio_decoder import AudioDecoder
from codecflow.decoders._metadata import (
    AudioStreamMetadata,
    ContainerMetadata,
    StreamMetadata,
    VideoStreamMetadata,
)
from codecflow.decoders._video_decoder import SimpleVideoDecoder, VideoDecoder
from codecflow.decoders._wav_decoder import WavDecoder

__all__ = [
    "VideoDecoder",
    "SimpleVideoDecoder",
    "AudioDecoder",
    "WavDecoder",
    "VideoStreamMetadata",
    "AudioStreamMetadata",
    "StreamMetadata",
    "ContainerMetadata",
    "CpuFallbackStatus",
]

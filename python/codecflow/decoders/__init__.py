"""Decoders: video and audio into tensors."""

from codecflow._device import CpuFallbackStatus
from codecflow.decoders._metadata import (
    AudioStreamMetadata,
    ContainerMetadata,
    StreamMetadata,
    VideoStreamMetadata,
)
from codecflow.decoders._video_decoder import SimpleVideoDecoder, VideoDecoder

__all__ = [
    "VideoDecoder",
    "SimpleVideoDecoder",
    "VideoStreamMetadata",
    "AudioStreamMetadata",
    "StreamMetadata",
    "ContainerMetadata",
    "CpuFallbackStatus",
]

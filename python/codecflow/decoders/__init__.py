"""Decoders: video and audio into tensors."""

from codecflow._device import CpuFallbackStatus
from codecflow.decoders._audio_decoder import AudioDecoder
from codecflow.decoders._clips import Clip, ClipDataset, decode_clips
from codecflow.decoders._cuda import (
    get_nvdec_cache_capacity,
    set_cuda_backend,
    set_nvdec_cache_capacity,
)
from codecflow.decoders._metadata import (
    AudioStreamMetadata,
    ContainerMetadata,
    StreamMetadata,
    VideoStreamMetadata,
)
from codecflow.decoders._video_decoder import SimpleVideoDecoder, VideoDecoder
from codecflow.decoders._wav_decoder import WavDecoder

from codecflow.decoders._extras import audio_decoder_repr  # noqa: I001

# [extra] What the audio decoders print (VideoDecoder defines its own).
AudioDecoder.__repr__ = audio_decoder_repr  # type: ignore[method-assign]
WavDecoder.__repr__ = audio_decoder_repr  # type: ignore[method-assign]

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
    "set_cuda_backend",
    "get_nvdec_cache_capacity",
    "set_nvdec_cache_capacity",
    "decode_clips",
    "Clip",
    "ClipDataset",
]

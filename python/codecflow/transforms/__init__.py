"""Transforms that decoders apply while decoding."""

from codecflow.transforms._transforms import CenterCrop, DecoderTransform, RandomCrop, Resize

__all__ = ["DecoderTransform", "Resize", "CenterCrop", "RandomCrop"]

"""Every kind of source, and what bad sources raise (API.md's Errors table)."""

from __future__ import annotations

import io
import pathlib

import numpy as np
import pytest
import torch

import codecflow
from codecflow.decoders import VideoDecoder


def _frames(decoder: VideoDecoder) -> np.ndarray:
    return decoder.get_frames_in_range(0, len(decoder)).data.numpy()


@pytest.fixture(scope="module")
def clip(media) -> pathlib.Path:
    return media.clip("h264_bframes")


@pytest.fixture(scope="module")
def reference(media) -> np.ndarray:
    return media.reference_frames("h264_bframes")


def _check(decoder: VideoDecoder, reference: np.ndarray) -> None:
    assert len(decoder) == len(reference)
    np.testing.assert_array_equal(_frames(decoder), reference)
    np.testing.assert_array_equal(decoder[7].numpy(), reference[7])


def test_str_and_pathlib_paths(clip, reference):
    _check(VideoDecoder(str(clip), dimension_order="NHWC"), reference)
    _check(VideoDecoder(clip, dimension_order="NHWC"), reference)


def test_bytes(clip, reference):
    _check(VideoDecoder(clip.read_bytes(), dimension_order="NHWC"), reference)


def test_uint8_tensor_is_not_copied(clip, reference):
    data = torch.frombuffer(bytearray(clip.read_bytes()), dtype=torch.uint8)
    decoder = VideoDecoder(data, dimension_order="NHWC")
    _check(decoder, reference)
    # The decoder reads the tensor's own memory on demand: wiping the bytes
    # after construction breaks the next decode, which a copy would not.
    decoder = VideoDecoder(data, dimension_order="NHWC")
    data[:] = 0
    with pytest.raises(ValueError):
        decoder.get_frame_at(45)


def test_binary_file_object_read_on_demand(clip, reference):
    class CountingReader(io.RawIOBase):
        def __init__(self, raw: bytes):
            self._inner = io.BytesIO(raw)
            self.bytes_read = 0

        def readable(self) -> bool:
            return True

        def seekable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            chunk = self._inner.read(size)
            self.bytes_read += len(chunk)
            return chunk

        def seek(self, offset: int, whence: int = 0) -> int:
            return self._inner.seek(offset, whence)

        def tell(self) -> int:
            return self._inner.tell()

    reader = CountingReader(clip.read_bytes())
    decoder = VideoDecoder(reader, dimension_order="NHWC")
    _check(decoder, reference)
    assert reader.bytes_read > 0
    with open(clip, "rb") as f:
        _check(VideoDecoder(f, dimension_order="NHWC"), reference)


def test_missing_path_is_file_not_found(tmp_path):
    missing = tmp_path / "missing.mp4"
    with pytest.raises(FileNotFoundError) as info:
        VideoDecoder(missing)
    assert isinstance(info.value, RuntimeError)
    assert str(missing) in str(info.value)


def test_directory_is_a_directory_error(tmp_path):
    with pytest.raises(IsADirectoryError) as info:
        VideoDecoder(tmp_path)
    assert isinstance(info.value, RuntimeError)


def test_empty_bytes_is_value_error():
    with pytest.raises(ValueError) as info:
        VideoDecoder(b"")
    assert isinstance(info.value, RuntimeError)


@pytest.mark.parametrize("name", ["text_file", "not_media"])
def test_text_file_is_value_error(media, name):
    path = media.clip(name)
    with pytest.raises(ValueError) as info:
        VideoDecoder(path)
    assert isinstance(info.value, RuntimeError)
    assert str(path) in str(info.value)
    with pytest.raises(ValueError):
        VideoDecoder(path.read_bytes())


def test_truncated_mp4_is_value_error(media):
    with pytest.raises(ValueError) as info:
        VideoDecoder(media.clip("truncated_mp4"))
    assert isinstance(info.value, RuntimeError)
    with pytest.raises(ValueError):
        VideoDecoder(media.clip("truncated_mp4").read_bytes())


def test_text_mode_file_object_is_type_error(clip):
    with open(clip, "r", encoding="latin-1") as f:
        with pytest.raises(TypeError, match="binary"):
            VideoDecoder(f)
    with pytest.raises(TypeError):
        VideoDecoder(io.StringIO("not bytes"))


@pytest.mark.parametrize("source", [123, 4.5, None, ["a.mp4"], object()])
def test_unsupported_source_type_is_type_error(source):
    with pytest.raises(TypeError, match="unsupported source type"):
        VideoDecoder(source)


def test_bad_tensor_source_is_value_error():
    with pytest.raises(ValueError):
        VideoDecoder(torch.zeros(10, dtype=torch.float32))
    with pytest.raises(ValueError):
        VideoDecoder(torch.zeros(2, 10, dtype=torch.uint8))


class _ReadError(Exception):
    pass


def test_file_like_read_error_reaches_caller_unchanged(clip):
    class FailingReader(io.BytesIO):
        def read(self, size: int = -1) -> bytes:
            raise _ReadError("disk on fire")

    with pytest.raises(_ReadError, match="disk on fire"):
        VideoDecoder(FailingReader(clip.read_bytes()))


def test_file_like_error_mid_decode_reaches_caller(clip):
    class FlakyReader(io.BytesIO):
        fail = False

        def read(self, size: int = -1) -> bytes:
            if self.fail:
                raise _ReadError("network dropped")
            return super().read(size)

    reader = FlakyReader(clip.read_bytes())
    decoder = VideoDecoder(reader, seek_mode="approximate")
    reader.fail = True
    with pytest.raises(_ReadError, match="network dropped"):
        decoder.get_frames_in_range(0, len(decoder))


def test_file_like_seek_error_reaches_caller(clip):
    class NoSeek(io.BytesIO):
        def seek(self, offset: int, whence: int = 0) -> int:
            raise _ReadError("cannot seek")

    with pytest.raises(_ReadError, match="cannot seek"):
        VideoDecoder(NoSeek(clip.read_bytes()))


def test_stream_index_must_be_a_video_stream(media):
    path = media.clip("h264_audio")
    with pytest.raises(ValueError, match="not a video stream"):
        VideoDecoder(path, stream_index=1)
    with pytest.raises(ValueError):
        VideoDecoder(path, stream_index=7)
    with pytest.raises(ValueError):
        VideoDecoder(path, stream_index=-1)
    assert VideoDecoder(path, stream_index=0).stream_index == 0


def test_audio_only_file_has_no_video_stream(media):
    with pytest.raises(ValueError, match="no video stream"):
        VideoDecoder(media.clip("flac"))


@pytest.fixture
def quiet_afterwards():
    yield
    codecflow.set_ffmpeg_log_level("quiet")  # codecflow's default, for later tests


def test_log_level(quiet_afterwards):
    codecflow.set_ffmpeg_log_level("warning")
    codecflow.set_ffmpeg_log_level("error")
    codecflow.set_ffmpeg_log_level(16)
    with pytest.raises(ValueError):
        codecflow.set_ffmpeg_log_level("loud")
    with pytest.raises(ValueError):
        codecflow.set_ffmpeg_log_level(1000)

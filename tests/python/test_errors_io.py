"""Errors that say why, network failures as OSError, untrusted bytes kept
away from files, and raw elementary streams in exact mode."""

from __future__ import annotations

import ctypes.util
import http.server
import pathlib
import socket
import subprocess
import threading

import numpy as np
import pytest
import torch

import _damage
import codecflow
from codecflow._errors import InvalidArgumentError, InvalidMediaError
from codecflow.decoders import AudioDecoder, VideoDecoder
from codecflow.encoders import VideoEncoder

# ---- FFmpeg's reasons in messages; nothing printed by default ----------------


def test_encoder_failure_message_carries_ffmpegs_reason():
    frames = torch.zeros(2, 3, 225, 225, dtype=torch.uint8)
    with pytest.raises(InvalidArgumentError, match=r"width not divisible by 2 \(225x225\)"):
        VideoEncoder(frames, frame_rate=30).to_tensor("mp4")


def test_nvenc_failure_says_why(tmp_path):
    frames = torch.zeros(2, 3, 64, 64, dtype=torch.uint8)
    out = str(tmp_path / "out.mp4")
    # An explicit hardware encoder never falls back: RuntimeError with
    # FFmpeg's reason, and no output file.
    if ctypes.util.find_library("cuda") is None:
        with pytest.raises(RuntimeError, match=r"h264_nvenc.*Cannot load libcuda\.so\.1") as info:
            VideoEncoder(frames, frame_rate=30).to_file(out, codec="h264_nvenc")
        # The machine's doing, not a bad argument.
        assert not isinstance(info.value, ValueError)
        assert not pathlib.Path(out).exists()
        return
    # With a driver, NVENC either works or (GPUs without the engine) fails
    # with FFmpeg's reason in the message.
    try:
        VideoEncoder(frames, frame_rate=30).to_file(out, codec="h264_nvenc")
    except RuntimeError as error:
        assert not isinstance(error, ValueError)
        assert "(FFmpeg: [h264_nvenc]" in str(error)
        assert not pathlib.Path(out).exists()


def test_decoder_open_failure_message_carries_ffmpegs_reason(media):
    def patch(head: bytearray) -> None:
        head[9] = 3  # three channels with mapping family 0

    data = _damage.patch_ogg_first_packet(media.clip("opus_ogg").read_bytes(), patch)
    with pytest.raises(InvalidMediaError, match="Channel mapping 0 is only specified for up to 2"):
        AudioDecoder(data)


def test_reasons_stay_with_the_thread_that_failed(media):
    frames = torch.zeros(2, 3, 225, 225, dtype=torch.uint8)
    good = torch.zeros(2, 3, 64, 64, dtype=torch.uint8)
    errors = []

    def bad_encode() -> None:
        try:
            VideoEncoder(frames, frame_rate=30).to_tensor("mp4")
        except InvalidArgumentError as error:
            errors.append(str(error))

    thread = threading.Thread(target=bad_encode)
    thread.start()
    thread.join()
    assert len(errors) == 1 and "divisible by 2" in errors[0]
    # This thread's later failure says nothing about the other thread's.
    with pytest.raises(InvalidMediaError) as info:
        VideoDecoder(b"\0" * 4096)
    assert "divisible" not in str(info.value)
    VideoEncoder(good, frame_rate=30).to_tensor("mp4")


def test_nothing_is_printed_by_default(media, capfd):
    def patch(head: bytearray) -> None:
        head[18] = 1

    damaged = _damage.patch_ogg_first_packet(media.clip("opus_ogg").read_bytes(), patch)
    capfd.readouterr()
    with pytest.raises(InvalidMediaError):
        AudioDecoder(damaged)
    with pytest.raises(InvalidArgumentError):
        VideoEncoder(torch.zeros(2, 3, 225, 225, dtype=torch.uint8), frame_rate=30).to_tensor("mp4")
    for codec in ("libsvtav1", "libx265"):
        VideoEncoder(torch.zeros(4, 3, 64, 64, dtype=torch.uint8), frame_rate=30).to_tensor(
            "mp4", codec=codec
        )
    assert capfd.readouterr().err == ""
    assert codecflow._core.get_ffmpeg_log_level() == -8


def test_log_level_prints_ffmpegs_lines(media, capfd):
    def patch(head: bytearray) -> None:
        head[18] = 1

    damaged = _damage.patch_ogg_first_packet(media.clip("opus_ogg").read_bytes(), patch)
    codecflow.set_ffmpeg_log_level("error")
    try:
        capfd.readouterr()
        with pytest.raises(InvalidMediaError):
            AudioDecoder(damaged)
        assert "Invalid extradata size" in capfd.readouterr().err
        VideoEncoder(torch.zeros(4, 3, 64, 64, dtype=torch.uint8), frame_rate=30).to_tensor(
            "mp4", codec="libx265"
        )
        assert "x265 [error]" not in capfd.readouterr().err
        codecflow.set_ffmpeg_log_level("info")
        VideoEncoder(torch.zeros(4, 3, 64, 64, dtype=torch.uint8), frame_rate=30).to_tensor(
            "mp4", codec="libx265"
        )
        assert "x265 [info]" in capfd.readouterr().err
    finally:
        codecflow.set_ffmpeg_log_level("quiet")


# ---- network failures --------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_refused_connection_is_a_connection_error():
    url = f"http://127.0.0.1:{_free_port()}/clip.mp4"
    with pytest.raises(ConnectionError, match="Connection refused") as info:
        VideoDecoder(url)
    assert not isinstance(info.value, ValueError)


def test_unresolvable_host_is_a_connection_error():
    with pytest.raises(ConnectionError, match="resolve") as info:
        AudioDecoder("http://codecflow-test.invalid/clip.flac")
    assert not isinstance(info.value, ValueError)


class _NotFound(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.send_error(404)

    def log_message(self, *args) -> None:
        pass


def test_http_404_is_file_not_found():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NotFound)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/missing.mp4"
        with pytest.raises(FileNotFoundError, match="404") as info:
            VideoDecoder(url)
        assert not isinstance(info.value, ValueError)
    finally:
        server.shutdown()
        server.server_close()


# ---- untrusted bytes never open further files --------------------------------


def _ts_clip(directory) -> str:
    path = directory / "clip.ts"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
         "testsrc2=size=64x48:rate=10:duration=1", "-c:v", "mpeg2video", "-f", "mpegts",
         str(path)],
        check=True,
    )  # fmt: skip
    return str(path)


def test_concat_playlist_given_as_bytes_cannot_read_a_local_file(tmp_path, monkeypatch):
    _ts_clip(tmp_path)
    monkeypatch.chdir(tmp_path)
    playlist = b"ffconcat version 1.0\nfile clip.ts\n"
    with pytest.raises(InvalidMediaError, match="not on whitelist"):
        VideoDecoder(playlist)
    with pytest.raises(InvalidMediaError, match="not on whitelist"):
        VideoDecoder(_FileLike(playlist))
    # The same playlist as a file is the user's own choice, and opens.
    (tmp_path / "list.ffconcat").write_bytes(playlist)
    assert len(VideoDecoder(str(tmp_path / "list.ffconcat"))) == 10


class _FileLike:
    def __init__(self, data: bytes):
        import io

        self._stream = io.BytesIO(data)

    def read(self, size: int = -1) -> bytes:
        return self._stream.read(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._stream.seek(offset, whence)


def test_hls_playlist_given_as_bytes_cannot_read_a_local_file(tmp_path):
    clip = _ts_clip(tmp_path)
    playlist = (
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n"
        f"#EXTINF:1.0,\nfile://{clip}\n#EXT-X-ENDLIST\n"
    ).encode()
    with pytest.raises(InvalidMediaError):
        VideoDecoder(playlist)
    # From a path, the playlist and its segment open (exact mode included).
    (tmp_path / "list.m3u8").write_bytes(playlist)
    assert len(VideoDecoder(str(tmp_path / "list.m3u8"))) == 10


# ---- raw elementary streams in exact mode ------------------------------------


def _raw_stream(tmp_path, extension: str, *codec_args: str) -> str:
    path = tmp_path / f"clip.{extension}"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
         "testsrc2=size=64x48:rate=10:duration=2", *codec_args, str(path)],
        check=True,
    )  # fmt: skip
    return str(path)


def _cli_frames(path: str) -> np.ndarray:
    out = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-pix_fmt", "rgb24", "-f", "rawvideo",
         "-"],
        check=True, capture_output=True,
    ).stdout  # fmt: skip
    return np.frombuffer(out, np.uint8).reshape(-1, 48, 64, 3)


RAW_STREAMS = {
    "h264_annexb": ("h264", "-c:v", "libx264", "-g", "6", "-bf", "2", "-pix_fmt", "yuv420p",
                    "-f", "h264"),
    "y4m": ("y4m", "-pix_fmt", "yuv420p"),
}  # fmt: skip


@pytest.mark.parametrize("as_bytes", [False, True], ids=["path", "bytes"])
@pytest.mark.parametrize("kind", sorted(RAW_STREAMS))
def test_raw_elementary_stream_opens_in_exact_mode(tmp_path, kind, as_bytes):
    extension, *args = RAW_STREAMS[kind]
    path = _raw_stream(tmp_path, extension, *args)
    reference = _cli_frames(path)
    source = pathlib.Path(path).read_bytes() if as_bytes else path
    decoder = VideoDecoder(source, dimension_order="NHWC")
    assert len(decoder) == len(reference) == 20
    order = [17, 3, 9, 0, 19, 18, 5, 5, 12]
    batch = decoder.get_frames_at(order)
    np.testing.assert_array_equal(batch.data.numpy(), reference[order])
    np.testing.assert_allclose(batch.pts_seconds.numpy(), np.array(order) / 10, atol=1e-9)
    np.testing.assert_array_equal(decoder.get_all_frames().data.numpy(), reference)


def test_raw_elementary_stream_through_a_saved_index(tmp_path):
    # A stream without timestamps numbers its frames; the saved index keeps
    # that numbering, so a decoder opened from it gives the same frames.
    extension, *args = RAW_STREAMS["h264_annexb"]
    path = _raw_stream(tmp_path, extension, *args)
    reference = _cli_frames(path)
    saved = VideoDecoder(path).frame_index()
    for decoder in (
        VideoDecoder(path, dimension_order="NHWC", frame_index=saved),
        VideoDecoder(path, dimension_order="NHWC", index_cache=tmp_path / "cache"),
        VideoDecoder(path, dimension_order="NHWC", index_cache=tmp_path / "cache"),
    ):
        order = [17, 3, 9, 0, 19]
        batch = decoder.get_frames_at(order)
        np.testing.assert_array_equal(batch.data.numpy(), reference[order])
        np.testing.assert_allclose(batch.pts_seconds.numpy(), np.array(order) / 10, atol=1e-9)

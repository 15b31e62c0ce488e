"""[extra] ffmpeg_options: routed to the demuxer/protocol or the decoder."""

from __future__ import annotations

import json
import pickle
import subprocess

import numpy as np
import pytest

from codecflow.decoders import VideoDecoder


def _cli_frames(path, *input_options):
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", *input_options, "-i", str(path), "-map", "0:v:0",
         "-fps_mode", "passthrough", "-pix_fmt", "rgb24", "-f", "rawvideo", "-"],
        check=True, capture_output=True,
    ).stdout
    return np.frombuffer(raw, dtype=np.uint8)


def test_decoder_option_reaches_the_decoder(media):
    # skip_loop_filter is an AVCodecContext option: without deblocking the
    # frames differ from the default ones, and equal ffmpeg's with it.
    path = media.clip("h264_bframes")
    plain = VideoDecoder(path, dimension_order="NHWC")
    unfiltered = VideoDecoder(path, dimension_order="NHWC",
                              ffmpeg_options={"skip_loop_filter": "all"})
    frames = unfiltered.get_all_frames().data.numpy()
    assert not np.array_equal(frames, plain.get_all_frames().data.numpy())
    np.testing.assert_array_equal(frames.reshape(-1), _cli_frames(path, "-skip_loop_filter", "all"))
    # Random access keeps the option (the decoder is the one opened with it).
    np.testing.assert_array_equal(unfiltered[37].numpy(), frames[37])


def _packet_count(path, *options):
    out = subprocess.run(
        ["ffprobe", "-v", "error", *options, "-select_streams", "v:0", "-count_packets",
         "-show_entries", "stream=nb_read_packets", "-of", "json", str(path)],
        check=True, capture_output=True,
    ).stdout
    return int(json.loads(out)["streams"][0]["nb_read_packets"])


def test_demuxer_option_reaches_the_demuxer(media):
    # ignore_editlist is a private option of the mov demuxer: with it every
    # packet is a shown frame, the edit list's discarded ones too.
    path = media.clip("edit_list")
    plain = VideoDecoder(path)
    ignored = VideoDecoder(path, ffmpeg_options={"ignore_editlist": True})
    assert len(ignored) == _packet_count(path, "-ignore_editlist", "1")
    assert len(ignored) > len(plain)
    reference = _cli_frames(path, "-ignore_editlist", "1")
    frames = ignored.get_all_frames().data.permute(0, 2, 3, 1).numpy()
    np.testing.assert_array_equal(frames.reshape(-1), reference)


def test_format_and_protocol_options_of_other_inputs_are_accepted(media):
    # Known keys (the RTSP demuxer's, the file protocol's, every input's)
    # that this input does not use change nothing.
    path = media.clip("h264_bframes")
    decoder = VideoDecoder(path, ffmpeg_options={
        "rtsp_transport": "tcp", "probesize": 32768, "analyzeduration": 0,
        "blocksize": 4096, "threads": 1,
    })
    assert len(decoder) == 60


def test_unknown_option_is_a_value_error_naming_it(media):
    with pytest.raises(ValueError, match="unknown FFmpeg option 'no_such_option'"):
        VideoDecoder(media.clip("h264_bframes"), ffmpeg_options={"no_such_option": 1})


def test_option_types(media):
    path = media.clip("h264_bframes")
    with pytest.raises(TypeError, match="ffmpeg_options must be a dict"):
        VideoDecoder(path, ffmpeg_options=[("probesize", 1)])
    with pytest.raises(TypeError, match="keys must be str"):
        VideoDecoder(path, ffmpeg_options={1: 2})
    with pytest.raises(TypeError, match=r"ffmpeg_options\['probesize'\]"):
        VideoDecoder(path, ffmpeg_options={"probesize": [1]})


def test_bad_option_value_is_an_error(media):
    # avcodec_open2 forgets the codec when it fails: the message still names it.
    with pytest.raises(ValueError, match="could not open the h264 decoder"):
        VideoDecoder(media.clip("h264_bframes"), ffmpeg_options={"skip_loop_filter": "bogus"})
    with pytest.raises(ValueError, match="could not open"):
        VideoDecoder(media.clip("h264_bframes"), ffmpeg_options={"probesize": "many"})


def test_options_survive_pickling(media):
    path = media.clip("h264_bframes")
    decoder = VideoDecoder(path, dimension_order="NHWC",
                           ffmpeg_options={"skip_loop_filter": "all"})
    copy = pickle.loads(pickle.dumps(decoder))
    np.testing.assert_array_equal(copy[5].numpy(), decoder[5].numpy())
    assert not np.array_equal(copy[5].numpy(), VideoDecoder(path, dimension_order="NHWC")[5])

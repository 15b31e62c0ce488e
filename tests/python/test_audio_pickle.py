"""AudioDecoder and WavDecoder pickle as source and options and reopen in workers."""

from __future__ import annotations

import copy
import io
import os
import pickle
import sys
from pathlib import Path
from typing import Dict, List

import pytest
import torch
from torch.utils.data import DataLoader, Dataset

_MEDIA = Path(__file__).resolve().parents[1] / "media"
if str(_MEDIA) not in sys.path:
    sys.path.insert(0, str(_MEDIA))

import generate  # noqa: E402
from _sources import SOURCE_KINDS, check_lazy_clone, roundtrip, source_of  # noqa: E402
from codecflow.decoders import AudioDecoder, WavDecoder  # noqa: E402

# (decoder class, asset, constructor options): lossless sources, so that
# ranges are bit-exact in any order (after seeks too).
CASES = {
    "audio-flac": (AudioDecoder, "flac", {}),
    "audio-converted": (AudioDecoder, "flac", {"stream_index": 0, "sample_rate": 16000,
                                               "num_channels": 1}),  # fmt: skip
    "wav": (WavDecoder, "wav_s16", {}),
}
# [start, stop) of the items the datasets below hand out, in seconds.
RANGES = [(0.25 * i, 0.25 * i + 0.3) for i in range(7)]


def _make(case: str, kind: str = "path"):
    cls, name, options = CASES[case]
    return cls(source_of(generate.clip(name), kind), **options)


def _expected(case: str) -> List[torch.Tensor]:
    """The samples of each range, each from a new decoder."""
    return [_make(case).get_samples_played_in_range(a, b).data for a, b in RANGES]


_roundtrip = roundtrip


def _assert_same(a, b) -> None:
    assert a.metadata == b.metadata
    assert a.stream_index == b.stream_index
    for start, stop in [(1.2, 1.5), (0.0, 0.4), (0.7, None), (0.3, 0.3)]:
        sa = a.get_samples_played_in_range(start, stop)
        sb = b.get_samples_played_in_range(start, stop)
        assert torch.equal(sa.data, sb.data)
        assert (sa.pts_seconds, sa.sample_rate) == (sb.pts_seconds, sb.sample_rate)
    assert torch.equal(a.get_all_samples().data, b.get_all_samples().data)


@pytest.mark.parametrize("kind", SOURCE_KINDS)
@pytest.mark.parametrize("case", list(CASES))
def test_sources_roundtrip(case: str, kind: str) -> None:
    decoder = _make(case, kind)
    decoder.get_samples_played_in_range(0.5, 0.9)  # a used decoder pickles the same
    check_lazy_clone(decoder, kind, _assert_same)


def test_options_survive() -> None:
    decoder = AudioDecoder(generate.clip("h264_audio"), stream_index=1, sample_rate=16000,
                           num_channels=1)  # fmt: skip
    clone = _roundtrip(decoder)
    samples = clone.get_all_samples()
    assert samples.sample_rate == 16000
    assert samples.data.shape[0] == 1
    assert clone.stream_index == 1
    reference = generate.audio_reference("h264_audio", sample_rate=16000, num_channels=1)
    assert torch.equal(samples.data, torch.from_numpy(reference))
    # The default stream, resolved at construction, is the one reopened.
    default = AudioDecoder(generate.clip("h264_audio"))
    assert default._open_args["stream_index"] == default.stream_index == 1
    assert _roundtrip(default).stream_index == 1


@pytest.mark.parametrize("case", list(CASES))
def test_clone_of_a_clone_copy_and_deepcopy(case: str) -> None:
    decoder = _make(case)
    _assert_same(decoder, _roundtrip(_roundtrip(decoder)))  # the middle one never opened
    for clone in (copy.copy(decoder), copy.deepcopy(decoder)):
        assert clone._core_decoder is not decoder._core_decoder
        _assert_same(decoder, clone)


@pytest.mark.parametrize("cls", [AudioDecoder, WavDecoder])
def test_file_like_source_does_not_pickle(cls) -> None:
    name = "wav_s16"
    with open(generate.clip(name), "rb") as f:
        decoder = cls(f)
        with pytest.raises(TypeError, match=f"{cls.__name__} reading a file-like object "
                                            r".*BufferedReader.* cannot be pickled"):  # fmt: skip
            pickle.dumps(decoder)
    decoder = cls(io.BytesIO(generate.clip(name).read_bytes()))
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(decoder)
    # The decoder itself still works.
    assert decoder.get_all_samples().data.shape == (2, 32000)


class RangeDataset(Dataset):
    """Item i: the samples of RANGES[i] from a decoder created in the parent."""

    def __init__(self, decoder):
        self.decoder = decoder

    def __len__(self) -> int:
        return len(RANGES)

    def __getitem__(self, i: int) -> Dict[str, torch.Tensor]:
        start, stop = RANGES[i]
        samples = self.decoder.get_samples_played_in_range(start, stop)
        return {
            "index": torch.tensor(i),
            "data": samples.data,
            "pts": torch.tensor(samples.pts_seconds),
            "pid": torch.tensor(os.getpid()),
            "reopened_here": torch.tensor(self.decoder._core_pid == os.getpid()),
        }


@pytest.mark.parametrize("used_in_parent", [False, True])
@pytest.mark.parametrize("context", ["fork", "spawn"])
@pytest.mark.parametrize("case", list(CASES))
def test_dataloader_workers(case: str, context: str, used_in_parent: bool) -> None:
    expected = _expected(case)
    decoder = _make(case)
    if used_in_parent:
        decoder.get_samples_played_in_range(1.0, 1.1)  # mid-stream when workers start
    loader = DataLoader(
        RangeDataset(decoder),
        batch_size=None,  # one range per item: ranges differ in length
        shuffle=True,
        num_workers=2,
        multiprocessing_context=context,
        generator=torch.Generator().manual_seed(0),
    )
    seen, pids = set(), set()
    for item in loader:
        i = int(item["index"])
        assert torch.equal(item["data"], expected[i]), i
        assert float(item["pts"]) == RANGES[i][0]
        assert bool(item["reopened_here"])
        seen.add(i)
        pids.add(int(item["pid"]))
    assert seen == set(range(len(RANGES)))
    assert len(pids) == 2 and os.getpid() not in pids
    # The parent's decoder is untouched and still works.
    assert decoder._core_pid == os.getpid()
    assert torch.equal(decoder.get_samples_played_in_range(*RANGES[3]).data, expected[3])

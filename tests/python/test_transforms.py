"""Decoder-side transforms: Resize, CenterCrop, RandomCrop and torchvision's."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from codecflow.decoders import VideoDecoder
from codecflow.transforms import CenterCrop, RandomCrop, Resize


@pytest.fixture(scope="module")
def clip(media):
    return media.clip("h264_bframes")


@pytest.fixture(scope="module")
def ref(media):
    return torch.from_numpy(media.reference_frames("h264_bframes"))


def _torch_resize(frames: torch.Tensor, size) -> torch.Tensor:
    nchw = frames.permute(0, 3, 1, 2).float()
    out = torch.nn.functional.interpolate(nchw, size=size, mode="bilinear", antialias=True)
    return out.round().clamp(0, 255)


@pytest.mark.parametrize("size", [(120, 160), (100, 233), (480, 500), (61, 97)])
def test_resize_agrees_with_antialiased_bilinear(clip, ref, size):
    decoder = VideoDecoder(clip, transforms=[Resize(size)])
    indices = [0, 17, 59]
    out = decoder.get_frames_at(indices).data.float()
    assert out.shape == (3, 3, *size)
    error = (out - _torch_resize(ref[indices], size)).abs()
    assert float((error <= 1).float().mean()) >= 0.99
    assert decoder.metadata.width == 320  # metadata describes the stream, not the output


def test_center_crop_is_the_centre(clip, ref):
    decoder = VideoDecoder(clip, transforms=[CenterCrop((100, 101))], dimension_order="NHWC")
    out = decoder.get_frames_at([0, 30]).data
    top, left = round((240 - 100) / 2), round((320 - 101) / 2)
    np.testing.assert_array_equal(out.numpy(), ref[[0, 30], top : top + 100, left : left + 101])
    square = VideoDecoder(clip, transforms=[CenterCrop(50)])[0]
    assert square.shape == (3, 50, 50)


def test_random_crop_follows_the_torch_seed(clip, ref):
    torch.manual_seed(3)
    decoder = VideoDecoder(clip, transforms=[RandomCrop((64, 80))], dimension_order="NHWC")
    torch.manual_seed(3)
    top = int(torch.randint(0, 240 - 64 + 1, size=(1,)).item())
    left = int(torch.randint(0, 320 - 80 + 1, size=(1,)).item())
    out = decoder.get_frames_at([5, 6]).data
    np.testing.assert_array_equal(out.numpy(), ref[[5, 6], top : top + 64, left : left + 80])


def test_transforms_compose_in_order(clip, ref):
    decoder = VideoDecoder(
        clip, transforms=[CenterCrop((200, 200)), Resize((100, 100))], dimension_order="NHWC"
    )
    out = decoder[4].float()
    cropped = ref[4:5, 20:220, 60:260]
    expected = _torch_resize(cropped, (100, 100))[0].permute(1, 2, 0)
    assert float(((out - expected).abs() <= 1).float().mean()) >= 0.99


def test_transforms_on_rotated_video_apply_after_rotation(media):
    ref = torch.from_numpy(media.reference_frames("rot90"))
    decoder = VideoDecoder(
        media.clip("rot90"), transforms=[CenterCrop((300, 200))], dimension_order="NHWC"
    )
    height, width = ref.shape[1:3]
    top, left = round((height - 300) / 2), round((width - 200) / 2)
    np.testing.assert_array_equal(
        decoder[0].numpy(), ref[0, top : top + 300, left : left + 200].numpy()
    )


@pytest.mark.parametrize(
    "transforms",
    [
        [CenterCrop((500, 10))],
        [RandomCrop((10, 400))],
        [Resize((50, 50)), CenterCrop((60, 10))],
    ],
)
def test_crop_larger_than_frame_is_value_error(clip, transforms):
    with pytest.raises(ValueError):
        VideoDecoder(clip, transforms=transforms)


@pytest.mark.parametrize(
    "make", [lambda: Resize(10), lambda: Resize((0, 5)), lambda: CenterCrop(-1)]
)
def test_bad_sizes_are_value_errors(make):
    with pytest.raises(ValueError):
        make()


def _torchvision_like(name: str, **attributes):
    """An object shaped like a torchvision.transforms.v2 transform (same class
    name, module and attributes), for the conversion logic."""
    cls = type(name, (), {"__module__": "torchvision.transforms.v2._geometry"})
    obj = cls()
    for key, value in attributes.items():
        setattr(obj, key, value)
    return obj


def test_torchvision_shaped_transforms_are_converted(clip, ref):
    resize = _torchvision_like(
        "Resize",
        size=[120, 160],
        interpolation="InterpolationMode.BILINEAR",
        antialias=True,
        max_size=None,
    )
    crop = _torchvision_like("CenterCrop", size=[100, 100])
    decoder = VideoDecoder(clip, transforms=[resize, crop], dimension_order="NHWC")
    expected = VideoDecoder(
        clip, transforms=[Resize((120, 160)), CenterCrop(100)], dimension_order="NHWC"
    )
    np.testing.assert_array_equal(decoder[0].numpy(), expected[0].numpy())
    nearest = _torchvision_like(
        "Resize", size=[120, 160], interpolation="InterpolationMode.NEAREST"
    )
    with pytest.raises(ValueError, match="bilinear"):
        VideoDecoder(clip, transforms=[nearest])
    padded = _torchvision_like("RandomCrop", size=[50, 50], padding=4, pad_if_needed=False)
    with pytest.raises(ValueError, match="padding"):
        VideoDecoder(clip, transforms=[padded])
    with pytest.raises(ValueError):
        VideoDecoder(clip, transforms=[_torchvision_like("ColorJitter")])


def test_real_torchvision_transforms_are_converted(clip):
    # torchvision 0.28.0, the release built for torch 2.13.0, ships operators
    # compiled against the CUDA build of torch; with the CPU build its import
    # fails, so it cannot be installed next to torch 2.13.0 here. Where it can
    # be imported, the real classes are converted.
    v2 = pytest.importorskip(
        "torchvision.transforms.v2",
        reason="torchvision cannot be installed next to torch 2.13.0 (CPU build)",
    )
    decoder = VideoDecoder(clip, transforms=[v2.Resize((120, 160)), v2.CenterCrop(100)])
    assert decoder[0].shape == (3, 100, 100)
    nearest = v2.Resize((120, 160), interpolation=v2.InterpolationMode.NEAREST)
    with pytest.raises(ValueError):
        VideoDecoder(clip, transforms=[nearest])
    with pytest.raises(ValueError):
        VideoDecoder(clip, transforms=[v2.RandomCrop(50, padding=4)])


def test_transforms_learn_the_frame_size_from_the_one_open(clip, ref, monkeypatch):
    # The decoder's own open gives the displayed size; no second read of the
    # container's header happens for the transforms.
    import codecflow

    def refuse(*args, **kwargs):
        raise AssertionError("the container was opened a second time")

    monkeypatch.setattr(codecflow._core, "read_container_metadata", refuse)
    torch.manual_seed(3)
    decoder = VideoDecoder(clip, transforms=[CenterCrop(100), RandomCrop((40, 60))])
    frames = decoder.get_frames_at([0, 59]).data
    assert frames.shape == (2, 3, 40, 60)
    # Pickling keeps the corner drawn once, not a new draw.
    import pickle

    again = pickle.loads(pickle.dumps(decoder))
    assert torch.equal(again.get_frames_at([0, 59]).data, frames)

"""The NumPy path never imports torch: only codecflow._backend asks for it, once."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest

import codecflow
from conftest import FORCED

SCRIPT = r"""
import json, sys, traceback

attempts = []

class Recorder:
    # Sees every attempt to import torch or a torch submodule.
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            attempts.append([frame.filename for frame in traceback.extract_stack()])
        return None

sys.meta_path.insert(0, Recorder())

import numpy as np
import codecflow
from codecflow import samplers
from codecflow.decoders import AudioDecoder, VideoDecoder
from codecflow.encoders import AudioEncoder, VideoEncoder
from codecflow.transforms import RandomCrop

after_import = len(attempts)
video, audio = sys.argv[1], sys.argv[2]
decoder = VideoDecoder(video, transforms=[RandomCrop(64)])
frames = decoder.get_frames_in_range(0, 3).data
decoder.get_frame_played_at(0.1)
samplers.clips_at_random_indices(decoder, num_clips=2, generator=np.random.default_rng(0))
samplers.clips_at_random_timestamps(decoder, num_clips=2)
samplers.clips_at_regular_indices(decoder, num_clips=2)
samplers.clips_at_regular_timestamps(decoder, seconds_between_clip_starts=0.5)
encoded = VideoEncoder(frames, frame_rate=30).to_tensor("mp4")
VideoDecoder(encoded).get_all_frames()
samples = AudioDecoder(audio).get_all_samples().data
AudioEncoder(samples, sample_rate=48000).to_tensor("wav")
try:
    decoder.get_frame_at(10**6)
except IndexError:
    pass
print(json.dumps({
    "after_import": after_import,
    "attempts": attempts,
    "torch_loaded": sorted(m for m in sys.modules if m == "torch" or m.startswith("torch.")),
    "frames_type": type(frames).__module__,
}))
"""


def test_the_numpy_path_imports_no_torch(media, tmp_path):
    if not FORCED:
        with pytest.raises(ImportError):
            import torch  # noqa: F401  (this environment must have no torch)
    # The same codecflow as this process (the installed wheel, or python/).
    package_parent = pathlib.Path(codecflow.__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=str(package_parent))
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(media.clip("h264_bframes")),
         str(media.clip("h264_audio"))],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["torch_loaded"] == []
    assert report["frames_type"] == "numpy"
    assert report["after_import"] == 0, "import codecflow must not import torch"
    if FORCED:
        assert report["attempts"] == []
    else:
        # Without torch installed: the backend looks once, and nowhere else does.
        assert len(report["attempts"]) == 1
        callers = [f for f in report["attempts"][0] if f"{os.sep}codecflow{os.sep}" in f]
        assert pathlib.Path(callers[-1]).name == "_backend.py", callers

"""Runs the workloads of one library on one clip, in a process of its own.

Started by ``bench/run.py`` as ``python bench/worker.py LIBRARY``, once per
library for the whole run; it then reads one command per line (a workload to
run once on a clip) and answers each with one JSON line. Each library runs in
its own process so that the FFmpeg builds the peers bundle (PyAV, OpenCV and
decord each ship their own) never meet codecflow's, and a crash in one
library is reported instead of ending the benchmark.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import shutil
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any, Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402
import workloads as W  # noqa: E402

MODULES = {
    "codecflow": "codecflow.decoders",
    "codecflow-approx": "codecflow.decoders",
    "torchcodec": "torchcodec.decoders",
    "torchcodec-approx": "torchcodec.decoders",
    "pyav": "av",
    "opencv": "cv2",
    "decord": "decord",
}


def _fingerprint(outputs: List[torch.Tensor], limit: int = 2000) -> List[float]:
    """Mean value of each frame (first ``limit``) over every 4th row and
    column, to compare libraries' pixels (every library is sampled alike)."""
    means: List[float] = []
    for batch in outputs:
        if batch.dtype != torch.uint8 or batch.ndim != 4:
            continue
        means.extend(batch[:, :, ::4, ::4].float().mean(dim=(1, 2, 3)).tolist())
        if len(means) >= limit:
            break
    return [round(m, 3) for m in means[:limit]]


def _shape_ok(outputs: List[torch.Tensor], workload: str, job: W.Job) -> bool:
    if workload == "audio" or workload.startswith("encode_"):
        return True
    size = {"dataloader": W.LOADER_SIZE, "all": (W.KEPT_ROWS, job.width)}.get(
        workload, (job.height, job.width))
    return all(t.dtype == torch.uint8 and t.ndim == 4 and tuple(t.shape[1:]) == (3, *size)
               for t in outputs)


def run_once(library: str, workload: str, job: W.Job, first: bool) -> Dict[str, Any]:
    """One timed run of one workload."""
    result: Dict[str, Any] = {"library": library, "workload": workload}
    try:
        fn = W.get(library, workload)
    except W.Unsupported as error:
        return {**result, "status": "unsupported", "reason": str(error)}
    try:
        if workload.startswith("encode_") and job.encode_frames is None:
            W.load_encode_frames(job)
        start = time.perf_counter()
        cpu_start = time.process_time()
        outputs = fn(job)
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu_start  # this process, all threads
    except W.NotAvailable as error:
        return {**result, "status": "not available", "reason": str(error)}
    except Exception as error:  # a peer's failure is reported, not fatal
        return {**result, "status": "error",
                "reason": f"{type(error).__name__}: {error}".strip()[:500],
                "traceback": traceback.format_exc(limit=4)[-1500:]}
    if workload == "audio":
        count = sum(int(t.shape[-1]) for t in outputs)  # samples per channel
    else:
        count = sum(int(t.shape[0]) for t in outputs)
    result.update(status="ok", seconds=elapsed, cpu_seconds=cpu, count=count,
                  shape_ok=_shape_ok(outputs, workload, job))
    if first:
        result["fingerprint"] = _fingerprint(outputs)
    return result


def versions() -> Dict[str, str]:
    """The version of every library importable here, or why it is not."""
    found: Dict[str, str] = {"python": sys.version.split()[0], "torch": torch.__version__}
    for name in ("codecflow", "torchcodec", "av", "cv2", "decord", "numpy", "matplotlib"):
        try:
            module = importlib.import_module(name)
            found[name] = str(getattr(module, "__version__", "unknown"))
        except Exception as error:
            found[name] = f"not importable: {type(error).__name__}: {error}"[:300]
    try:
        root = Path(__file__).resolve().parent.parent
        commit = subprocess.run(["git", "-C", str(root), "describe", "--always", "--dirty"],
                                capture_output=True, text=True).stdout.strip()
        if commit:
            found["codecflow commit"] = commit
    except OSError:
        pass
    try:
        import codecflow
        found["codecflow ffmpeg"] = str(codecflow.ffmpeg_major_version)
        found["codecflow.encoders"] = "yes" if importlib.util.find_spec("codecflow.encoders") \
            else "no"
        from codecflow import decoders
        found["codecflow AudioDecoder"] = "yes" if hasattr(decoders, "AudioDecoder") else "no"
        found["codecflow.samplers"] = "yes" if importlib.util.find_spec("codecflow.samplers") \
            else "no"
    except Exception:
        pass
    try:
        import av
        found["av ffmpeg"] = ".".join(str(v) for v in av.library_versions["libavcodec"])
    except Exception:
        pass
    return found


def main() -> None:
    """``--versions``, or ``LIBRARY``: then one JSON command per stdin line,
    ``{"workload": NAME, "first": BOOL, "job": JOB_FIELDS}``, each answered by
    one JSON line on stdout."""
    if sys.argv[1] == "--versions":
        print(json.dumps(versions()))
        return
    library = sys.argv[1]
    try:
        importlib.import_module(MODULES[library])
    except Exception as error:
        print(json.dumps({"event": "not installed",
                          "reason": f"{type(error).__name__}: {error}"[:300]}), flush=True)
        return
    print(json.dumps({"event": "ready"}), flush=True)
    job, job_fields = None, None
    for line in sys.stdin:
        command = json.loads(line)
        if command["job"] != job_fields:  # a new clip: the last one's frames go
            if job is not None and job.encode_dir:
                shutil.rmtree(job.encode_dir, ignore_errors=True)
            job_fields = command["job"]
            job = W.Job(**job_fields)
        print(json.dumps(run_once(library, command["workload"], job, command["first"])),
              flush=True)


if __name__ == "__main__":
    main()

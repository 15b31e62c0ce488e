"""codecflow's benchmark against its peers: the entry point.

    python bench/run.py --quick    # make bench: 10 s 1080p + 60 s 540p clips, 3 runs
    python bench/run.py --full     # make bench-full: adds the long clips, 5 runs

Run it with the peers' interpreter (``.peers/venv/bin/python``, made by
``bench/setup_peers.sh``); codecflow is imported from the checkout's
``python/`` directory. Each (library, clip) pair runs in a process of its own
(``bench/worker.py``). Results go to ``bench/results/`` (JSON), ``docs/performance.png``
(chart) and the generated section of ``docs/performance.md``.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import platform
import queue
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import media  # noqa: E402
import report  # noqa: E402
import workloads as W  # noqa: E402

LIBRARIES = ["codecflow", "codecflow-approx", "torchcodec", "torchcodec-approx", "pyav",
             "opencv", "decord"]
PEERS = [lib for lib in LIBRARIES if not lib.startswith("codecflow")]
# The pip distribution behind each peer, as named in .peers/status.txt.
DISTRIBUTIONS = {"torchcodec": "torchcodec", "torchcodec-approx": "torchcodec", "pyav": "av",
                 "opencv": "opencv-python-headless", "decord": "decord"}

PROFILES = {
    # budget: a figure stops repeating once its runs took this long (at
    # least one run); timeout: a workload still running after this long is
    # stopped and reported as timed out. calibrate: the timeout grows to at
    # least 10 times what the ffmpeg CLI takes to decode the whole clip (on a
    # slow or busy machine). loader_jobs: the DataLoader workload's jobs,
    # loader_clips the clips it runs on (None: all). The quick profile trims
    # all three (a 3 s budget, 6 jobs on the 540p clip only, no calibration)
    # to fit in ten minutes on 2 cores: each DataLoader job decodes most of
    # its clip, and the slowest peers' seeks take over 10 s a run. skip:
    # library -> workloads not run; the quick profile decodes in order with
    # TorchCodec in exact mode only (both modes decode the same way there).
    "quick": {"clips": media.QUICK, "runs": 3, "budget": 3.0, "timeout": 45.0,
              "calibrate": False, "loader_jobs": 6, "loader_clips": ["testsrc2_540p30_60s.mp4"],
              "skip": {"torchcodec-approx": ("first100", "all")},
              "libraries": ["codecflow", "torchcodec", "torchcodec-approx", "pyav", "opencv",
                            "decord"]},
    "full": {"clips": media.FULL, "runs": 5, "budget": 120.0, "timeout": 600.0,
             "calibrate": True, "skip": {}, "loader_jobs": 50, "loader_clips": None,
             "libraries": LIBRARIES},
}


STARTED = time.perf_counter()


def log(message: str) -> None:
    print(f"[bench {time.perf_counter() - STARTED:6.1f} s] {message}", file=sys.stderr, flush=True)


def machine() -> Dict[str, Any]:
    model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ffmpeg = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True).stdout
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "os": platform.platform(),
        "ffmpeg_cli": ffmpeg.splitlines()[0] if ffmpeg else "missing",
        "load_average_start": os.getloadavg(),
    }


def peer_status() -> Dict[str, str]:
    status: Dict[str, str] = {}
    path = ROOT / ".peers" / "status.txt"
    if path.exists():
        for line in path.read_text().splitlines():
            if "\t" in line:
                name, state = line.split("\t", 1)
                status[name] = state
    return status


def worker_env() -> Dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "python"),
                                                      env.get("PYTHONPATH")]))
    return env


def versions() -> Dict[str, str]:
    out = subprocess.run([sys.executable, str(HERE / "worker.py"), "--versions"],
                         capture_output=True, text=True, env=worker_env(), check=True)
    return json.loads(out.stdout)


def job_for(clip: media.Clip, path: Path, loader_jobs: int) -> W.Job:
    return W.make_job(str(path), num_frames=clip.num_frames, fps=clip.fps, seconds=clip.seconds,
                      width=clip.width, height=clip.height, gop=clip.gop,
                      loader_jobs=loader_jobs)


def job_fields(job: W.Job) -> Dict[str, Any]:
    return {f.name: getattr(job, f.name) for f in dataclasses.fields(job)
            if f.name not in ("encode_frames", "encode_dir")}


def _pump(proc: subprocess.Popen, lines: "queue.Queue[Optional[str]]") -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("{"):  # libraries may print to stdout too
            lines.put(line)
    lines.put(None)


class Worker:
    """One library's process (bench/worker.py), kept for the whole run and
    asked to run one workload on one clip at a time; restarted after it times
    out or dies."""

    def __init__(self, library: str):
        self.library = library
        self.proc: Optional[subprocess.Popen] = None
        self.failure: Optional[Dict[str, Any]] = None
        self.ready = False

    def spawn(self) -> None:
        """Starts the process without waiting for it to be ready, so that
        several libraries can import at once."""
        self.errors = tempfile.TemporaryFile("w+")
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "worker.py"), self.library],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.errors, text=True,
            env=worker_env())
        self.ready = False
        self.lines: "queue.Queue[Optional[str]]" = queue.Queue()
        threading.Thread(target=_pump, args=(self.proc, self.lines), daemon=True).start()

    def _start(self) -> None:
        if self.proc is None:
            self.spawn()
        try:
            line = self.lines.get(timeout=300)
        except queue.Empty:
            line = None
        message = json.loads(line) if line else {"event": "died"}
        if message["event"] == "not installed":
            self.failure = {"status": "not installed", "reason": message["reason"]}
        elif message["event"] != "ready":
            self.failure = {"status": "error", "reason": "worker failed to start: "
                            + self._stderr_tail()}
        self.ready = True
        if self.failure:
            self.close()

    def _stderr_tail(self) -> str:
        self.errors.seek(0)
        text = self.errors.read().strip().splitlines()
        return (text[-1] if text else "no error output")[:400]

    def ask(self, workload: str, first: bool, timeout: float, job: W.Job) -> Dict[str, Any]:
        if self.failure:
            return dict(self.failure)
        if self.proc is None or not self.ready:
            self._start()
            if self.failure:
                return dict(self.failure)
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"workload": workload, "first": first,
                                          "job": job_fields(job)}) + "\n")
        self.proc.stdin.flush()
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            self.close(kill=True)
            return {"status": "timed out", "reason": f"one run took longer than {timeout:.0f} s",
                    "timeout": timeout}
        if line is None:
            reason = self._stderr_tail()
            self.close(kill=True)
            return {"status": "error", "reason": f"worker died: {reason}"}
        return json.loads(line)

    def close(self, kill: bool = False) -> None:
        if self.proc is None:
            return
        if kill:
            self.proc.kill()
        elif self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


def supported(library: str, name: str, skip: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """None when ``library`` has ``name`` and the profile runs it; else the
    answer to record (known without starting a worker)."""
    if name in skip.get(library, ()):
        return {"status": "skipped", "reason": "not run in this profile"}
    if library == "ffmpeg-cli":
        return None
    try:
        W.get(library, name)
    except W.Unsupported as error:
        return {"status": "unsupported", "reason": str(error)}
    return None


# Runs this short vary the most (a page fault storm, another process): a
# figure whose runs took less than SHORT_SECONDS together gets up to
# SHORT_EXTRA_RUNS more.
SHORT_SECONDS = 1.0
SHORT_EXTRA_RUNS = 4

# The rows whose ratio to the ffmpeg CLI is reported: there codecflow and the
# CLI get at least two runs whatever the budget, so that one slow run does not
# decide the ratio.
CLI_RATIO_WORKLOADS = ("all", "encode_ultrafast")


def min_runs(library: str, name: str, runs: int) -> int:
    if name in CLI_RATIO_WORKLOADS and (library.startswith("codecflow")
                                        or library == "ffmpeg-cli"):
        return min(2, runs)
    return 1


def run_clip(pool: Dict[str, "Worker"], libraries: List[str], job: W.Job, names: List[str],
             runs: int, budget: float, timeout: float,
             skip: Dict[str, Any]) -> List[Dict[str, Any]]:
    """Every workload of ``names`` for every library, interleaved run by run
    (run k of every library, in an order rotated each run) so that a change in
    the machine's load falls on all libraries alike. ``pool`` holds the
    libraries' worker processes, started on first use and kept between clips."""
    workers: Dict[str, Any] = {}
    for library in libraries:
        workers[library] = pool.setdefault(library, Worker(library))
    if any(n in ("all", "audio") or n.startswith("encode_") for n in names):
        libraries = libraries + ["ffmpeg-cli"]
        workers["ffmpeg-cli"] = CliWorker(job)
    results: List[Dict[str, Any]] = []
    for name in names:
        records = {lib: {"library": lib, "workload": name, "status": "ok", "seconds": [],
                         "cpu_seconds": []} for lib in libraries}
        active = list(libraries)
        for run in range(runs + SHORT_EXTRA_RUNS):
            shift = run % max(1, len(active))
            for lib in active[shift:] + active[:shift]:
                answer = (supported(lib, name, skip)
                          or workers[lib].ask(name, run == 0, timeout, job))
                record = records[lib]
                if answer["status"] != "ok":
                    record.update({k: v for k, v in answer.items()
                                   if k in ("status", "reason", "timeout", "traceback")})
                    active.remove(lib)
                    continue
                record["seconds"].append(answer["seconds"])
                record["cpu_seconds"].append(answer["cpu_seconds"])
                record.update({k: answer[k] for k in ("count", "shape_ok", "fingerprint",
                                                      "command") if k in answer})
                n, total = len(record["seconds"]), sum(record["seconds"])
                if (total > budget and n >= min_runs(lib, name, runs)) or (
                        n >= runs and total >= SHORT_SECONDS):
                    active.remove(lib)
            if not active:
                break
        for lib in libraries:
            record = records[lib]
            if record["status"] == "ok":
                record["median_seconds"] = statistics.median(record["seconds"])
                log(f"  {name}: {lib}: {record['median_seconds']:.3f} s "
                    f"({len(record['seconds'])} runs)")
            else:
                log(f"  {name}: {lib}: {record['status']}: {record.get('reason', '')[:160]}")
            results.append(record)
    return results


class CliWorker:
    """The ffmpeg CLI, the limit for whole-file decoding (and encoding), timed
    like a library's worker."""

    library = "ffmpeg-cli"

    def __init__(self, job: W.Job):
        self.job = job

    def ask(self, workload: str, first: bool, timeout: float,
            job: Optional[W.Job] = None) -> Dict[str, Any]:
        del job  # always self.job
        if workload not in ("all", "audio") and not workload.startswith("encode_"):
            return {"status": "unsupported", "reason": "not a CLI reference"}
        if workload.startswith("encode_") and not self.job.encode_dir:
            W.prepare_encode_frames(self.job)
            self.job.encode_dir = tempfile.mkdtemp(prefix="codecflow-bench-")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        try:
            W.run_cli(workload, self.job, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"status": "timed out", "reason": f"one run took longer than {timeout:.0f} s",
                    "timeout": timeout}
        elapsed = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return {"status": "ok", "seconds": elapsed,
                "cpu_seconds": after.ru_utime + after.ru_stime - before.ru_utime
                - before.ru_stime,
                "count": W.ENCODE_FRAMES if workload.startswith("encode_") else self.job.num_frames,
                "command": " ".join(W.cli_command(workload, self.job, "OUT.mp4"))}

    def close(self) -> None:
        pass


def workloads_for(clip: media.Clip, profile: Dict[str, Any]) -> List[str]:
    if clip.kind == "audio":
        return list(W.AUDIO_WORKLOADS)
    names = list(W.VIDEO_WORKLOADS)
    if profile["loader_clips"] is not None and clip.name not in profile["loader_clips"]:
        names.remove("dataloader")
    if clip.height == 1080 and clip.seconds <= 10:
        names += W.ENCODE_WORKLOADS
    return names


def gate(name: str, versions_found: Dict[str, str]) -> str:
    """Why a workload cannot run in this build of codecflow ('' when it can)."""
    if name == "audio" and versions_found.get("codecflow AudioDecoder") != "yes":
        return "not available in this build: codecflow.decoders has no AudioDecoder"
    if name.startswith("encode_") and versions_found.get("codecflow.encoders") != "yes":
        return "not available in this build: codecflow.encoders is missing"
    return ""


def _display(executable: str) -> str:
    path = os.path.abspath(executable)
    return os.path.relpath(path, ROOT) if path.startswith(str(ROOT) + os.sep) else path


def run_all(clips: List[str], profile: Dict[str, Any], runs: int, libraries: List[str],
            only: Optional[set], paths: Dict[str, Path], found: Dict[str, str],
            status: Dict[str, str], pool: Dict[str, Worker]) -> List[Dict[str, Any]]:
    """Every clip's workloads, one clip after the other."""
    results: List[Dict[str, Any]] = []
    for clip_name in clips:
        clip = media.CLIPS[clip_name]
        job = job_for(clip, paths[clip_name], profile["loader_jobs"])
        names = [n for n in workloads_for(clip, profile) if only is None or n in only]
        runnable = []
        for name in names:
            why = gate(name, found)
            if why:
                results.append({"clip": clip_name, "library": "codecflow", "workload": name,
                                "status": "not available", "reason": why})
            else:
                runnable.append(name)
        if not runnable:
            continue
        timeout = profile["timeout"]
        if profile["calibrate"] and clip.kind == "video" and "all" in runnable:
            # Calibration: the per-run timeout grows with the machine's load.
            calibration = CliWorker(job).ask("all", False, 600)
            if calibration["status"] == "ok":
                timeout = max(timeout, 10 * calibration["seconds"])
        runnable_libraries = []
        for library in libraries:
            dist = DISTRIBUTIONS.get(library)
            if dist and status.get(dist, "ok") != "ok":
                for name in runnable:
                    results.append({"clip": clip_name, "library": library, "workload": name,
                                    "status": "not installed", "reason": status[dist]})
            else:
                runnable_libraries.append(library)
        log(f"{clip_name}: {','.join(runnable)} (timeout {timeout:.0f} s per run)")
        for r in run_clip(pool, runnable_libraries, job, runnable, runs, profile["budget"],
                          timeout, profile["skip"]):
            r["clip"] = clip_name
            results.append(r)
        if job.encode_dir:
            shutil.rmtree(job.encode_dir, ignore_errors=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--quick", action="store_true", help="the quick profile (default)")
    group.add_argument("--full", action="store_true", help="adds the long clips and more runs")
    parser.add_argument("--runs", type=int, help="runs per figure (median reported)")
    parser.add_argument("--libraries", help="comma-separated subset of " + ",".join(LIBRARIES))
    parser.add_argument("--workloads", help="comma-separated subset of workloads")
    parser.add_argument("--clips", help="comma-separated subset of clip names")
    parser.add_argument("--no-docs", action="store_true",
                        help="do not rewrite docs/performance.md and docs/performance.png")
    args = parser.parse_args()

    profile_name = "full" if args.full else "quick"
    profile = dict(PROFILES[profile_name])
    runs = args.runs or profile["runs"]
    clips = args.clips.split(",") if args.clips else profile["clips"]
    libraries = args.libraries.split(",") if args.libraries else profile["libraries"]
    only = set(args.workloads.split(",")) if args.workloads else None

    started = time.perf_counter()
    info = machine()
    log(f"{info['cpu']}, {info['cores']} cores, load {info['load_average_start']}")
    paths = media.ensure(clips)
    status = peer_status()
    # The libraries' workers import while the versions are collected.
    pool: Dict[str, Worker] = {}
    for library in libraries:
        if status.get(DISTRIBUTIONS.get(library, ""), "ok") == "ok":
            pool[library] = Worker(library)
            pool[library].spawn()
    found = versions()
    log("versions: " + ", ".join(f"{k} {v}" for k, v in found.items()))

    results: List[Dict[str, Any]] = []
    try:
        results.extend(run_all(clips, profile, runs, libraries, only, paths, found, status,
                               pool))
    finally:
        for worker in pool.values():
            worker.close()

    info["load_average_end"] = os.getloadavg()
    document = {
        "profile": profile_name,
        "runs": runs,
        "loader_jobs": profile["loader_jobs"],
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "wall_seconds": round(time.perf_counter() - started, 1),
        "machine": info,
        "versions": found,
        "peer_install": status,
        "clips": {n: {"description": media.CLIPS[n].description,
                      "command": " ".join(media.command(media.CLIPS[n], Path(n)))}
                  for n in clips},
        "command": " ".join([_display(sys.executable), "bench/run.py", *sys.argv[1:]]),
        "results": results,
    }
    summary = report.summarize(document)
    document["summary"] = summary
    out_dir = HERE / "results"
    out_dir.mkdir(exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    for target in (out_dir / f"{profile_name}-{stamp}.json",
                   out_dir / f"{profile_name}-latest.json"):
        target.write_text(json.dumps(document, indent=1))
    markdown = report.markdown(document)
    print(markdown)
    if not args.no_docs:
        report.chart(document, ROOT / "docs" / "performance.png")
        report.update_docs(ROOT / "docs" / "performance.md", markdown)
        log("wrote docs/performance.md and docs/performance.png")
    log(f"done in {document['wall_seconds']} s; JSON in {out_dir}")


if __name__ == "__main__":
    main()

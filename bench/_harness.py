"""Shared plumbing for the benchmarks in bench/: timing statistics, memory, machine facts,
the plays the benchmarks replay. Benchmarks are scripts, never tests: nothing here asserts on
time."""

from __future__ import annotations

import os
import platform
import resource
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
BENCH_DIR = REPO / "bench"
# The package under test is whatever `import ghostedge` finds: the installed wheel, or a dev
# build with PYTHONPATH=python (tools/dev_build.sh). Nothing here rewrites sys.path.


def default_data_dir() -> Path | None:
    from ghostedge.data import find_ngs_data

    return find_ngs_data(REPO.parent / "shared" / "data" / "ngs_highlights")


# ---------------------------------------------------------------------------- statistics


def latency_stats(samples_s) -> dict:
    """p50 / p99 / max / mean in milliseconds of per-call durations given in seconds."""
    a = np.asarray(samples_s, dtype=np.float64) * 1e3
    if a.size == 0:
        return {"n": 0, "p50_ms": float("nan"), "p99_ms": float("nan"), "max_ms": float("nan"),
                "mean_ms": float("nan")}
    return {
        "n": int(a.size),
        "p50_ms": float(np.percentile(a, 50)),
        "p99_ms": float(np.percentile(a, 99)),
        "max_ms": float(a.max()),
        "mean_ms": float(a.mean()),
    }


def best_rate(fn: Callable[[], int], min_time_s: float, rounds: int = 5) -> float:
    """Items per second of ``fn`` (which returns how many items it processed): the best round
    of ``rounds``, each round repeating ``fn`` for at least ``min_time_s / rounds``. Best-of
    rather than mean because the machine is shared and interference only ever slows a round."""
    best = 0.0
    per_round = max(min_time_s / rounds, 1e-3)
    for _ in range(rounds):
        items, t0 = 0, time.perf_counter()
        while True:
            items += fn()
            dt = time.perf_counter() - t0
            if dt >= per_round:
                break
        best = max(best, items / dt)
    return best


def time_per_call(fn: Callable[[], object], min_time_s: float, min_calls: int = 3) -> float:
    """Median seconds per call of ``fn`` over at least ``min_time_s`` and ``min_calls`` calls."""
    samples = []
    t_end = time.perf_counter() + min_time_s
    while len(samples) < min_calls or time.perf_counter() < t_end:
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return float(np.median(samples))


# ---------------------------------------------------------------------------- memory


def rss_mb() -> float:
    """Current resident set size of this process, MiB (Linux /proc)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, MiB: VmHWM, which exec resets (getrusage's
    ru_maxrss would carry the parent's peak into a spawned child)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# ---------------------------------------------------------------------------- machine


def machine_info() -> dict:
    info = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "load_avg_1m": os.getloadavg()[0],
    }
    for mod in ("numpy", "pandas", "onnxruntime", "torch"):
        try:
            info[mod] = __import__(mod).__version__
        except ImportError:
            info[mod] = None
    try:
        import ghostedge

        info["ghostedge"] = ghostedge.__version__
        info["ghostedge_path"] = str(Path(ghostedge.__file__).parent)
    except ImportError:
        info["ghostedge"] = None
    try:
        info["git_commit"] = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain"],
                               capture_output=True, text=True, check=True).stdout
        info["git_dirty"] = bool(dirty.strip())
    except (OSError, subprocess.CalledProcessError):
        info["git_commit"] = None
    return info


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


# ---------------------------------------------------------------------------- plays


@dataclass
class BenchPlays:
    plays: list  # ghostedge.data.Play, pass plays with a known target
    source: str


_PLAYS_CACHE: dict[str, list] = {}


def load_pass_plays(data_dir: Path | None, max_plays: int, samples: bool = False) -> BenchPlays:
    """Real pass plays with a known target and pass_forward/arrived frames, the ones with the
    most defensive back x eligible receiver pairs first (the worst case per frame), at most
    ``max_plays``.

    From ``data_dir`` (shared-format data) when given, else the sample plays shipped in the
    package when ``samples`` is set or the shared data is not found, else the shared data."""
    from ghostedge.data import load_dataset, sample_data_dir

    source = data_dir if data_dir is not None else None if samples else default_data_dir()
    if source is None:
        source = sample_data_dir()
    key = str(source)
    if key not in _PLAYS_CACHE:
        ds = load_dataset(source)
        plays = [
            p for p in ds.iter_plays()
            if p.target_nfl_id is not None and p.pass_forward_frame is not None
            and p.pass_arrived_frame is not None and len(p.defensive_backs()) > 0
            and len(p.eligible_receivers()) > 0
        ]
        plays.sort(key=lambda p: (-len(p.defensive_backs()) * len(p.eligible_receivers()),
                                  p.game_id, p.play_id))
        _PLAYS_CACHE[key] = plays
    return BenchPlays(plays=_PLAYS_CACHE[key][:max_plays], source=key)

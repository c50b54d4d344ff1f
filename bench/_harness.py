"""Shared plumbing for the benchmarks in bench/: timing statistics and machine facts (the
package's), memory, the plays the benchmarks replay. Benchmarks are scripts, never tests: nothing here asserts on
time."""

from __future__ import annotations

import os
import resource
import subprocess
from dataclasses import dataclass
from pathlib import Path

# The timing tools and the machine's facts are the package's (ghostedge.sim.bench_parts, which
# `ghostedge bench` uses): one implementation for both.
from ghostedge.sim.bench import best_rate, latency_stats, time_per_call  # noqa: F401

REPO = Path(__file__).resolve().parents[1]
BENCH_DIR = REPO / "bench"
# The package under test is whatever `import ghostedge` finds: the installed wheel, or a dev
# build with PYTHONPATH=python (tools/dev_build.sh). Nothing here rewrites sys.path.


def default_data_dir() -> Path | None:
    from ghostedge.data import find_ngs_data

    return find_ngs_data(REPO.parent / "shared" / "data" / "ngs_highlights")


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
    """The package's machine facts, plus what the comparisons here also depend on (pandas,
    torch), where the package under test lives and the checkout's commit."""
    from ghostedge.sim.bench_parts import machine_facts

    info = machine_facts()
    for mod in ("pandas", "torch"):
        try:
            info[mod] = __import__(mod).__version__
        except ImportError:
            info[mod] = None
    import ghostedge

    info["ghostedge_path"] = str(Path(ghostedge.__file__).parent)
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

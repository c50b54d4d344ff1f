"""Where the data is: the sample plays shipped in the package, and the shared NGS data set of a
developer checkout (tests, benchmarks and the soak use it when it is there)."""

from __future__ import annotations

import os
from pathlib import Path

from .loader import Dataset, load_dataset


def sample_data_dir() -> Path:
    """The folder of sample plays shipped with ghostedge (tracking.csv.gz + plays.csv.gz)."""
    d = Path(__file__).resolve().parent.parent / "samples"
    if not (d / "tracking.csv.gz").is_file():
        raise FileNotFoundError(f"sample plays not found in {d} (broken installation?)")
    return d


def find_ngs_data(*candidates: str | Path) -> Path | None:
    """The folder of the full shared NGS data set, for developer tools (tests, benchmarks, the
    soak) that use it when it is there: ``$GHOSTEDGE_NGS_DATA``, else the first of
    ``candidates`` holding a ``tracking.csv.gz``, else ``shared/data/ngs_highlights`` beside
    this source tree; None when there is none."""
    env = os.environ.get("GHOSTEDGE_NGS_DATA")
    here = Path(__file__).resolve().parents  # .../<checkout>/python/ghostedge/data/locations.py
    beside_tree = [here[4] / "shared" / "data" / "ngs_highlights"] if len(here) > 4 else []
    for cand in ([Path(env)] if env else []) + [Path(c) for c in candidates] + beside_tree:
        if (cand / "tracking.csv.gz").exists():
            return cand
    return None


def find_ngs_games_data(*candidates: str | Path) -> Path | None:
    """The folder of the shared complete NGS games (Sportradar JSON play files), for developer
    tools that use it when it is there: ``$GHOSTEDGE_NGS_GAMES_DATA``, else the first of
    ``candidates`` holding ``*.json.gz`` play files one folder down (one folder per game), else
    ``shared/data/ngs_games_2018`` beside this source tree; None when there is none."""
    env = os.environ.get("GHOSTEDGE_NGS_GAMES_DATA")
    here = Path(__file__).resolve().parents
    beside_tree = [here[4] / "shared" / "data" / "ngs_games_2018"] if len(here) > 4 else []
    for cand in ([Path(env)] if env else []) + [Path(c) for c in candidates] + beside_tree:
        if cand.is_dir() and next(cand.glob("*/*.json.gz"), None) is not None:
            return cand
    return None


def load_samples() -> Dataset:
    """The shipped sample pass plays (real NGS tracking; see samples/README.md)."""
    return load_dataset(sample_data_dir())

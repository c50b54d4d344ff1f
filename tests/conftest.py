"""Shared fixtures. Tests import the *installed* ghostedge (CI installs the wheel); for work on
the source tree use `tools/dev_build.sh` and `PYTHONPATH=python pytest`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _ngs_dir() -> Path | None:
    env = os.environ.get("GHOSTEDGE_NGS_DATA")
    for cand in ([Path(env)] if env else []) + [REPO.parent / "shared" / "data" / "ngs_highlights"]:
        if (cand / "tracking.csv.gz").exists():
            return cand
    return None


@pytest.fixture(scope="session")
def ngs_dir() -> Path:
    """The shared real NGS data folder (../shared/data/ngs_highlights or $GHOSTEDGE_NGS_DATA)."""
    d = _ngs_dir()
    if d is None:
        pytest.skip("shared NGS data not found (set GHOSTEDGE_NGS_DATA)")
    return d


@pytest.fixture(scope="session")
def ngs_dataset(ngs_dir):
    from ghostedge.data import load_dataset

    return load_dataset(ngs_dir)

"""Shared fixtures. Tests import the *installed* ghostedge (CI installs the wheel); for work on
the source tree use `tools/dev_build.sh` and `PYTHONPATH=python pytest`."""

from __future__ import annotations

from pathlib import Path

import pytest

from ghostedge.data import find_ngs_data, find_ngs_games_data

REPO = Path(__file__).resolve().parents[1]


def _ngs_dir() -> Path | None:
    # The installed package does not sit in this tree: name the folder beside the checkout.
    return find_ngs_data(REPO.parent / "shared" / "data" / "ngs_highlights")


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


@pytest.fixture(scope="session")
def ngs_games_dir() -> Path:
    """The shared complete 2018 games, Sportradar JSON (../shared/data/ngs_games_2018 or
    $GHOSTEDGE_NGS_GAMES_DATA)."""
    d = find_ngs_games_data(REPO.parent / "shared" / "data" / "ngs_games_2018")
    if d is None:
        pytest.skip("shared NGS games data not found (set GHOSTEDGE_NGS_GAMES_DATA)")
    return d

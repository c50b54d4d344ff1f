"""Data (layer 1): loaders for the Big Data Bowl / NGS formats and the :class:`Play` domain model.

``play`` (the domain model) needs only numpy; the loaders (``loader``, ``formats``, ``inspect``)
need pandas and are imported on first use of their names, so the live path can use ``Play``
without importing pandas.

May import: ``constants``. Nothing above it.
"""

from __future__ import annotations

import importlib

from .play import (
    BALL_NFL_ID,
    DEFENSIVE_BACK_POSITIONS,
    ELIGIBLE_RECEIVER_POSITIONS,
    FIELD_LENGTH_YD,
    FIELD_WIDTH_YD,
    FRAME_RATE_HZ,
    Play,
)

_LAZY = {
    "DataFormatError": "formats", "detect_tracking_format": "formats",
    "Dataset": "loader", "build_play": "loader", "frame_rate": "loader", "load_dataset": "loader",
    "missing_frame_summary": "loader", "normalize_tracking_direction": "loader",
    "read_tracking_csv": "loader",
    "find_ngs_data": "locations", "find_ngs_games_data": "locations", "load_samples": "locations",
    "sample_data_dir": "locations",
}

__all__ = [
    "BALL_NFL_ID", "DEFENSIVE_BACK_POSITIONS", "ELIGIBLE_RECEIVER_POSITIONS", "FIELD_LENGTH_YD",
    "FIELD_WIDTH_YD", "FRAME_RATE_HZ", "Play", *_LAZY,
]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

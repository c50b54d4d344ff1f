"""Tracking data: loaders for the Big Data Bowl / NGS formats and the :class:`Play` model."""

from .loader import Dataset, DataFormatError, build_play, load_dataset, read_tracking_csv
from .play import (
    BALL_NFL_ID,
    DEFENSIVE_BACK_POSITIONS,
    ELIGIBLE_RECEIVER_POSITIONS,
    FIELD_LENGTH_YD,
    FIELD_WIDTH_YD,
    FRAME_RATE_HZ,
    Play,
)

__all__ = [
    "BALL_NFL_ID", "DEFENSIVE_BACK_POSITIONS", "ELIGIBLE_RECEIVER_POSITIONS", "FIELD_LENGTH_YD",
    "FIELD_WIDTH_YD", "FRAME_RATE_HZ", "Dataset", "DataFormatError", "Play", "build_play",
    "load_dataset", "read_tracking_csv",
]

"""Tracking data: loaders for the Big Data Bowl / NGS formats and the :class:`Play` model."""

from .formats import DataFormatError, detect_tracking_format
from .loader import (
    Dataset,
    build_play,
    find_ngs_data,
    find_ngs_games_data,
    frame_rate,
    load_dataset,
    load_samples,
    missing_frame_summary,
    normalize_tracking_direction,
    read_tracking_csv,
    sample_data_dir,
)
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
    "load_dataset", "read_tracking_csv", "detect_tracking_format", "frame_rate",
    "load_samples", "find_ngs_data", "find_ngs_games_data", "missing_frame_summary", "normalize_tracking_direction", "sample_data_dir",
]

"""Column conventions of the tracking formats ghostedge reads, mapped to the canonical names.

(Minimal version: the shared-data / Big Data Bowl 2021-2025 convention. Detection of every
edition and `ghostedge inspect` grow here.)
"""

from __future__ import annotations

import pandas as pd

from .loader import TRACKING_REQUIRED, DataFormatError
from .play import BALL_NFL_ID

TRACKING_ALIASES = {"team": "club", "frame.id": "frameId"}


def canonicalize_tracking(df: pd.DataFrame, source: str = "") -> pd.DataFrame:
    df = df.rename(columns={k: v for k, v in TRACKING_ALIASES.items() if k in df.columns and v not in df.columns})
    missing = [c for c in TRACKING_REQUIRED if c not in df.columns]
    if missing:
        raise DataFormatError(f"{source}: missing tracking columns {missing}; found {list(df.columns)}")
    if "nflId" not in df.columns:
        df["nflId"] = BALL_NFL_ID
    df["nflId"] = pd.to_numeric(df["nflId"], errors="coerce").fillna(BALL_NFL_ID).astype("int64")
    for c in ("x", "y", "s", "a", "o", "dir"):
        if c in df.columns:
            df[c] = pd.to_numeric(df[c], errors="coerce")
    df["frameId"] = pd.to_numeric(df["frameId"], errors="raise").astype("int64")
    df["gameId"] = df["gameId"].astype("int64")
    df["playId"] = df["playId"].astype("int64")
    return df


def canonicalize_plays(df: pd.DataFrame, source: str = "") -> pd.DataFrame:
    missing = [c for c in ("gameId", "playId") if c not in df.columns]
    if missing:
        raise DataFormatError(f"{source}: missing play columns {missing}")
    return df

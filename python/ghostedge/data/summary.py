"""Summaries and transforms over canonical tracking tables: missing frames, the frame rate,
the direction of play (used by the loaders and by ``ghostedge inspect``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .formats import DataFormatError
from .play import BALL_NFL_ID, FIELD_LENGTH_YD, FIELD_WIDTH_YD


def missing_frame_summary(tracking: pd.DataFrame) -> dict:
    """Frames missing inside each track (gameId, playId, nflId), between its first and last frame.

    Returns tracks, tracks_affected, frames_missing, longest_gap (frames), plays_affected,
    ball_tracks_affected and duplicate_rows (same track and frame more than once).
    """
    g = tracking["gameId"].to_numpy(np.int64)
    p = tracking["playId"].to_numpy(np.int64)
    n = tracking["nflId"].to_numpy(np.int64)
    f = tracking["frameId"].to_numpy(np.int64)
    order = np.lexsort((f, n, p, g))
    g, p, n, f = g[order], p[order], n[order], f[order]
    same_track = np.zeros(f.size, dtype=bool)
    same_track[1:] = (g[1:] == g[:-1]) & (p[1:] == p[:-1]) & (n[1:] == n[:-1])
    step = np.zeros(f.size, dtype=np.int64)
    step[1:] = f[1:] - f[:-1]
    duplicates = int(np.count_nonzero(same_track & (step == 0)))
    gap = np.where(same_track & (step > 1), step - 1, 0)
    track_id = np.cumsum(~same_track) - 1
    per_track = np.bincount(track_id, weights=gap, minlength=int(track_id[-1]) + 1 if f.size else 0)
    affected = per_track > 0
    starts = np.flatnonzero(~same_track)
    is_ball = n[starts] == BALL_NFL_ID
    plays_affected = len(set(zip(g[starts][affected].tolist(), p[starts][affected].tolist())))
    return {
        "tracks": int(starts.size),
        "tracks_affected": int(np.count_nonzero(affected)),
        "frames_missing": int(per_track.sum()),
        "longest_gap": int(gap.max()) if gap.size else 0,
        "plays_affected": plays_affected,
        "ball_tracks_affected": int(np.count_nonzero(affected & is_ball)),
        "duplicate_rows": duplicates,
    }


def frame_rate(tracking: pd.DataFrame) -> dict:
    """Frame rate measured from ``time`` (median seconds per frameId step), else from frameIds.

    Returns {"hz": float | None, "source": str, "frame_step": int | None}.
    """
    keys = ["gameId", "playId", "frameId"]
    frames = tracking.drop_duplicates(keys)
    frames = frames.sort_values(keys)
    same_play = (frames["gameId"].diff() == 0) & (frames["playId"].diff() == 0)
    dframe = frames["frameId"].diff()[same_play]
    if dframe.empty:
        return {"hz": None, "source": "one frame per play: no rate", "frame_step": None}
    step = int(dframe.median())
    if "time" in frames.columns:
        t = pd.to_datetime(frames["time"], format="ISO8601", utc=True, errors="coerce")
        dt = (t.diff().dt.total_seconds() / frames["frameId"].diff())[same_play & t.notna() & t.shift().notna()]
        dt = dt[dt > 0]
        if not dt.empty:
            return {"hz": round(1.0 / float(dt.median()), 3), "source": "time column", "frame_step": step}
    if step == 1:
        # Every Big Data Bowl edition documents 10 frames per second; without times we can only
        # check that frameIds are consecutive, so the rate is reported as nominal.
        return {"hz": 10.0, "source": "nominal 10 Hz (no time column; frameIds consecutive)", "frame_step": step}
    return {"hz": None, "source": "no usable time column; frameIds only", "frame_step": step}


def normalize_tracking_direction(tracking: pd.DataFrame) -> pd.DataFrame:
    """A copy with every play turned so the offence moves toward +x (playDirection 'right').

    Same transform as :meth:`Play.normalized`: a 180 degree rotation about the field centre,
    x -> 120 - x, y -> 53.3 - y, o and dir + 180 (mod 360). Rows of 'right' plays are unchanged.
    """
    if "playDirection" not in tracking.columns:
        raise DataFormatError("normalize_tracking_direction: no playDirection column")
    out = tracking.copy()
    left = (out["playDirection"] == "left").to_numpy()
    out.loc[left, "x"] = FIELD_LENGTH_YD - out.loc[left, "x"]
    out.loc[left, "y"] = FIELD_WIDTH_YD - out.loc[left, "y"]
    for col in ("o", "dir"):
        if col in out.columns:
            out.loc[left, col] = np.mod(out.loc[left, col] + 180.0, 360.0)
    out.loc[left, "playDirection"] = "right"
    return out

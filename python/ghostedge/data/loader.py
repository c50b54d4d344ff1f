"""Loading tracking and play tables into canonical DataFrames and :class:`Play` objects.

Canonical tracking columns (Big Data Bowl convention): gameId, playId, nflId (-1 for the
ball), displayName, jerseyNumber, position, club, frameId, time, x, y, s, a, o, dir, event,
playDirection. Format detection for every Big Data Bowl edition lives in ``formats.py``; this
module turns a canonical table into plays.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from .play import BALL_NFL_ID, Play

TRACKING_REQUIRED = ("gameId", "playId", "frameId", "x", "y")
PLAY_CONTEXT_COLUMNS = (
    "quarter", "down", "yardsToGo", "absoluteYardlineNumber", "gameClock",
    "preSnapHomeScore", "preSnapVisitorScore", "homeTeamAbbr", "visitorTeamAbbr",
)


class DataFormatError(ValueError):
    """The input does not look like tracking data ghostedge understands (message says why)."""


def _clock_seconds(value) -> float:
    """'MM:SS' -> seconds; NaN when unparseable."""
    try:
        mm, ss = str(value).split(":")[:2]
        return float(mm) * 60.0 + float(ss)
    except (ValueError, AttributeError):
        return float("nan")


def _opt_int(value) -> int | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@dataclass
class Dataset:
    """Canonical tracking plus (optional) play table; build :class:`Play` objects from it."""

    tracking: pd.DataFrame
    plays: pd.DataFrame | None = None
    source: str = ""

    def play_keys(self) -> list[tuple[int, int]]:
        keys = self.tracking[["gameId", "playId"]].drop_duplicates()
        return [(int(g), int(p)) for g, p in keys.itertuples(index=False)]

    def _play_row(self, game_id: int, play_id: int) -> dict:
        if self.plays is None:
            return {}
        rows = self.plays[(self.plays["gameId"] == game_id) & (self.plays["playId"] == play_id)]
        return {} if rows.empty else rows.iloc[0].to_dict()

    def play(self, game_id: int, play_id: int) -> Play:
        rows = self.tracking[(self.tracking["gameId"] == game_id) & (self.tracking["playId"] == play_id)]
        if rows.empty:
            raise KeyError(f"play {game_id}/{play_id} not in {self.source or 'the dataset'}")
        return build_play(rows, self._play_row(game_id, play_id))

    def iter_plays(self, keys: list[tuple[int, int]] | None = None) -> Iterator[Play]:
        wanted = None if keys is None else set(keys)
        play_rows = {}
        if self.plays is not None:
            for row in self.plays.to_dict("records"):
                play_rows[(int(row["gameId"]), int(row["playId"]))] = row
        for (g, p), rows in self.tracking.groupby(["gameId", "playId"], sort=False):
            key = (int(g), int(p))
            if wanted is not None and key not in wanted:
                continue
            yield build_play(rows, play_rows.get(key, {}))


def build_play(rows: pd.DataFrame, play_row: dict) -> Play:
    """Dense arrays for one play from its canonical tracking rows and its play-table row."""
    game_id, play_id = int(rows["gameId"].iloc[0]), int(rows["playId"].iloc[0])
    frames = rows["frameId"].to_numpy(np.int64)
    f0, f1 = int(frames.min()), int(frames.max())
    frame_ids = np.arange(f0, f1 + 1, dtype=np.int64)
    t_idx = frames - f0

    nfl = rows["nflId"].to_numpy(np.int64)
    is_ball = nfl == BALL_NFL_ID
    players = rows[~is_ball]
    # One entry per player, in first-seen order.
    info = players.drop_duplicates("nflId")
    nfl_ids = info["nflId"].to_numpy(np.int64)
    col = {int(n): i for i, n in enumerate(nfl_ids)}
    T, N = frame_ids.size, nfl_ids.size

    xy = np.full((T, N, 2), np.nan)
    o = np.full((T, N), np.nan)
    s = np.full((T, N), np.nan)
    dirn = np.full((T, N), np.nan)
    present = np.zeros((T, N), dtype=bool)
    pt = t_idx[~is_ball]
    pn = np.fromiter((col[int(n)] for n in nfl[~is_ball]), dtype=np.int64, count=int((~is_ball).sum()))
    xy[pt, pn, 0] = players["x"].to_numpy(float)
    xy[pt, pn, 1] = players["y"].to_numpy(float)
    if "o" in players:
        o[pt, pn] = players["o"].to_numpy(float)
    if "s" in players:
        s[pt, pn] = players["s"].to_numpy(float)
    if "dir" in players:
        dirn[pt, pn] = players["dir"].to_numpy(float)
    present[pt, pn] = np.isfinite(xy[pt, pn, 0]) & np.isfinite(xy[pt, pn, 1])

    ball_xy = np.full((T, 2), np.nan)
    ball = rows[is_ball]
    if not ball.empty:
        bt = t_idx[is_ball]
        ball_xy[bt, 0] = ball["x"].to_numpy(float)
        ball_xy[bt, 1] = ball["y"].to_numpy(float)

    events = np.full(T, "", dtype=object)
    if "event" in rows:
        ev = rows[["frameId", "event"]].dropna().drop_duplicates("frameId")
        events[ev["frameId"].to_numpy(np.int64) - f0] = ev["event"].astype(str).to_numpy()

    def text(column: str) -> np.ndarray:
        if column not in info:
            return np.full(N, "", dtype=object)
        return info[column].fillna("").astype(str).to_numpy(dtype=object)

    direction = str(rows["playDirection"].iloc[0]) if "playDirection" in rows else "right"
    context = {k: play_row.get(k) for k in PLAY_CONTEXT_COLUMNS if k in play_row}
    if "gameClock" in context:
        context["gameClockSeconds"] = _clock_seconds(context["gameClock"])
    return Play(
        game_id=game_id,
        play_id=play_id,
        frame_ids=frame_ids,
        nfl_ids=nfl_ids,
        xy=xy,
        o=o,
        present=present,
        ball_xy=ball_xy,
        club=text("club"),
        position=text("position"),
        jersey=text("jerseyNumber"),
        name=text("displayName"),
        events=events,
        play_direction=direction if direction in ("left", "right") else "right",
        possession_team=str(play_row.get("possessionTeam", "") or ""),
        defensive_team=str(play_row.get("defensiveTeam", "") or ""),
        pass_forward_frame=_opt_int(play_row.get("passForwardFrameId")),
        pass_arrived_frame=_opt_int(play_row.get("passArrivedFrameId")),
        target_nfl_id=_opt_int(play_row.get("targetNflId")),
        context=context,
        provider_s=s,
        provider_dir=dirn,
    )


def read_tracking_csv(path: str | os.PathLike) -> pd.DataFrame:
    """Read one tracking CSV (optionally gzipped) in the shared/BDB convention to canonical form."""
    from .formats import canonicalize_tracking  # format knowledge lives in one place

    return canonicalize_tracking(pd.read_csv(path, low_memory=False), source=str(path))


def load_dataset(path: str | os.PathLike) -> Dataset:
    """Load a data directory (tracking*.csv[.gz] + plays.csv[.gz]) or a single tracking file."""
    from .formats import canonicalize_plays

    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"no such file or directory: {p}")
    if p.is_file():
        return Dataset(tracking=read_tracking_csv(p), plays=None, source=str(p))
    tracking_files = sorted(
        f for f in p.iterdir() if f.name.startswith("tracking") and f.suffixes[:1] == [".csv"]
    )
    if not tracking_files:
        raise DataFormatError(f"{p}: no tracking*.csv or tracking*.csv.gz file")
    tracking = pd.concat([read_tracking_csv(f) for f in tracking_files], ignore_index=True)
    plays = None
    for name in ("plays.csv", "plays.csv.gz"):
        if (p / name).exists():
            plays = canonicalize_plays(pd.read_csv(p / name, low_memory=False), source=str(p / name))
            break
    return Dataset(tracking=tracking, plays=plays, source=str(p))

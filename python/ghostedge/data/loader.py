"""Loading tracking and play tables into canonical DataFrames and :class:`Play` objects.

Canonical tracking columns (Big Data Bowl convention): gameId, playId, nflId (-1 for the
ball), displayName, jerseyNumber, position, club, frameId, time, x, y, s, a, o, dir, event,
playDirection. Format detection for every Big Data Bowl edition lives in ``formats.py``; this
module combines the tables of a file or folder and turns a canonical table into plays.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import derive
from . import formats as fm
from . import sportradar as sr
from .derive import PASS_FORWARD_EVENTS, pass_frames_from_events  # noqa: F401  (re-exported)
from .formats import TRACKING_REQUIRED, DataFormatError  # noqa: F401  (re-exported)
from .play import BALL_NFL_ID, Play
from .sportradar_tables import load_play_files
from .summary import frame_rate, missing_frame_summary, normalize_tracking_direction  # noqa: F401  (re-exported)

PLAY_CONTEXT_COLUMNS = (
    "quarter", "down", "yardsToGo", "absoluteYardlineNumber", "gameClock",
    "preSnapHomeScore", "preSnapVisitorScore", "homeTeamAbbr", "visitorTeamAbbr",
    "ballLandX", "ballLandY",
    # What the plays table says or the loader derived (derive.py, targets.py), where it has it.
    "playType", "playDescription", "passResult", "targetSource", "playDirectionSource", "passArrivedSource",
    "isNoPlay", "isPenalty", "yardlineSide", "yardlineNumber", "season", "week",
    "gameSourceId", "playSourceId",
)
MAX_PLAY_FRAMES = 36_000  # one hour at 10 Hz; real plays last well under a minute


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
    format: str = ""  # detected tracking format(s), e.g. "ngs-shared", "bdb2025"
    games: pd.DataFrame | None = None
    players: pd.DataFrame | None = None
    _missing: dict | None = field(default=None, repr=False)
    # Files of a folder that could not be read, each {"path", "reason"} (never silently skipped).
    rejected_files: list = field(default_factory=list)
    # What the loader derived and how (derive.complete_plays, the format's reader): counts.
    derived: dict = field(default_factory=dict)

    def missing_frames(self) -> dict:
        """Frames missing inside tracks (counted and flagged, not an error); see missing_frame_summary."""
        if self._missing is None:
            self._missing = missing_frame_summary(self.tracking)
        return self._missing

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
    if f1 - f0 >= MAX_PLAY_FRAMES:  # the arrays are dense over the frame range: refuse, do not allocate
        raise DataFormatError(
            f"play {game_id}/{play_id} spans frames {f0}..{f1}, more than {MAX_PLAY_FRAMES} frames"
        )
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
        return info[column].astype(object).fillna("").astype(str).to_numpy(dtype=object)

    direction = str(rows["playDirection"].iloc[0]) if "playDirection" in rows else "right"
    context = {k: _plain(play_row.get(k)) for k in PLAY_CONTEXT_COLUMNS if k in play_row}
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
        possession_team=_club(play_row.get("possessionTeam")),
        defensive_team=_club(play_row.get("defensiveTeam")),
        pass_forward_frame=_opt_int(play_row.get("passForwardFrameId")),
        pass_arrived_frame=_opt_int(play_row.get("passArrivedFrameId")),
        target_nfl_id=_opt_int(play_row.get("targetNflId")),
        context=context,
        provider_s=s,
        provider_dir=dirn,
        player_source_ids=text("playerSourceId") if "playerSourceId" in info else None,
    )


def _club(value) -> str:
    """A club abbreviation from the plays table; '' when missing (None or NaN)."""
    return value.strip() if isinstance(value, str) else ""


def _plain(value):
    """A play-table value as a plain Python scalar (numpy / pandas scalars and NA to float / None)."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


# ---------------------------------------------------------------------------------------------
# Reading files and folders.


def _read_tracking_file(path: Path, info: fm.TableInfo, columns: set[str] | None):
    """(canonical tracking, plays derived from the same file or None) for one tracking file."""
    fmt = fm.FORMATS_BY_NAME[info.format]
    usecols = fm.source_columns_for(fmt, columns, info.columns)
    if fmt.name == "bdb2020" and usecols is not None:
        usecols = None  # the play-level columns live in the same file
    if fmt.name == "bdb2026-input" and usecols is not None:
        usecols += [c for c in ("absolute_yardline_number", "ball_land_x", "ball_land_y",
                                "player_role", "player_side") if c in info.columns and c not in usecols]
    raw = fm.read_csv_checked(path, usecols=usecols)
    plays = fm.plays_from_2020(raw) if fmt.name == "bdb2020" else None
    return fm.canonicalize_tracking(raw, str(path), fmt), plays


def read_tracking_csv(path: str | os.PathLike, columns=None) -> pd.DataFrame:
    """Read one tracking CSV (optionally gzipped) of any supported format to canonical form.

    ``columns``: canonical columns to read (None: all the file has); the format is detected from
    the header, and only the needed source columns are parsed.
    """
    p = Path(path)
    info = fm.classify_columns(fm.read_header(p), str(p))
    if info.kind != fm.TRACKING:
        raise DataFormatError(f"{p}: a {info.format} table, not tracking data")
    return _read_tracking_file(p, info, None if columns is None else set(columns))[0]


def list_table_files(folder: Path) -> list[Path]:
    """CSV(.gz) files of a data folder and of its immediate subfolders (e.g. the 2026 train/)."""
    found = []
    for pattern in ("*.csv", "*.csv.gz", "*/*.csv", "*/*.csv.gz"):
        found += [f for f in folder.glob(pattern) if f.is_file()]
    return sorted(set(found))


def _combine_2026(inputs: pd.DataFrame, outputs: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """2026: output frames continue the input frames; plays come from the per-row play columns."""
    keys = ["gameId", "playId"]
    g = inputs.groupby(keys, sort=False)
    plays = g["frameId"].max().rename("passForwardFrameId").reset_index()
    for src, dst in (("absolute_yardline_number", "absoluteYardlineNumber"),
                     ("ball_land_x", "ballLandX"), ("ball_land_y", "ballLandY")):
        if src in inputs.columns:
            plays[dst] = g[src].first().to_numpy()
    if "player_role" in inputs.columns:
        target = inputs.loc[inputs["player_role"] == "Targeted Receiver", keys + ["nflId"]]
        target = target.drop_duplicates(keys).rename(columns={"nflId": "targetNflId"})
        plays = plays.merge(target, on=keys, how="left")
    plays["possessionTeam"], plays["defensiveTeam"] = "offense", "defense"
    tracking = inputs.drop(columns=[c for c in ("absolute_yardline_number", "ball_land_x",
                                                "ball_land_y", "player_role") if c in inputs.columns])
    if outputs is not None and not outputs.empty:
        offset = plays[keys + ["passForwardFrameId"]]
        out = outputs.merge(offset, on=keys, how="inner")
        orphan = len(outputs) - len(out)
        if orphan:
            raise DataFormatError(f"{orphan} 2026 output rows belong to plays missing from the input files")
        out["frameId"] = out["frameId"] + out.pop("passForwardFrameId")
        static = [c for c in ("displayName", "position", "club", "playDirection", "jerseyNumber")
                  if c in tracking.columns]
        info = tracking[keys + ["nflId"] + static].drop_duplicates(keys + ["nflId"])
        out = out.drop(columns=[c for c in static if c in out.columns]).merge(info, on=keys + ["nflId"], how="left")
        tracking = pd.concat([tracking, out], ignore_index=True)
        arrived = out.groupby(keys)["frameId"].max().rename("passArrivedFrameId").reset_index()
        plays = plays.merge(arrived, on=keys, how="left")
    return tracking, plays


def plays_with_pass_frames(play_tables: list, tracking: pd.DataFrame) -> pd.DataFrame | None:
    """The play tables merged with the pass frames from the events (the tables win). A table's
    arrival that is the frame of the play's first pass_outcome_* event is the ruling, as the
    events' own fallback: the events' arrival replaces it (the shared highlights' plays table
    took it so). Any other arrival of a table is its own: kept, passArrivedSource 'plays_table'."""
    events = pass_frames_from_events(tracking)
    plays = _merge_plays([*play_tables, events])
    if plays is not None and "passArrivedSource" in plays.columns:
        ev = events.set_index(derive.KEYS).reindex(pd.MultiIndex.from_frame(plays[derive.KEYS]))
        arrived, by_events = plays["passArrivedFrameId"].to_numpy(), ev["passArrivedFrameId"].to_numpy()
        ruling = (arrived == ev["passOutcomeFrameId"].to_numpy()) & ~np.isnan(by_events.astype(float))
        plays.loc[ruling, "passArrivedFrameId"] = by_events[ruling]
        own = plays["passArrivedFrameId"].notna().to_numpy() & (plays["passArrivedFrameId"].to_numpy() != by_events)
        plays.loc[own, "passArrivedSource"] = "plays_table"
    return plays.drop(columns=["passOutcomeFrameId"], errors="ignore") if plays is not None else None


def _merge_plays(tables: list[pd.DataFrame]) -> pd.DataFrame | None:
    """Outer-join play tables on (gameId, playId); earlier tables win where both have a value."""
    tables = [t for t in tables if t is not None and not t.empty]
    if not tables:
        return None
    out = tables[0].drop_duplicates(["gameId", "playId"])
    for t in tables[1:]:
        t = t.drop_duplicates(["gameId", "playId"])
        shared = [c for c in t.columns if c in out.columns and c not in ("gameId", "playId")]
        out = out.merge(t, on=["gameId", "playId"], how="outer", suffixes=("", "__new"))
        for c in shared:
            out[c] = out[c].combine_first(out.pop(f"{c}__new"))
    return out.reset_index(drop=True)


def _fill_from_players(tracking: pd.DataFrame, players: pd.DataFrame) -> pd.DataFrame:
    """Fill displayName / position missing in tracking (2023, 2024-2025) from the players table."""
    for col in ("displayName", "position"):
        if col not in players.columns:
            continue
        mapping = players.set_index("nflId")[col]
        looked_up = tracking["nflId"].map(mapping)
        if col in tracking.columns:
            tracking[col] = tracking[col].where(tracking[col].notna(), looked_up)
        else:
            tracking[col] = looked_up
    return tracking


def _home_away_to_club(tracking: pd.DataFrame, games: pd.DataFrame) -> pd.DataFrame:
    """2019 tracking names the team 'home'/'away'; the games table says which club that is."""
    if "club" not in tracking.columns or not {"homeTeamAbbr", "visitorTeamAbbr"} <= set(games.columns):
        return tracking
    side = tracking["club"].astype(str).str.lower()
    if not side.isin(["home", "away", "football"]).all():
        return tracking
    g = games.drop_duplicates("gameId").set_index("gameId")
    home = tracking["gameId"].map(g["homeTeamAbbr"])
    away = tracking["gameId"].map(g["visitorTeamAbbr"])
    club = np.where(side == "home", home, np.where(side == "away", away, tracking["club"]))
    tracking["club"] = pd.Series(club, index=tracking.index).fillna(tracking["club"])
    return tracking


def _sides_to_clubs(tracking: pd.DataFrame, plays: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """2026 with its supplementary table: 'offense'/'defense' become the real club abbreviations."""
    sup = plays[["gameId", "playId", "possessionTeam", "defensiveTeam"]].dropna()
    sup = sup[sup["possessionTeam"] != "offense"]
    if sup.empty:
        return tracking, plays
    m = tracking[["gameId", "playId"]].merge(sup, on=["gameId", "playId"], how="left")
    side = tracking["club"].to_numpy()
    club = np.where(side == "offense", m["possessionTeam"].to_numpy(),
                    np.where(side == "defense", m["defensiveTeam"].to_numpy(), side))
    tracking["club"] = pd.Series(club, index=tracking.index).fillna(tracking["club"])
    return tracking, plays


def _load_csv_tables(p: Path, files: list[Path], columns) -> tuple:
    """(tracking, plays, games, players, formats) of the CSV(.gz) tables of a folder or one file."""
    infos = []
    for f in files:
        infos.append((f, fm.classify_columns(fm.read_header(f), str(f))))
    wanted = None if columns is None else set(columns) | set(TRACKING_REQUIRED) | {"nflId"}

    tracking_parts, out_2026, in_2026, play_tables = [], [], [], []
    games = players = None
    formats = []
    for f, info in infos:
        if info.kind == fm.TRACKING:
            formats.append(info.format)
            tr, derived = _read_tracking_file(f, info, wanted)
            if info.format == "bdb2026-output":
                out_2026.append(tr)
            elif info.format == "bdb2026-input":
                in_2026.append(tr)
            else:
                tracking_parts.append(tr)
            play_tables.append(derived)
        elif info.kind == fm.PLAYS:
            play_tables.append(fm.canonicalize_plays(fm.read_csv_checked(f), str(f)))
        elif info.kind == fm.GAMES:
            games = fm.canonicalize_games(fm.read_csv_checked(f), str(f))
        elif info.kind == fm.PLAYERS:
            players = fm.canonicalize_players(fm.read_csv_checked(f), str(f))
    if out_2026 and not in_2026:
        raise DataFormatError(f"{p}: 2026 output files need their input_*.csv files (frames are numbered from the throw)")
    if in_2026:
        tr, plays_2026 = _combine_2026(pd.concat(in_2026, ignore_index=True),
                                       pd.concat(out_2026, ignore_index=True) if out_2026 else None)
        tracking_parts.append(tr)
        play_tables.append(plays_2026)
    if not tracking_parts:
        raise DataFormatError(f"{p}: no tracking file (looked at {len(files)} CSV files)")
    tracking = pd.concat(tracking_parts, ignore_index=True) if len(tracking_parts) > 1 else tracking_parts[0]

    # Plays: the plays table(s) first, then what the tracking itself says (events, 2020/2026 columns).
    plays = plays_with_pass_frames([t for t in play_tables if t is not None and "playDescription" in t.columns]
                                   + [t for t in play_tables if t is not None and "playDescription" not in t.columns],
                                   tracking)
    if plays is not None and games is not None:
        extra = [c for c in ("homeTeamAbbr", "visitorTeamAbbr", "season", "week")
                 if c in games.columns and c not in plays.columns]
        if extra:
            plays = plays.merge(games[["gameId"] + extra].drop_duplicates("gameId"), on="gameId", how="left")
    if games is not None:
        tracking = _home_away_to_club(tracking, games)
    if players is not None:
        tracking = _fill_from_players(tracking, players)
    if in_2026 and plays is not None:
        tracking, plays = _sides_to_clubs(tracking, plays)
    return tracking, plays, games, players, formats


def _load_json_tables(p: Path, files: list[Path], strict: bool, progress: bool) -> tuple:
    """(tracking or None, plays, games, players, rejected files, reader counts) of Sportradar play files."""
    try:
        tables = load_play_files(files, strict=strict, progress=progress)
    except sr.NoPlayFiles as exc:
        return None, None, None, None, exc.rejected_files, {}
    plays = plays_with_pass_frames([tables.plays], tables.tracking)
    return tables.tracking, plays, tables.games, tables.players, tables.rejected_files, tables.stats


def load_dataset(path: str | os.PathLike, columns=None, progress: bool = False) -> Dataset:
    """Load a data folder or a single tracking file of any supported format.

    A folder: every CSV(.gz) in it (and in its immediate subfolders) is classified by its columns:
    tracking files (all editions; 2026 input and output files are joined, output frames following
    the input ones), plays / games / players tables. Every ``*.json`` / ``*.json.gz`` under it, at
    any depth (a folder per game, several games under one root), is read as a Sportradar NGS play
    file; files that are not are listed in ``Dataset.rejected_files`` with the reason. Fields a
    format lacks are then derived (derive.py: direction, line of scrimmage, defending club, pass
    result, target) and counted in ``Dataset.derived``. ``columns``: canonical tracking columns to
    read from CSV files (None: all that the files have; JSON files are always read whole).
    """
    p = Path(path)
    json_files, csv_files = find_tracking_files(p)
    return load_files(p, json_files, csv_files, columns, progress)


def find_tracking_files(p: Path) -> tuple[list[Path], list[Path]]:
    """(JSON play files, CSV tables) of a file or folder; a single file is sorted by its content."""
    if not p.exists():
        raise FileNotFoundError(f"no such file or directory: {p}")
    if p.is_file():
        json_files, csv_files = ([p], []) if sr.looks_like_json(p) else ([], [p])
    else:
        json_files, csv_files = sr.list_play_files(p), list_table_files(p)
    if not json_files and not csv_files:
        raise DataFormatError(f"{p}: no tracking files (.csv, .csv.gz, .json, .json.gz)")
    return json_files, csv_files


def load_files(p: Path, json_files: list[Path], csv_files: list[Path], columns=None,
               progress: bool = False) -> Dataset:
    """:func:`load_dataset` on given files (``p``: the path they were found under, for messages)."""
    parts = []  # (tracking, plays, games, players) per kind of input
    formats, rejected, derived = [], [], {}
    if csv_files:
        *tables, fmts = _load_csv_tables(p, csv_files, columns)
        parts.append(tables)
        formats += fmts
    if json_files:
        *tables, rejected, stats = _load_json_tables(p, json_files, p.is_file(), progress)
        if tables[0] is not None:
            parts.append(tables)
            formats.append(sr.FORMAT_NAME)
            derived["reader"] = stats
        elif not csv_files:
            first = f"; first: {rejected[0]['reason']}" if rejected else ""
            raise DataFormatError(f"{p}: none of {len(json_files)} JSON files is Sportradar play tracking{first}")

    def joined(k: int):
        tables = [t[k] for t in parts if t[k] is not None]
        return None if not tables else tables[0] if len(tables) == 1 else pd.concat(tables, ignore_index=True)

    tracking, plays, report = derive.complete_plays(joined(0), joined(1))
    derived.update(report)
    return Dataset(tracking=tracking, plays=plays, source=str(p), format="+".join(dict.fromkeys(formats)),
                   games=joined(2), players=joined(3), rejected_files=rejected, derived=derived)

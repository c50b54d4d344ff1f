"""Every Big Data Bowl tracking format (2019-2026) and the shared NGS format, mapped to canonical names.

A file's format is decided by its columns, never by its name: each tracking format lists the
columns its edition ships (its signature) and the file goes to the signature it overlaps most
(Jaccard), provided the columns needed to build tracks are there. Play, game and player tables
are recognised by their key columns. docs/data-formats.md lists the verified sources.

Canonical tracking columns: gameId, playId, nflId (-1 = ball), displayName, jerseyNumber,
position, club, frameId, time, x, y, s, a, o, dir, event, playDirection.
"""

from __future__ import annotations

import gzip
import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .play import BALL_NFL_ID

CANONICAL_TRACKING_COLUMNS = (
    "gameId", "playId", "nflId", "displayName", "jerseyNumber", "position", "club", "frameId",
    "time", "x", "y", "s", "a", "o", "dir", "event", "playDirection",
)
TRACKING_REQUIRED = ("gameId", "playId", "frameId", "x", "y")  # canonical names
NUMERIC_TRACKING_COLUMNS = ("x", "y", "s", "a", "o", "dir")
BALL_CLUB_VALUES = ("football", "ball")

TRACKING, PLAYS, GAMES, PLAYERS, OTHER = "tracking", "plays", "games", "players", "other"


class DataFormatError(ValueError):
    """The input does not look like tracking data ghostedge understands (message says why)."""


@dataclass(frozen=True)
class TrackingFormat:
    """One edition's tracking file: the columns it ships and how they map to canonical names."""

    name: str
    description: str
    columns: tuple[str, ...]  # the edition's columns as shipped (its signature)
    rename: dict = field(default_factory=dict)  # source column -> canonical column
    synthesized: tuple[str, ...] = ()  # canonical columns the loader makes up (2020: frameId)

    def source_of(self, canonical: str) -> str:
        for src, dst in self.rename.items():
            if dst == canonical:
                return src
        return canonical

    def required_source_columns(self) -> tuple[str, ...]:
        return tuple(self.source_of(c) for c in TRACKING_REQUIRED if c not in self.synthesized)


_BDB_2021_2022 = ("time", "x", "y", "s", "a", "dis", "o", "dir", "event", "nflId", "displayName",
                  "jerseyNumber", "position", "frameId", "team", "gameId", "playId", "playDirection")
_SNAKE_2026 = {
    "game_id": "gameId", "play_id": "playId", "nfl_id": "nflId", "frame_id": "frameId",
    "play_direction": "playDirection", "player_name": "displayName",
    "player_position": "position",
}

TRACKING_FORMATS: tuple[TrackingFormat, ...] = (
    TrackingFormat(
        "ngs-shared", "shared NGS highlights (BDB column convention, no a/dis)",
        ("gameId", "playId", "nflId", "displayName", "jerseyNumber", "position", "club", "frameId",
         "time", "x", "y", "s", "o", "dir", "event", "playDirection"),
    ),
    TrackingFormat(
        "bdb2019", "Big Data Bowl 2019 tracking_gameId_*.csv (2017 season)",
        ("time", "x", "y", "s", "dis", "dir", "event", "nflId", "displayName", "jerseyNumber",
         "team", "frame.id", "gameId", "playId"),
        {"team": "club", "frame.id": "frameId"},
    ),
    TrackingFormat(
        "bdb2020", "Big Data Bowl 2020 train.csv (rushing, one frame per play at the handoff)",
        ("GameId", "PlayId", "Team", "X", "Y", "S", "A", "Dis", "Orientation", "Dir", "NflId",
         "DisplayName", "JerseyNumber", "Season", "YardLine", "Quarter", "GameClock",
         "PossessionTeam", "Down", "Distance", "FieldPosition", "HomeScoreBeforePlay",
         "VisitorScoreBeforePlay", "NflIdRusher", "OffenseFormation", "OffensePersonnel",
         "DefendersInTheBox", "DefensePersonnel", "PlayDirection", "TimeHandoff", "TimeSnap",
         "Yards", "PlayerHeight", "PlayerWeight", "PlayerBirthDate", "PlayerCollegeName",
         "Position", "HomeTeamAbbr", "VisitorTeamAbbr", "Week", "Stadium", "Location",
         "StadiumType", "Turf", "GameWeather", "Temperature", "Humidity", "WindSpeed",
         "WindDirection"),
        {"GameId": "gameId", "PlayId": "playId", "NflId": "nflId", "DisplayName": "displayName",
         "JerseyNumber": "jerseyNumber", "Position": "position", "Team": "club", "X": "x",
         "Y": "y", "S": "s", "A": "a", "Orientation": "o", "Dir": "dir",
         "PlayDirection": "playDirection", "TimeHandoff": "time"},
        synthesized=("frameId",),
    ),
    TrackingFormat(
        "bdb2021", "Big Data Bowl 2021 week*.csv (2018 passing plays, with route)",
        _BDB_2021_2022 + ("route",), {"team": "club"},
    ),
    TrackingFormat(
        "bdb2022", "Big Data Bowl 2022 tracking20*.csv (2018-2020 special teams)",
        _BDB_2021_2022, {"team": "club"},
    ),
    TrackingFormat(
        "bdb2023", "Big Data Bowl 2023 week*.csv (2021 pass plays, no displayName/position)",
        ("gameId", "playId", "nflId", "frameId", "time", "jerseyNumber", "team", "playDirection",
         "x", "y", "s", "a", "dis", "o", "dir", "event"),
        {"team": "club"},
    ),
    TrackingFormat(
        "bdb2024", "Big Data Bowl 2024 tracking_week_*.csv (2022 season, club)",
        ("gameId", "playId", "nflId", "displayName", "frameId", "time", "jerseyNumber", "club",
         "playDirection", "x", "y", "s", "a", "dis", "o", "dir", "event"),
    ),
    TrackingFormat(
        "bdb2025", "Big Data Bowl 2025 tracking_week_*.csv (2022 season, club + frameType)",
        ("gameId", "playId", "nflId", "displayName", "frameId", "frameType", "time",
         "jerseyNumber", "club", "playDirection", "x", "y", "s", "a", "dis", "o", "dir", "event"),
    ),
    TrackingFormat(
        "bdb2026-input", "Big Data Bowl 2026 prediction input_*.csv (before the throw)",
        ("game_id", "play_id", "player_to_predict", "nfl_id", "frame_id", "play_direction",
         "absolute_yardline_number", "player_name", "player_height", "player_weight",
         "player_birth_date", "player_position", "player_side", "player_role", "x", "y", "s",
         "a", "dir", "o", "num_frames_output", "ball_land_x", "ball_land_y"),
        _SNAKE_2026,
    ),
    TrackingFormat(
        "bdb2026-output", "Big Data Bowl 2026 prediction output_*.csv (after the throw; x, y only)",
        ("game_id", "play_id", "nfl_id", "frame_id", "x", "y"),
        _SNAKE_2026,
    ),
)
FORMATS_BY_NAME = {f.name: f for f in TRACKING_FORMATS}

# Columns of the 2026 input that describe the play, not the player; they go to the plays table.
_PLAY_LEVEL_2026 = ("absolute_yardline_number", "ball_land_x", "ball_land_y")
# Team abbreviations that the 2020 data spells differently in PossessionTeam and HomeTeamAbbr.
_ABBR_2020 = {"ARI": "ARZ", "BAL": "BLT", "CLE": "CLV", "HOU": "HST"}
# Play-table columns whose name changed between editions (2019 / 2020 / snake_case 2026).
_PLAY_ALIASES = {
    "GameClock": "gameClock", "PassResult": "passResult", "PassLength": "passLength",
    "HomeScoreBeforePlay": "preSnapHomeScore", "VisitorScoreBeforePlay": "preSnapVisitorScore",
}


@dataclass
class TableInfo:
    """What a CSV file is: its kind, its format (tracking only), its columns."""

    path: str
    kind: str  # tracking / plays / games / players / other
    format: str  # tracking format name, or e.g. "plays (camelCase)"
    columns: list[str]
    unused_columns: list[str]


# ---------------------------------------------------------------------------------------------
# Reading files: clear errors for empty, binary, truncated or non-CSV input.


def _open_text_head(path: Path, nbytes: int = 65536) -> bytes:
    with open(path, "rb") as fh:
        magic = fh.read(2)
    try:
        if magic == b"\x1f\x8b":
            with gzip.open(path, "rb") as fh:
                return fh.read(nbytes)
        with open(path, "rb") as fh:
            return fh.read(nbytes)
    except (EOFError, OSError, zlib.error) as exc:
        raise DataFormatError(f"{path}: truncated or corrupt gzip file ({exc})") from None


def read_header(path: str | os.PathLike) -> list[str]:
    """The column names of a CSV(.gz) file; DataFormatError when it is empty, binary or not CSV."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"no such file: {p}")
    head = _open_text_head(p)
    if not head.strip():
        raise DataFormatError(f"{p}: empty file")
    if b"\x00" in head:
        raise DataFormatError(f"{p}: binary content, not a CSV text file")
    try:
        first_line = head.decode("utf-8-sig").splitlines()[0]
    except UnicodeDecodeError:
        raise DataFormatError(f"{p}: not UTF-8 text, not a CSV file") from None
    if "," not in first_line:
        hint = " (tab-separated? only comma-separated files are read)" if "\t" in first_line else ""
        raise DataFormatError(f"{p}: first line has no comma, not a CSV header{hint}: {first_line[:80]!r}")
    return [c.strip() for c in pd.read_csv(p, nrows=0).columns]


def read_csv_checked(path: str | os.PathLike, usecols=None, dtype=None) -> pd.DataFrame:
    """pd.read_csv with every way a file can be broken turned into one DataFormatError."""
    try:
        df = pd.read_csv(path, usecols=usecols, dtype=dtype, low_memory=False)
    except pd.errors.EmptyDataError:
        raise DataFormatError(f"{path}: empty file") from None
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise DataFormatError(f"{path}: truncated or corrupt gzip file ({exc})") from None
    except UnicodeDecodeError:
        raise DataFormatError(f"{path}: not UTF-8 text, not a CSV file") from None
    except pd.errors.ParserError as exc:
        raise DataFormatError(f"{path}: malformed CSV ({str(exc).strip()})") from None
    if df.empty:
        raise DataFormatError(f"{path}: header only, no data rows")
    return df


# ---------------------------------------------------------------------------------------------
# Detection by columns.


def _jaccard(a: set, b: set) -> float:
    return len(a & b) / max(1, len(a | b))


def detect_tracking_format(columns) -> TrackingFormat:
    """The tracking format whose columns overlap ``columns`` most among those it can build tracks from.

    Raises DataFormatError naming the missing columns of the closest format when none fits.
    """
    cols = set(columns)
    ranked = sorted(TRACKING_FORMATS, key=lambda f: _jaccard(cols, set(f.columns)), reverse=True)
    for fmt in ranked:
        if all(c in cols for c in fmt.required_source_columns()):
            return fmt
    closest = ranked[0]
    missing = [c for c in closest.required_source_columns() if c not in cols]
    raise DataFormatError(
        f"missing required tracking columns {missing}; closest format: {closest.name} "
        f"({closest.description}); found columns {sorted(cols)[:30]}"
    )


def classify_columns(columns, path: str = "") -> TableInfo:
    """Which kind of Big Data Bowl table a header is (tracking / plays / games / players / other)."""
    cols = list(columns)
    s = set(cols)
    lower = {c.lower() for c in cols}
    has_xy = {"x", "y"} <= lower
    game_key = s & {"gameId", "GameId", "game_id"}
    play_key = s & {"playId", "PlayId", "play_id"}
    player_key = s & {"nflId", "NflId", "nfl_id"}
    if has_xy or ("frameId" in s or "frame.id" in s or "frame_id" in s):
        try:
            fmt = detect_tracking_format(cols)
        except DataFormatError as exc:
            raise DataFormatError(f"{path}: {exc}") from None
        used = set(fmt.rename) | set(CANONICAL_TRACKING_COLUMNS) | set(_PLAY_LEVEL_2026)
        if fmt.name == "bdb2026-input":
            used |= {"player_side", "player_role"}
        if fmt.name == "bdb2020":
            used |= {"PossessionTeam", "HomeTeamAbbr", "VisitorTeamAbbr", "Quarter", "GameClock",
                     "Down", "Distance", "HomeScoreBeforePlay", "VisitorScoreBeforePlay"}
        return TableInfo(path, TRACKING, fmt.name, cols, [c for c in cols if c not in used])
    if game_key and play_key and not player_key:
        style = "snake_case (BDB 2026 supplementary)" if "game_id" in s else "camelCase"
        return TableInfo(path, PLAYS, f"plays ({style})", cols, [])
    if game_key and not play_key and not player_key:
        return TableInfo(path, GAMES, "games", cols, [c for c in cols if c not in
                         {"gameId", "homeTeamAbbr", "visitorTeamAbbr", "season", "week"}])
    if player_key and not game_key:
        return TableInfo(path, PLAYERS, "players", cols, [c for c in cols if c not in
                         {"nflId", "displayName", "position", "Position", "PositionAbbr", "officialPosition",
                          "FirstName", "LastName"}])
    if game_key and play_key and player_key:
        return TableInfo(path, OTHER, "per-player-per-play table (e.g. PFF scouting, player_play)",
                         cols, cols)
    raise DataFormatError(
        f"{path}: not a Big Data Bowl table: no x/y/frame columns and no gameId/playId/nflId keys; "
        f"columns {cols[:20]}"
    )


# ---------------------------------------------------------------------------------------------
# Canonicalisation.


def _map_values(series: pd.Series, func) -> pd.Series:
    """``func`` applied to each distinct value only (string columns repeat a few values millions of times)."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    mapped = np.array([func(v) for v in uniques] + [np.nan], dtype=object)
    return pd.Series(mapped[codes], index=series.index)


def _to_numeric_checked(series: pd.Series, column: str, source: str) -> pd.Series:
    """Numeric column; DataFormatError with an example row when a value is not a number."""
    if pd.api.types.is_numeric_dtype(series):
        return series.astype("float64") if not pd.api.types.is_float_dtype(series) else series
    values = pd.to_numeric(series, errors="coerce")
    bad = values.isna() & series.notna() & (series.astype(str).str.strip() != "")
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataFormatError(
            f"{source}: column '{column}' is not numeric, e.g. data row {i + 1} (file line "
            f"{i + 2}): {series.iloc[i]!r}"
        )
    return values.astype("float64")


def _int_column(series: pd.Series, column: str, source: str, fill: int | None = None) -> pd.Series:
    values = _to_numeric_checked(series, column, source)
    if fill is not None:
        values = values.fillna(fill)
    elif values.isna().any():
        i = int(np.flatnonzero(values.isna().to_numpy())[0])
        raise DataFormatError(f"{source}: column '{column}' is empty at data row {i + 1} (file line {i + 2})")
    v = values.to_numpy()
    bad = ~np.isfinite(v) | (np.abs(v) > 2.0**53) | (v != np.round(v))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataFormatError(f"{source}: column '{column}' is not an integer id at data row {i + 1} "
                              f"(file line {i + 2}): {series.iloc[i]!r}")
    return values.astype("int64")


def source_columns_for(fmt: TrackingFormat, wanted: set[str] | None, available) -> list[str] | None:
    """The source columns to read from a file of ``fmt`` to get the canonical columns ``wanted``."""
    if wanted is None:
        return None
    extra = {
        "bdb2020": {"HomeTeamAbbr", "VisitorTeamAbbr"},
        "bdb2026-input": {"player_side"},
    }.get(fmt.name, set())
    want_src = {fmt.source_of(c) for c in wanted} | extra
    if "nflId" in wanted:  # the ball is recognised by club / displayName as well
        want_src |= {fmt.source_of("club"), fmt.source_of("displayName")}
    return [c for c in available if c in want_src]


def canonicalize_tracking(df: pd.DataFrame, source: str = "", fmt: TrackingFormat | None = None) -> pd.DataFrame:
    """Rename a tracking table of any supported format to canonical columns and types."""
    fmt = fmt or detect_tracking_format(df.columns)
    df = df.rename(columns={k: v for k, v in fmt.rename.items() if k in df.columns})
    df = df.loc[:, ~df.columns.duplicated()]
    if fmt.name == "bdb2020":
        df = _club_from_home_away_2020(df)
        df["frameId"] = 1  # one snapshot per play, at the handoff
        df["event"] = "handoff"
    missing = [c for c in TRACKING_REQUIRED if c not in df.columns]
    if missing:
        raise DataFormatError(f"{source}: missing tracking columns {missing} for format {fmt.name}")
    if fmt.name == "bdb2026-input" and "player_side" in df.columns:
        # No club in 2026; the side stands in for it (the plays table names the two sides).
        df["club"] = _map_values(df["player_side"], lambda v: str(v).lower())

    is_ball = pd.Series(False, index=df.index)
    if "nflId" in df.columns:
        nfl = _to_numeric_checked(df["nflId"], fmt.source_of("nflId"), source)
        is_ball |= nfl.isna()
    else:
        nfl = pd.Series(np.nan, index=df.index)
        is_ball[:] = True
    for col in ("club", "displayName"):
        if col in df.columns:
            is_ball |= _map_values(df[col], lambda v: str(v).lower() in BALL_CLUB_VALUES).fillna(False).astype(bool)
    df["nflId"] = nfl.where(~is_ball, BALL_NFL_ID).fillna(BALL_NFL_ID).astype("int64")
    if "club" in df.columns:
        df["club"] = df["club"].astype(object)  # an all-empty column is read as float
        df.loc[is_ball.to_numpy(), "club"] = "football"

    for col in ("gameId", "playId", "frameId"):
        df[col] = _int_column(df[col], fmt.source_of(col), source)
    for col in NUMERIC_TRACKING_COLUMNS:
        if col in df.columns:
            df[col] = _to_numeric_checked(df[col], fmt.source_of(col), source)
    if "playDirection" in df.columns:
        df["playDirection"] = _map_values(df["playDirection"], lambda v: str(v).strip().lower())
    keep = [c for c in CANONICAL_TRACKING_COLUMNS if c in df.columns]
    # 2026 input: the play-level columns ride along until the loader moves them to the plays table.
    keep += [c for c in _PLAY_LEVEL_2026 + ("player_role",) if c in df.columns]
    return df[keep]


def _club_from_home_away_2020(df: pd.DataFrame) -> pd.DataFrame:
    """2020: Team is 'home'/'away'; turn it into the club abbreviation used by PossessionTeam."""
    if not {"HomeTeamAbbr", "VisitorTeamAbbr"} <= set(df.columns):
        return df
    home = df["HomeTeamAbbr"].astype(str).replace(_ABBR_2020)
    away = df["VisitorTeamAbbr"].astype(str).replace(_ABBR_2020)
    df["club"] = np.where(_map_values(df["club"], lambda v: str(v).lower()) == "home", home, away)
    return df


def plays_from_2020(df: pd.DataFrame) -> pd.DataFrame:
    """The play-level columns that the 2020 train.csv repeats on every row, as a plays table."""
    cols = {"GameId": "gameId", "PlayId": "playId", "Quarter": "quarter", "GameClock": "gameClock",
            "Down": "down", "Distance": "yardsToGo", "PossessionTeam": "possessionTeam",
            "HomeScoreBeforePlay": "preSnapHomeScore", "VisitorScoreBeforePlay": "preSnapVisitorScore",
            "HomeTeamAbbr": "homeTeamAbbr", "VisitorTeamAbbr": "visitorTeamAbbr"}
    plays = df[[c for c in cols if c in df.columns]].drop_duplicates(["GameId", "PlayId"]).rename(columns=cols)
    if {"possessionTeam", "homeTeamAbbr", "visitorTeamAbbr"} <= set(plays.columns):
        home = plays["homeTeamAbbr"].replace(_ABBR_2020)
        away = plays["visitorTeamAbbr"].replace(_ABBR_2020)
        plays["homeTeamAbbr"], plays["visitorTeamAbbr"] = home, away
        plays["defensiveTeam"] = np.where(plays["possessionTeam"] == home, away, home)
    return plays.reset_index(drop=True)


def snake_to_camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(w[:1].upper() + w[1:] for w in rest)


def canonicalize_plays(df: pd.DataFrame, source: str = "") -> pd.DataFrame:
    """A plays table of any edition (camelCase, 2019 mixed case, 2026 snake_case) to camelCase."""
    if "game_id" in df.columns:
        df = df.rename(columns={c: snake_to_camel(c) for c in df.columns if "_" in c})
    df = df.rename(columns={k: v for k, v in _PLAY_ALIASES.items() if k in df.columns and v not in df.columns})
    missing = [c for c in ("gameId", "playId") if c not in df.columns]
    if missing:
        raise DataFormatError(f"{source}: missing play columns {missing}")
    df["gameId"] = _int_column(df["gameId"], "gameId", source)
    df["playId"] = _int_column(df["playId"], "playId", source)
    return df


def canonicalize_games(df: pd.DataFrame, source: str = "") -> pd.DataFrame:
    if "game_id" in df.columns:
        df = df.rename(columns={c: snake_to_camel(c) for c in df.columns if "_" in c})
    df["gameId"] = _int_column(df["gameId"], "gameId", source)
    return df


def canonicalize_players(df: pd.DataFrame, source: str = "") -> pd.DataFrame:
    """nflId, displayName, position from any edition's players table (2019: First/LastName, PositionAbbr)."""
    out = pd.DataFrame({"nflId": _int_column(df["nflId"], "nflId", source)})
    for col in ("position", "Position", "PositionAbbr", "officialPosition"):
        if col in df.columns:
            out["position"] = df[col].astype(str)
            break
    if "displayName" in df.columns:
        out["displayName"] = df["displayName"].astype(str)
    elif {"FirstName", "LastName"} <= set(df.columns):
        out["displayName"] = df["FirstName"].astype(str) + " " + df["LastName"].astype(str)
    return out.drop_duplicates("nflId")


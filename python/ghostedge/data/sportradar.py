"""The Sportradar NGS play-tracking JSON: one file per play (``*.json`` / ``*.json.gz``) to the
canonical tracking and plays tables.

Recognised by content, never by name: a JSON object ``{"play_tracking": {"game", "play", "home",
"away", "ball"}}``. What the format has and what is made of it (docs/data-formats.md):

- ids: ``srus_id`` UUIDs. Games and players get a stable integer id derived from the UUID
  (:func:`stable_id`: a hash into 10**8 .. 2**31 - 1, the range the tag registry and the OSC
  output can carry); two UUIDs of one load on the same id are an error. The UUIDs are kept (``gameSourceId``, ``playSourceId``, tracking column
  ``playerSourceId`` -> ``Play.player_source_ids``). A player entry without ``srus_id`` gets an
  id from (game, club, first name, last name, position), counted. ``playId`` is the play's
  ``reference`` (the league's play number, unique within a game).
- time: UTC at 0.1 s steps. ``frameId`` = 1 + tenths of a second since the play's first sample
  (players and ball together), so gaps stay gaps (missing frames) and the ball, which the
  files list newest first, lands on the same frames as the players. A sample repeated at the
  same time is dropped (counted; the repeats in the published files are identical).
- events: the ``type`` of player samples, one per frame (the files tag every player's sample
  at that time alike; a disagreement is counted and the pass event kept).
- ``spd``, ``dir`` -> ``s``, ``dir`` (provider-smoothed: evaluation only). No ``o`` (orientation),
  no acceleration, no jersey numbers: those columns are absent, so ``Play.o`` is NaN and
  ``Play.jersey`` is empty. The ball has x, y, time only.
- play: possession (club alias), down, ytg, yardline / yardline_side, quarter, game_clock,
  play_type, description, is_noplay, is_penalty; the defending club is the other team of the
  file. Direction, line of scrimmage as x, pass frames, pass result and target are derived by
  :mod:`ghostedge.data.derive` / :mod:`ghostedge.data.targets`, as for every format lacking them.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import warnings
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import orjson

from .formats import DataFormatError
from .play import BALL_NFL_ID

FORMAT_NAME = "sportradar-json"
FORMAT_DESCRIPTION = "Sportradar NGS play-tracking JSON, one file per play (play_tracking: game, play, home, away, ball)"
JSON_SUFFIXES = (".json", ".json.gz")
FRAME_MS = 100
# Stable ids live where the rest of ghostedge can carry them: tag ids are 2 * nflId + 1 in 32
# bits and the OSC output sends nflIds as int32, so ids stay below 2**31; and at or above 10**8,
# above every real nflId (at most 7 digits), so a mixed load never confuses the two.
STABLE_ID_MIN = 100_000_000
STABLE_ID_MAX = 2**31 - 1
MAX_PLAY_FRAMES = 36_000  # as the CSV loader: one hour at 10 Hz
MAX_JSON_BYTES = 256 * 1024 * 1024  # a play file is under 2 MB; refuse anything absurd (gzip bombs)
PASS_EVENTS_FIRST = ("pass_forward", "pass_shovel", "pass_arrived", "pass_outcome_caught",
                     "pass_outcome_incomplete", "pass_outcome_interception", "pass_outcome_touchdown")
TEAM_SIDES = ("home", "away")


class PlayFileError(DataFormatError):
    """A play file that cannot be read as Sportradar play tracking (the message names the file)."""


class NoPlayFiles(DataFormatError):
    """None of the files given is a readable play file; ``rejected_files`` says why for each."""

    def __init__(self, message: str, rejected_files: list[dict]):
        super().__init__(message)
        self.rejected_files = rejected_files


def stable_id(kind: str, text: str) -> int:
    """A deterministic integer id in [STABLE_ID_MIN, STABLE_ID_MAX] for a provider id string."""
    digest = hashlib.blake2b(f"ghostedge:{kind}:{text}".encode(), digest_size=8).digest()
    return STABLE_ID_MIN + int.from_bytes(digest, "big") % (STABLE_ID_MAX - STABLE_ID_MIN + 1)


def list_play_files(folder: Path) -> list[Path]:
    """``*.json`` / ``*.json.gz`` files under ``folder`` at any depth (hidden files and folders skipped)."""
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            if not name.startswith(".") and name.lower().endswith(JSON_SUFFIXES):
                found.append(Path(root) / name)
    return sorted(found)


def looks_like_json(path: Path) -> bool:
    """True for a ``.json`` / ``.json.gz`` name, or when a file's first non-blank byte (after
    gunzip) opens a JSON object or array (so that a play file under another name is read too)."""
    if path.name.lower().endswith(JSON_SUFFIXES):
        return True
    try:
        with open(path, "rb") as fh:
            head = fh.read(2)
        opener = gzip.open if head == b"\x1f\x8b" else open
        with opener(path, "rb") as fh:
            start = fh.read(512).lstrip()
    except (OSError, EOFError, zlib.error):
        return False
    return start[:1] in (b"{", b"[")


def read_json(path: Path):
    """The parsed content of a (gzipped) JSON file; PlayFileError when empty, truncated or not JSON."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PlayFileError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(raw)) as fh:
                raw = fh.read(MAX_JSON_BYTES + 1)
        except (EOFError, OSError, zlib.error) as exc:
            raise PlayFileError(f"{path}: truncated or corrupt gzip file ({exc})") from None
        if len(raw) > MAX_JSON_BYTES:
            raise PlayFileError(f"{path}: more than {MAX_JSON_BYTES >> 20} MiB of JSON, not a play file")
    if not raw.strip():
        raise PlayFileError(f"{path}: empty file")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise PlayFileError(f"{path}: not valid JSON ({exc})") from None


def is_play_tracking(doc) -> bool:
    pt = doc.get("play_tracking") if isinstance(doc, dict) else None
    return isinstance(pt, dict) and {"game", "play", "home", "away", "ball"} <= set(pt)


# ---------------------------------------------------------------------------------------------
# One file.


def _need(obj, key: str, kind, where: str, path: Path):
    """obj[key], checked to be of ``kind``; PlayFileError naming the file and the key path otherwise."""
    name = f"{where}.{key}" if where else key
    if not isinstance(obj, dict) or key not in obj:
        raise PlayFileError(f"{path}: no '{name}' (not Sportradar play tracking of the expected shape)")
    value = obj[key]
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise PlayFileError(f"{path}: '{name}' is {type(value).__name__}, expected {names}")
    return value


def _opt(obj: dict, key: str, kind):
    """obj[key] when it has type ``kind`` (booleans are not numbers here), else None."""
    value = obj.get(key)
    if kind is bool:
        return value if isinstance(value, bool) else None
    return value if isinstance(value, kind) and not isinstance(value, bool) else None


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def _numbers(values: list, what: str, path: Path) -> np.ndarray:
    try:
        return np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        bad = next((v for v in values if v is not None and not isinstance(v, (int, float))), None)
        raise PlayFileError(f"{path}: {what} is not a number: {bad!r}"[:300]) from None


def _times_ms(times: list, where: str, path: Path) -> np.ndarray:
    """UTC sample times ('YYYY-MM-DDTHH:MM:SS.fff', optional Z) to int64 milliseconds."""
    if set(map(type, times)) - {str}:  # (map/set: per-sample checks in C, not a Python loop)
        bad = next(t for t in times if not isinstance(t, str))
        raise PlayFileError(f"{path}: {where} time is not a string: {bad!r}"[:300])
    if times and times[0].endswith("Z"):
        times = [t.removesuffix("Z") for t in times]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # numpy warns (deprecated) on zone offsets: refuse them
            parsed = np.array(times, dtype="datetime64[ms]")
    except (ValueError, DeprecationWarning, UserWarning):
        bad = next((t for t in times if not _parses(t)), times[0] if times else "")
        raise PlayFileError(f"{path}: {where} time {bad!r} is not a UTC timestamp like "
                            f"2018-09-16T17:59:29.500"[:300]) from None
    return parsed.astype(np.int64)


def _parses(text: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            np.datetime64(text, "ms")
        return True
    except (ValueError, DeprecationWarning, UserWarning):
        return False


@dataclass
class _Entity:
    nfl_id: int
    source_id: str  # '' when the file has none
    first_name: str
    last_name: str
    position: str
    position_group: str
    club: str
    id_derived: bool = False


@dataclass
class ParsedPlay:
    """One play file mapped to canonical per-row arrays plus its play and game rows."""

    path: Path
    game: dict
    play: dict
    entities: list[_Entity]  # players, then the ball (nfl_id BALL_NFL_ID)
    entity_rows: np.ndarray  # [R] index into entities
    frame: np.ndarray  # [R] int64
    time_ms: np.ndarray  # [R] int64
    x: np.ndarray
    y: np.ndarray
    s: np.ndarray
    dir: np.ndarray
    events: np.ndarray  # [n_frames + 1] object, '' where none (index = frameId)
    stats: Counter = field(default_factory=Counter)


def _samples(track: list, where: str, path: Path, ball: bool):
    """Columns of a tracking list: times, x, y, spd, dir, type."""
    if set(map(type, track)) - {dict}:
        raise PlayFileError(f"{path}: {where} holds a sample that is not an object")
    try:
        times = [s["time"] for s in track]
        xs = [s["x"] for s in track]
        ys = [s["y"] for s in track]
    except KeyError as exc:
        raise PlayFileError(f"{path}: a {where} sample has no {exc.args[0]!r}") from None
    if ball:
        return times, xs, ys, None, None, None
    return (times, xs, ys, [s.get("spd") for s in track], [s.get("dir") for s in track],
            [s.get("type") for s in track])


def parse_play(doc, path: Path) -> ParsedPlay:
    """Map one parsed play file to canonical arrays; PlayFileError naming the file when it does not fit."""
    pt = _need(doc, "play_tracking", dict, "", path) if isinstance(doc, dict) else None
    if pt is None:
        raise PlayFileError(f"{path}: JSON {type(doc).__name__}, not a Sportradar play-tracking object")
    game = _need(pt, "game", dict, "play_tracking", path)
    play = _need(pt, "play", dict, "play_tracking", path)
    ball = _need(pt, "ball", dict, "play_tracking", path)
    game_uuid = _text(_need(game, "srus_id", str, "play_tracking.game", path))
    if not game_uuid:
        raise PlayFileError(f"{path}: empty 'play_tracking.game.srus_id'")
    stats: Counter = Counter()

    play_number = play.get("reference", play.get("sequence"))
    if isinstance(play_number, float) and play_number.is_integer():
        play_number = int(play_number)
    if not isinstance(play_number, int) or isinstance(play_number, bool) or not 0 < play_number < 2**31:
        raise PlayFileError(f"{path}: 'play_tracking.play.reference' is {play_number!r}, not a play number")

    teams = {}
    for side in TEAM_SIDES:
        team = _need(pt, side, dict, "play_tracking", path)
        alias = _text(_need(team, "alias", str, f"play_tracking.{side}", path))
        if not alias:
            raise PlayFileError(f"{path}: empty 'play_tracking.{side}.alias'")
        teams[side] = (team, alias)
    if teams["home"][1] == teams["away"][1]:
        raise PlayFileError(f"{path}: home and away are the same club {teams['home'][1]!r}")

    entities: list[_Entity] = []
    columns: list[tuple] = []
    for side in TEAM_SIDES:
        team, alias = teams[side]
        players = _need(team, "players", list, f"play_tracking.{side}", path)
        for k, p in enumerate(players):
            where = f"play_tracking.{side}.players[{k}]"
            if not isinstance(p, dict):
                raise PlayFileError(f"{path}: {where} is not an object")
            track = _need(p, "tracking", list, where, path)
            first, last = _text(p.get("first_name")), _text(p.get("last_name"))
            position = _text(p.get("position"))
            uuid = _text(p.get("srus_id")).lower()
            if uuid:
                nfl_id, derived = stable_id("player", uuid), False
            else:
                nfl_id, derived = stable_id("player-without-srus_id", f"{game_uuid}|{alias}|{first}|{last}|{position}"), True
                stats["player_entries_without_srus_id"] += 1
            entities.append(_Entity(nfl_id, uuid, first, last, position, _text(p.get("position_group")), alias, derived))
            columns.append(_samples(track, f"{where}.tracking", path, ball=False))
    entities.append(_Entity(BALL_NFL_ID, "", "", "", "", "", "football"))
    columns.append(_samples(_need(ball, "tracking", list, "play_tracking.ball", path), "play_tracking.ball.tracking",
                            path, ball=True))
    ids = [e.nfl_id for e in entities]
    if len(set(ids)) != len(ids):
        dup = Counter(ids).most_common(1)[0][0]
        stats["repeated_player_entries"] += len(ids) - len(set(ids))
        names = [f"{e.first_name} {e.last_name}" for e in entities if e.nfl_id == dup]
        raise PlayFileError(f"{path}: player listed twice ({', '.join(names)}; id {dup})")

    # Times -> frames. One origin for the whole play, players and ball alike.
    times = [_times_ms(c[0], "sample", path) for c in columns]
    nonempty = [t for t in times if t.size]
    if not nonempty:
        raise PlayFileError(f"{path}: no tracking samples")
    t0 = min(int(t.min()) for t in nonempty)
    t_end = max(int(t.max()) for t in nonempty)
    if (t_end - t0) // FRAME_MS >= MAX_PLAY_FRAMES:
        raise PlayFileError(f"{path}: samples span {(t_end - t0) / 1000:.0f} s, more than "
                            f"{MAX_PLAY_FRAMES} frames: not one play")

    parts = {k: [] for k in ("ent", "frame", "time", "x", "y", "s", "dir")}
    event_at: dict[int, str] = {}
    for e, (cols, t) in enumerate(zip(columns, times)):
        if t.size == 0:
            continue
        rel = t - t0
        stats["samples_off_the_0.1s_grid"] += int(np.count_nonzero(rel % FRAME_MS))
        frame = (rel + FRAME_MS // 2) // FRAME_MS + 1
        x = _numbers(cols[1], "x", path)
        y = _numbers(cols[2], "y", path)
        s = _numbers(cols[3], "spd", path) if cols[3] is not None else np.full(t.size, np.nan)
        d = _numbers(cols[4], "dir", path) if cols[4] is not None else np.full(t.size, np.nan)
        uniq, first_idx, inverse = np.unique(frame, return_index=True, return_inverse=True)
        if uniq.size != frame.size:
            stats["repeated_samples_dropped"] += int(frame.size - uniq.size)
            same = (np.isclose(x, x[first_idx][inverse], equal_nan=True)
                    & np.isclose(y, y[first_idx][inverse], equal_nan=True))
            stats["repeated_samples_with_other_positions"] += int(np.count_nonzero(~same))
        if cols[5] is not None:
            for i in (i for i, v in enumerate(cols[5]) if v):
                if not isinstance(cols[5][i], str):
                    raise PlayFileError(f"{path}: sample type is {cols[5][i]!r}, not an event name"[:300])
                f = int(frame[i])
                old = event_at.get(f)
                if old is None:
                    event_at[f] = cols[5][i]
                elif old != cols[5][i]:
                    stats["frames_with_conflicting_events"] += 1
                    if cols[5][i] in PASS_EVENTS_FIRST and old not in PASS_EVENTS_FIRST:
                        event_at[f] = cols[5][i]
        parts["ent"].append(np.full(uniq.size, e, dtype=np.int32))
        parts["frame"].append(uniq.astype(np.int64))
        parts["time"].append(t[first_idx])
        for k, v in (("x", x), ("y", y), ("s", s), ("dir", d)):
            parts[k].append(v[first_idx])
    n_frames = int(max(int(f[-1]) for f in parts["frame"]))
    events = np.full(n_frames + 1, "", dtype=object)
    for f, name in event_at.items():
        events[f] = name
    stats["samples"] = int(sum(f.size for f in parts["frame"]))

    possession = _text(play.get("possession"))
    home, away = teams["home"][1], teams["away"][1]
    defending = {home: away, away: home}.get(possession)
    if possession and defending is None:
        stats["possession_not_a_team_of_the_file"] += 1

    def team_field(key: str, offence: bool):
        if not possession or defending is None:
            return None
        side = "home" if (home == possession) == offence else "away"
        value = teams[side][0].get(key)
        return value if isinstance(value, (str, int, float)) and not isinstance(value, bool) else None

    play_row = {
        "gameId": stable_id("game", game_uuid.lower()),
        "playId": play_number,
        "possessionTeam": possession or None,
        "defensiveTeam": defending,
        "quarter": _opt(play, "quarter", int),
        "down": _opt(play, "down", int),
        "yardsToGo": _opt(play, "ytg", int),
        "yardlineSide": _text(play.get("yardline_side")) or None,
        "yardlineNumber": _opt(play, "yardline", (int, float)),
        "gameClock": _text(play.get("game_clock")) or None,
        "playType": _text(play.get("play_type")) or None,
        "playDescription": _text(play.get("description")) or None,
        "isNoPlay": _opt(play, "is_noplay", bool),
        "isPenalty": _opt(play, "is_penalty", bool),
        "isSpecialTeams": _opt(play, "is_special_teams", bool),
        "homeTeamAbbr": home,
        "visitorTeamAbbr": away,
        "season": _opt(game, "year", int),
        "week": _opt(game, "week", int),
        "seasonType": _text(game.get("type")) or None,
        "offenseFormation": team_field("formation", True),
        "personnelO": team_field("personnel", True),
        "personnelD": team_field("personnel", False),
        "gameSourceId": game_uuid.lower(),
        "playSourceId": _text(play.get("srus_id")).lower() or None,
        "sourceFile": str(path),
    }
    game_row = {
        "gameId": play_row["gameId"], "gameSourceId": play_row["gameSourceId"],
        "homeTeamAbbr": home, "visitorTeamAbbr": away,
        "homeTeamName": _text(teams["home"][0].get("name")) or None,
        "visitorTeamName": _text(teams["away"][0].get("name")) or None,
        "season": play_row["season"], "week": play_row["week"], "seasonType": play_row["seasonType"],
        "scheduled": _text(game.get("scheduled")) or None,
    }
    return ParsedPlay(
        path=path, game=game_row, play=play_row, entities=entities,
        entity_rows=np.concatenate(parts["ent"]), frame=np.concatenate(parts["frame"]),
        time_ms=np.concatenate(parts["time"]), x=np.concatenate(parts["x"]), y=np.concatenate(parts["y"]),
        s=np.concatenate(parts["s"]), dir=np.concatenate(parts["dir"]), events=events, stats=stats,
    )


def read_play_file(path: str | os.PathLike) -> ParsedPlay:
    """Read and map one play file; PlayFileError (a DataFormatError) naming the file when it does not fit."""
    p = Path(path)
    doc = read_json(p)
    try:
        return parse_play(doc, p)
    except PlayFileError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, AttributeError) as exc:
        # Hostile content of the right overall shape: still one clear error naming the file.
        raise PlayFileError(f"{p}: unexpected content ({type(exc).__name__}: {exc})"[:400]) from None

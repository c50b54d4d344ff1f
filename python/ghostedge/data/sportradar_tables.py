"""Many Sportradar play files -> canonical tables (tracking, plays, games, players), the files
refused and why, and counts. One file is read by :mod:`ghostedge.data.sportradar`."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .formats import DataFormatError
from .play import BALL_NFL_ID
from .sportradar import NoPlayFiles, ParsedPlay, PlayFileError, read_play_file


@dataclass
class SportradarTables:
    """What a set of play files makes: canonical tables, the files refused and why, counts."""

    tracking: pd.DataFrame
    plays: pd.DataFrame
    games: pd.DataFrame
    players: pd.DataFrame
    rejected_files: list[dict]
    stats: dict


def _categorical(entity_values: list, rows: np.ndarray) -> pd.Categorical:
    codes, uniques = pd.factorize(pd.Series(entity_values, dtype=object), use_na_sentinel=True)
    return pd.Categorical.from_codes(codes[rows], categories=pd.Index(uniques, dtype=object))


def load_play_files(paths: list[Path], strict: bool = False, progress: bool = False) -> SportradarTables:
    """Read play files into canonical tables.

    ``strict``: raise on the first unreadable file (a single file given by the user); otherwise
    refuse it with its reason in ``rejected_files`` and go on.
    """
    from tqdm import tqdm

    parsed: list[ParsedPlay] = []
    rejected: list[dict] = []
    seen_plays: dict[tuple[int, int], tuple[str | None, Path]] = {}
    games: dict[int, dict] = {}
    id_owner: dict[int, str] = {}
    stats: Counter = Counter()

    def refuse(path: Path, reason: str) -> None:
        if strict:
            raise PlayFileError(reason)
        rejected.append({"path": str(path), "reason": reason})

    bar = tqdm(paths, desc="load", unit="file", disable=not progress)
    for path in bar:
        try:
            pp = read_play_file(path)
        except DataFormatError as exc:
            refuse(path, str(exc))
            continue
        g, pl = pp.play["gameId"], pp.play["playId"]
        previous = seen_plays.get((g, pl))
        if previous is not None:
            same = previous[0] is not None and previous[0] == pp.play["playSourceId"]
            refuse(path, f"{path}: " + (f"the same play as {previous[1]} (play srus_id {previous[0]})" if same else
                                         f"playId {pl} of game {pp.play['gameSourceId']} is already {previous[1]}"))
            continue
        known = games.get(g)
        if known is not None and (known["homeTeamAbbr"], known["visitorTeamAbbr"]) != (
                pp.game["homeTeamAbbr"], pp.game["visitorTeamAbbr"]):
            refuse(path, f"{path}: game {pp.game['gameSourceId']} is {known['visitorTeamAbbr']}@"
                         f"{known['homeTeamAbbr']} in other files, {pp.game['visitorTeamAbbr']}@"
                         f"{pp.game['homeTeamAbbr']} here")
            continue
        game_key = f"game {pp.game['gameSourceId']}"
        if id_owner.setdefault(g, game_key) != game_key:
            raise DataFormatError(f"stable id collision: {game_key} and {id_owner[g]} both map to {g}")
        for e in pp.entities:
            if e.nfl_id == BALL_NFL_ID:
                continue
            key = (f"player {e.source_id}" if e.source_id else
                   f"player without srus_id {pp.play['gameSourceId']}|{e.club}|{e.first_name}|{e.last_name}|{e.position}")
            if id_owner.setdefault(e.nfl_id, key) != key:
                raise DataFormatError(f"stable id collision: {key} and {id_owner[e.nfl_id]} both map to "
                                      f"{e.nfl_id}; the load cannot keep players apart")
        seen_plays[(g, pl)] = (pp.play["playSourceId"], path)
        games.setdefault(g, {**pp.game, "plays": 0})["plays"] += 1
        stats.update(pp.stats)
        parsed.append(pp)
    if not parsed:
        raise NoPlayFiles(f"no readable play file among {len(paths)}" +
                          (f"; first refusal: {rejected[0]['reason']}" if rejected else ""), rejected)

    # Concatenate: per-row arrays, entity-level text as categoricals.
    entities = [e for pp in parsed for e in pp.entities]
    offsets = np.cumsum([0] + [len(pp.entities) for pp in parsed])
    rows = np.concatenate([pp.entity_rows + off for pp, off in zip(parsed, offsets[:-1])])
    n_rows = np.array([pp.frame.size for pp in parsed])
    frame = np.concatenate([pp.frame for pp in parsed])
    events = np.concatenate([pp.events[pp.frame] for pp in parsed])
    event_codes, event_names = pd.factorize(pd.Series(np.where(events == "", None, events), dtype=object),
                                            use_na_sentinel=True)
    tracking = pd.DataFrame({
        "gameId": np.repeat([pp.play["gameId"] for pp in parsed], n_rows).astype(np.int64),
        "playId": np.repeat([pp.play["playId"] for pp in parsed], n_rows).astype(np.int64),
        "nflId": np.array([e.nfl_id for e in entities], dtype=np.int64)[rows],
        "displayName": _categorical([("football" if e.nfl_id == BALL_NFL_ID else
                                      f"{e.first_name} {e.last_name}".strip() or None) for e in entities], rows),
        "position": _categorical([e.position or None for e in entities], rows),
        "club": _categorical([e.club for e in entities], rows),
        "frameId": frame,
        "time": np.concatenate([pp.time_ms for pp in parsed]).astype("datetime64[ms]"),
        "x": np.concatenate([pp.x for pp in parsed]),
        "y": np.concatenate([pp.y for pp in parsed]),
        "s": np.concatenate([pp.s for pp in parsed]),
        "dir": np.concatenate([pp.dir for pp in parsed]),
        "event": pd.Categorical.from_codes(event_codes, categories=pd.Index(event_names, dtype=object)),
        "playerSourceId": _categorical([e.source_id or None for e in entities], rows),
    })
    plays = pd.DataFrame([pp.play for pp in parsed])
    players = pd.DataFrame([
        {"nflId": e.nfl_id, "playerSourceId": e.source_id or None, "displayName": f"{e.first_name} {e.last_name}".strip(),
         "firstName": e.first_name, "lastName": e.last_name, "position": e.position,
         "positionGroup": e.position_group, "club": e.club, "idDerived": e.id_derived}
        for e in entities if e.nfl_id != BALL_NFL_ID
    ]).drop_duplicates("nflId").reset_index(drop=True)
    stats["files"] = len(paths)
    stats["plays"] = len(parsed)
    stats["rejected_files"] = len(rejected)
    stats["players_without_srus_id"] = int(players["idDerived"].sum())
    return SportradarTables(tracking=tracking, plays=plays, games=pd.DataFrame(list(games.values())),
                            players=players, rejected_files=rejected, stats=dict(sorted(stats.items())))

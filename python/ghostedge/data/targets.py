"""The targeted receiver (and the pass result) where a format has no target column.

Formats without a target column (the Sportradar NGS JSON, Big Data Bowl 2019 and 2021-2024) get
the target from, in this order:

1. ``description``: the receiver named in the play-by-play text ('... pass short left to
   N.Agholor ...', '... intended for T.Hilton INTERCEPTED ...'), matched to the offence's players
   on the field by last name, then by the initial(s) of the first name. Suffixes (Jr., II, III)
   and multi-word last names (St. Brown, Van Noy) are handled; a first name that does not fit the
   initial (a nickname: 'Bud' for Alvin) is accepted when the last name is unique on the offence.
   After a reversed review ('... and the play was REVERSED. ...') only the final ruling is read.
2. ``ball``: the offence's eligible receiver (WR, TE, RB, FB, HB) nearest the tracked ball at the
   pass-arrived frame, if within :data:`BALL_TARGET_MAX_YD`.
3. ``none``: neither; the play keeps no target.

A format that ships a target keeps it (``targetSource`` = its own column, or ``column``).
Only plays with a forward pass in the tracking (a pass frame) get a target. Every play's way is
recorded in the plays table (``targetSource``) and counted in ``ghostedge inspect``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .play import BALL_NFL_ID, ELIGIBLE_RECEIVER_POSITIONS

BALL_TARGET_MAX_YD = 3.0
SOURCE_COLUMN, SOURCE_DESCRIPTION, SOURCE_BALL, SOURCE_NONE = "column", "description", "ball", "none"
TARGET_SOURCES = (SOURCE_COLUMN, SOURCE_DESCRIPTION, SOURCE_BALL, SOURCE_NONE)

_SUFFIXES = {"jr", "sr", "ii", "iii", "iv", "v"}
# An abbreviated play-by-play name: first-name initial(s) with dots ('N.', 'Ty.', 'Jos.', 'A.J.'),
# then the last name, which may be two words (St. Brown, Van Noy, Vander Esch) and carry a suffix.
# An optional jersey prefix ('10-E.Sanders') is skipped.
_NAME = (
    r"(?:\d{1,2}-)?"
    r"(?P<name>(?:[A-Z][A-Za-z']{0,3}\.){1,2}\s?"
    r"(?:(?:St\.|Van|Vander|Von|Du|De|Da|La|Le|El)\s?)?[A-Z][A-Za-z'\-]*"
    r"(?:\s(?:Jr\.?|Sr\.?|II|III|IV|V)(?![A-Za-z]))?)"
)
_RECEIVER = re.compile(
    r"\bpass(?:\s+(?:incomplete|complete))?(?:\s+(?:short|deep))?(?:\s+(?:left|middle|right))?"
    r"\s+(?:to|intended\s+for)\s+" + _NAME
)
_REVERSED = re.compile(r"\bREVERSED\.\s*")
_PASS_CLAUSE = re.compile(r"\bpass\b(?:\s+(?:incomplete|complete))?(?:\s+(?:short|deep))?"
                          r"(?:\s+(?:left|middle|right))?(?:\s+(?:to|intended\s+for)\b|\s*\.|\s+for\b|\s+is\b)")
_INCOMPLETE = re.compile(r"\bpass\s+incomplete\b|\bis\s+incomplete\b")
_INTERCEPTED = re.compile(r"\b(?:INTERCEPTED|intercepted)\b")
_SACKED = re.compile(r"\bsacked\b")
_SCRAMBLES = re.compile(r"\bscrambles\b")


def final_ruling(description) -> str:
    """The part of a description that stands: after the last 'REVERSED.' of a review, else all."""
    text = "" if description is None or (isinstance(description, float) and np.isnan(description)) else str(description)
    parts = _REVERSED.split(text)
    return parts[-1]


def named_receiver(description) -> str | None:
    """The receiver a description names for the pass ('N.Agholor'), from its final ruling; None if none."""
    m = _RECEIVER.search(final_ruling(description))
    return m.group("name") if m else None


def pass_result_from_description(description) -> str | None:
    """C / I / IN (intercepted) / S (sacked) / R (scramble) from a description's final ruling; None if it says none.

    A spike ('spiked the ball') and a play without a pass clause give None.
    """
    text = final_ruling(description)
    if _INTERCEPTED.search(text) and _PASS_CLAUSE.search(text):
        return "IN"
    if _INCOMPLETE.search(text):
        return "I"
    if _SACKED.search(text):
        return "S"
    if _PASS_CLAUSE.search(text):
        return "C"
    if _SCRAMBLES.search(text):
        return "R"
    return None


def _letters(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


def _drop_suffix(words: list[str]) -> list[str]:
    while len(words) > 1 and _letters(words[-1]) in _SUFFIXES:
        words = words[:-1]
    return words


@dataclass(frozen=True)
class AbbreviatedName:
    """'Ty.Williams' -> first_prefixes ('ty',), last 'williams'; 'A.J.Brown' -> ('a', 'j'), 'brown'."""

    first_prefixes: tuple[str, ...]
    last: str

    @classmethod
    def parse(cls, text: str) -> AbbreviatedName:
        # The initials are the leading dotted groups; the dot of 'St.' or 'Jr.' is in the last name.
        m = re.match(r"^((?:(?!St\.)[A-Z][A-Za-z']{0,3}\.){1,2})\s?(.*)$", text.strip())
        if m is None:
            return cls((), _letters(text))
        initials = tuple(_letters(p) for p in m.group(1).split(".") if p)
        last_words = _drop_suffix(m.group(2).replace(".", ". ").split())
        return cls(initials, _letters("".join(last_words)))


def _roster_keys(display_name: str) -> tuple[str, set[str]]:
    """(first name letters, possible last-name keys) of 'First [Middle] Last [Suffix]'.

    Every tail of the words after the first is a candidate last name, so 'Ha Ha Clinton-Dix'
    matches 'H.Clinton-Dix' and 'Equanimeous St. Brown' matches 'E.St. Brown'.
    """
    words = _drop_suffix(str(display_name).replace(".", ". ").split())
    if len(words) < 2:
        return "", {_letters(display_name)}
    # Initials written with dots ('A. J. Green' after the split above) belong to the first name.
    first_words = [words[0]]
    rest = words[1:]
    while len(rest) > 1 and len(_letters(rest[0])) == 1 and rest[0].endswith("."):
        first_words.append(rest[0])
        rest = rest[1:]
    first = _letters("".join(first_words))
    return first, {_letters("".join(rest[i:])) for i in range(len(rest))} - {""}


@dataclass(frozen=True)
class RosterEntry:
    nfl_id: int
    display_name: str
    position: str


def match_receiver(name: str, roster: list[RosterEntry]) -> tuple[int | None, str]:
    """(nflId, how) of the roster player an abbreviated name denotes; (None, why) when none or several.

    how: 'name' (last name and first-name initial agree), 'last name' (unique last name on the
    roster, first name differs: a nickname), 'eligible' (several such players, one of them an
    eligible receiver); why: 'not on the field', 'ambiguous'.
    """
    abbr = AbbreviatedName.parse(name)
    keyed = [(e, *_roster_keys(e.display_name)) for e in roster]
    same_last = [(e, first) for e, first, lasts in keyed if abbr.last and abbr.last in lasts]
    if not same_last:
        return None, "not on the field"
    prefix = "".join(abbr.first_prefixes)
    # 'A.J.Brown' -> 'aj' must prefix 'aj'; 'Ty.Williams' -> 'ty' must prefix 'tyrell'.
    fitting = [e for e, first in same_last if prefix and first.startswith(prefix)]
    if not fitting and len(abbr.first_prefixes) > 1:
        fitting = [e for e, first in same_last if first.startswith(abbr.first_prefixes[0])]
    if len(fitting) == 1:
        return fitting[0].nfl_id, "name"
    if not fitting and len(same_last) == 1:
        return same_last[0][0].nfl_id, "last name"
    pool = fitting or [e for e, _ in same_last]
    eligible = [e for e in pool if e.position in ELIGIBLE_RECEIVER_POSITIONS]
    if len(eligible) == 1:
        return eligible[0].nfl_id, "eligible"
    return None, "ambiguous"


def nearest_eligible_to_ball(ball_xy: np.ndarray, receivers_xy: np.ndarray,
                             max_yd: float = BALL_TARGET_MAX_YD) -> int | None:
    """Row of ``receivers_xy`` [K, 2] nearest ``ball_xy`` [2] within ``max_yd``; None if none."""
    if receivers_xy.size == 0 or not np.all(np.isfinite(ball_xy)):
        return None
    d = np.hypot(receivers_xy[:, 0] - ball_xy[0], receivers_xy[:, 1] - ball_xy[1])
    d = np.where(np.isfinite(d), d, np.inf)
    k = int(np.argmin(d))
    return k if d[k] <= max_yd else None


def derive_targets(tracking: pd.DataFrame, plays: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """``plays`` with targetNflId / targetSource filled for pass plays that lack a target.

    Pass plays are those with a passForwardFrameId. A play that has a targetNflId keeps it and
    gets targetSource 'column' unless the table says where it came from. Returns the new plays
    table and counts {pass_plays, by_source: {...}, description_match: {...}, description_miss: {...}}.
    """
    plays = plays.copy()
    if "targetNflId" not in plays.columns:
        plays["targetNflId"] = np.nan
    if "targetSource" not in plays.columns:
        plays["targetSource"] = None
    plays["targetSource"] = plays["targetSource"].astype(object)
    plays["targetNflId"] = pd.to_numeric(plays["targetNflId"], errors="coerce").astype("float64")
    has_target = plays["targetNflId"].notna()
    plays.loc[has_target & plays["targetSource"].isna(), "targetSource"] = SOURCE_COLUMN
    is_pass = plays["passForwardFrameId"].notna() if "passForwardFrameId" in plays.columns else \
        pd.Series(False, index=plays.index)
    todo = plays.index[is_pass & ~has_target]
    counts = {"pass_plays": int(is_pass.sum()), "by_source": dict.fromkeys(TARGET_SOURCES, 0),
              "description_match": {}, "description_miss": {}}
    counts["by_source"][SOURCE_COLUMN] = int((is_pass & has_target).sum())
    if len(todo) == 0:
        return plays, counts

    keys = ["gameId", "playId"]
    wanted = plays.loc[todo, keys]
    players = tracking.loc[tracking["nflId"].to_numpy() != BALL_NFL_ID]
    cols = [c for c in ("displayName", "position", "club") if c in players.columns]
    roster_rows = players[keys + ["nflId"] + cols].drop_duplicates(keys + ["nflId"]).merge(wanted, on=keys)
    rosters: dict[tuple[int, int], pd.DataFrame] = {
        (int(g), int(p)): r for (g, p), r in roster_rows.groupby(keys, sort=False)}

    # Positions of everyone (and the ball) at each play's pass-arrived frame, for the fallback.
    at_arrival = pd.DataFrame()
    if "passArrivedFrameId" in plays.columns:
        arr = plays.loc[todo, keys + ["passArrivedFrameId"]].dropna()
        if not arr.empty:
            arr = arr.astype({"passArrivedFrameId": "int64"})
            sub = tracking[keys + ["nflId", "frameId", "x", "y"]].merge(arr, on=keys)
            at_arrival = sub[sub["frameId"] == sub["passArrivedFrameId"]]
    arrival_groups = {(int(g), int(p)): r for (g, p), r in at_arrival.groupby(keys, sort=False)} \
        if not at_arrival.empty else {}

    def bump(table: str, key: str) -> None:
        counts[table][key] = counts[table].get(key, 0) + 1

    for i in todo:
        row = plays.loc[i]
        key = (int(row["gameId"]), int(row["playId"]))
        roster = rosters.get(key)
        offence = _offence(roster, row.get("possessionTeam"))
        target, source = None, SOURCE_NONE
        name = named_receiver(row.get("playDescription"))
        if name is not None and offence is not None:
            entries = [RosterEntry(int(n), str(d), str(p)) for n, d, p in zip(
                offence["nflId"], offence.get("displayName", pd.Series("", index=offence.index)).fillna(""),
                offence.get("position", pd.Series("", index=offence.index)).fillna(""))]
            target, how = match_receiver(name, entries)
            bump("description_match" if target is not None else "description_miss", how)
            if target is not None:
                source = SOURCE_DESCRIPTION
        elif "playDescription" in plays.columns:
            bump("description_miss", "no receiver named" if name is None else "no roster")
        if target is None and key in arrival_groups and offence is not None:
            target = _ball_nearest(arrival_groups[key], offence)
            if target is not None:
                source = SOURCE_BALL
        plays.at[i, "targetNflId"] = np.nan if target is None else float(target)
        plays.at[i, "targetSource"] = source
        counts["by_source"][source] += 1
    return plays, counts


def _offence(roster: pd.DataFrame | None, possession) -> pd.DataFrame | None:
    """The possession club's players of a play's roster; all of them when the club is unknown."""
    if roster is None or roster.empty:
        return None
    if possession is not None and isinstance(possession, str) and "club" in roster.columns:
        mine = roster[roster["club"] == possession]
        if not mine.empty:
            return mine
    return roster


def _ball_nearest(at_arrival: pd.DataFrame, offence: pd.DataFrame) -> int | None:
    ball = at_arrival[at_arrival["nflId"] == BALL_NFL_ID]
    if ball.empty or "position" not in offence.columns:
        return None
    eligible = offence.loc[offence["position"].isin(ELIGIBLE_RECEIVER_POSITIONS), "nflId"]
    rec = at_arrival[at_arrival["nflId"].isin(eligible)]
    k = nearest_eligible_to_ball(ball[["x", "y"]].to_numpy(float)[0], rec[["x", "y"]].to_numpy(float))
    return None if k is None else int(rec["nflId"].iloc[k])

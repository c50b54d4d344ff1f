"""The tag registry (roster): which radio tag is which player's left or right shoulder, and
which tags are in the ball. Static data, loaded before a game (docs/registry-format.md).

The file is a CSV with the columns ``tag_id,nfl_id,role`` (role: ``left_shoulder``,
``right_shoulder`` or ``ball``) and optional ``club,position,jersey``. It can also be derived
from tracking data with deterministic tag ids: ``nflId*2`` (left), ``nflId*2+1`` (right) and
``1`` for the ball. Validation (duplicate tag ids, two tags on one shoulder, bad ids) lives in
the compiled core; this module parses and reports the line at fault.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import numpy as np

from .. import _core
from ..data.play import jersey_text

ROLES: dict[str, int] = {"left_shoulder": 0, "right_shoulder": 1, "ball": 2}
ROLE_NAMES: dict[int, str] = {v: k for k, v in ROLES.items()}
BALL_TAG_ID: int = _core.BALL_TAG_ID
OPTIONAL_COLUMNS = ("club", "position", "jersey")
_MAX_TAG_ID = 0xFFFFFFFF
_INT64_MAX = 2**63 - 1


class RegistryError(ValueError):
    """The registry file or roster is invalid; the message names the line or tag at fault."""


@dataclass
class Registry:
    """A validated roster. Player slots are numbered in order of first appearance."""

    tag_ids: np.ndarray  # [K] uint32
    nfl_ids: np.ndarray  # [K] int64 (-1 for ball tags)
    roles: np.ndarray  # [K] uint8 (0 left, 1 right, 2 ball)
    info: dict[int, dict[str, str]] = field(default_factory=dict)  # nflId -> club/position/jersey
    warnings: list[str] = field(default_factory=list)  # e.g. players with a single tag

    def __post_init__(self) -> None:
        self.tag_ids = np.asarray(self.tag_ids, dtype=np.uint32)
        self.nfl_ids = np.asarray(self.nfl_ids, dtype=np.int64)
        self.roles = np.asarray(self.roles, dtype=np.uint8)
        try:
            self.core = _core.TagRegistry(self.tag_ids, self.nfl_ids, self.roles)
        except ValueError as exc:
            raise RegistryError(str(exc)) from None
        for slot in self.core.single_tag_slots():
            nfl = int(self.core.slot_nfl_ids[slot])
            msg = f"nflId {nfl} has only one shoulder tag: its position always uses the single-tag fallback"
            if msg not in self.warnings:
                self.warnings.append(msg)

    @property
    def n_players(self) -> int:
        return int(self.core.n_players)

    @property
    def slot_nfl_ids(self) -> np.ndarray:
        """[n_players] nflId of each player slot (the row order of pipeline frames)."""
        return self.core.slot_nfl_ids

    def lookup(self, tag_id: int) -> tuple[int, str] | None:
        """(slot, role name) of a tag (slot -1 for the ball), or None when the tag is unknown."""
        hit = self.core.lookup(int(tag_id))
        return None if hit is None else (hit[0], ROLE_NAMES[hit[1]])

    # --- construction -------------------------------------------------------------------
    @classmethod
    def from_players(cls, nfl_ids, ball: bool = True, info: dict | None = None) -> Registry:
        """Derived tag ids for these players (both shoulders each) plus one ball tag."""
        tags, nfls, roles = [], [], []
        for nfl in np.asarray(nfl_ids, dtype=np.int64):
            for role in (0, 1):
                try:
                    tags.append(_core.derived_tag_id(int(nfl), role))
                except ValueError as exc:
                    raise RegistryError(str(exc)) from None
                nfls.append(int(nfl))
                roles.append(role)
        if ball:
            tags.append(BALL_TAG_ID)
            nfls.append(-1)
            roles.append(ROLES["ball"])
        return cls(np.array(tags), np.array(nfls), np.array(roles), info=dict(info or {}))

    @classmethod
    def from_play(cls, play, ball: bool = True) -> Registry:
        """Derived registry for the players of a :class:`ghostedge.data.Play`."""
        info = {
            int(n): {"club": str(c), "position": str(p), "jersey": jersey_text(j)}
            for n, c, p, j in zip(play.nfl_ids, play.club, play.position, play.jersey)
        }
        return cls.from_players(play.nfl_ids, ball=ball, info=info)

    @classmethod
    def from_tracking(cls, tracking) -> Registry:
        """Derived registry for every player of a canonical tracking DataFrame (see
        ``ghostedge.data``); ball rows (nflId -1) give the ball tag."""
        players = tracking[tracking["nflId"] >= 0].drop_duplicates("nflId")
        info = {}
        for row in players.to_dict("records"):
            info[int(row["nflId"])] = {
                "club": str(row.get("club", "") or ""),
                "position": str(row.get("position", "") or ""),
                "jersey": jersey_text(row.get("jerseyNumber")),
            }
        has_ball = bool((tracking["nflId"] < 0).any())
        return cls.from_players(players["nflId"].to_numpy(np.int64), ball=has_ball, info=info)

    @classmethod
    def from_csv(cls, path: str | os.PathLike) -> Registry:
        """Load a registry file (see the module docstring); RegistryError names the bad line."""
        tags, nfls, roles, info = [], [], [], {}
        with open(path, newline="") as f:
            reader = csv.DictReader(f)
            cols = reader.fieldnames or []
            missing = [c for c in ("tag_id", "nfl_id", "role") if c not in cols]
            if missing:
                raise RegistryError(f"{path}: missing columns {missing}; found {cols}")
            for line, row in enumerate(reader, start=2):
                where = f"{path}:{line}"
                tag = _parse_int(row["tag_id"], where, "tag_id")
                if not 1 <= tag <= _MAX_TAG_ID:
                    raise RegistryError(f"{where}: tag_id {tag} outside 1..{_MAX_TAG_ID}")
                role_name = (row["role"] or "").strip().lower()
                if role_name not in ROLES:
                    raise RegistryError(
                        f"{where}: unknown role {row['role']!r} (expected one of {', '.join(ROLES)})"
                    )
                if role_name == "ball":
                    nfl = -1
                else:
                    nfl = _parse_int(row["nfl_id"], where, "nfl_id")
                    if nfl <= 0:
                        raise RegistryError(f"{where}: nfl_id {nfl} must be positive for a shoulder tag")
                    extra = {c: (row.get(c) or "").strip() for c in OPTIONAL_COLUMNS if c in cols}
                    if extra:
                        info.setdefault(nfl, extra)
                tags.append(tag)
                nfls.append(nfl)
                roles.append(ROLES[role_name])
        return cls(np.array(tags, dtype=np.int64), np.array(nfls), np.array(roles), info=info)

    def to_csv(self, path: str | os.PathLike) -> None:
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["tag_id", "nfl_id", "role", *OPTIONAL_COLUMNS])
            for tag, nfl, role in zip(self.tag_ids, self.nfl_ids, self.roles):
                extra = self.info.get(int(nfl), {})
                w.writerow([int(tag), "" if role == 2 else int(nfl), ROLE_NAMES[int(role)],
                            *(extra.get(c, "") for c in OPTIONAL_COLUMNS)])


def _parse_int(text, where: str, column: str) -> int:
    """An integer cell ('94', '94.0', '9.4e1'), exact and within int64; RegistryError otherwise.
    Decimal, not float: float rounds ids above 2**53 and overflows nothing."""
    raw = str(text).strip()
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise RegistryError(f"{where}: {column} {text!r} is not an integer") from None
    if not value.is_finite() or value != value.to_integral_value():
        raise RegistryError(f"{where}: {column} {text!r} is not an integer")
    # adjusted() is the decimal exponent: checked before int() builds a huge number.
    if value.adjusted() > 18 or abs(int(value)) > _INT64_MAX:
        raise RegistryError(f"{where}: {column} {text!r} is outside the 64-bit integer range")
    return int(value)

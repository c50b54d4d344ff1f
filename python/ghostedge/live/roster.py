"""The static data of a play for the engine: players, clubs, direction, the tag registry.

Static data is kept apart from the timestamped frames (as Unreal Live Link does): a roster is set
once per play, frames stream after it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..constants import (
    DEFENSIVE_BACK_POSITIONS,
    ELIGIBLE_RECEIVER_POSITIONS,
    OFFENSIVE_LINE_POSITIONS,
)
from ..ingest.registry import ROLE_NAMES, ROLES, Registry, RegistryError

if TYPE_CHECKING:
    from ..data.play import Play


@dataclass
class Roster:
    """Static data of one play: who is on the field, which club has the ball, the tag registry.

    Arrays are per player slot (N). ``registry`` is an ``ghostedge.ingest.Registry`` (tag id
    -> slot) or None when the host pushes decoded frames (``push_frame``) only.
    """

    nfl_ids: np.ndarray
    club: np.ndarray
    position: np.ndarray
    offence: str
    defence: str
    jersey: np.ndarray | None = None
    name: np.ndarray | None = None
    play_direction: str = "right"
    game_id: int = 0
    play_id: int = 0
    context: dict = field(default_factory=dict)
    registry: Any = None
    # Frame numbering: frame_id = frame0_id + round((time_us - frame0_time_us) * rate); when
    # unknown the engine counts ticks from 1.
    frame0_id: int | None = None
    frame0_time_us: int | None = None

    def __post_init__(self) -> None:
        self.nfl_ids = np.asarray(self.nfl_ids, dtype=np.int64)
        n = self.nfl_ids.size
        for name in ("club", "position", "jersey", "name"):
            value = getattr(self, name)
            value = np.full(n, "", dtype=object) if value is None else np.asarray(value, dtype=object)
            if value.shape != (n,):
                raise ValueError(f"roster {name} has {value.size} entries for {n} players")
            setattr(self, name, value)
        if len(set(self.nfl_ids.tolist())) != n:
            raise ValueError("roster has duplicate nflIds")
        if self.play_direction not in ("left", "right"):
            raise ValueError(f"play_direction must be 'left' or 'right', not {self.play_direction!r}")

    @property
    def n_players(self) -> int:
        return int(self.nfl_ids.size)

    def defenders(self) -> np.ndarray:
        """Slots of the defence's cornerbacks and safeties."""
        return np.flatnonzero([c == self.defence and p in DEFENSIVE_BACK_POSITIONS
                               for c, p in zip(self.club, self.position)])

    def receivers(self) -> np.ndarray:
        """Slots of the offence's eligible receivers (by position; live, the target is unknown)."""
        return np.flatnonzero([c == self.offence and p in ELIGIBLE_RECEIVER_POSITIONS
                               for c, p in zip(self.club, self.position)])

    def passers(self) -> np.ndarray:
        """[N] bool: offensive players who may throw (everyone but the line)."""
        return np.array([c == self.offence and p not in OFFENSIVE_LINE_POSITIONS
                         for c, p in zip(self.club, self.position)], dtype=bool)

    def offence_mask(self) -> np.ndarray:
        return self.club == self.offence

    @classmethod
    def from_play(cls, play: Play, registry: Any = None, frame0_time_us: int | None = None) -> Roster:
        """The roster of a :class:`Play` (registry derived from it when ``registry`` is None and
        the ingest module is available)."""
        if registry is None:
            registry = _registry_from_play(play)
        offence = play.possession_team or ""
        defence = play.defensive_team or ""
        if not offence or not defence:
            clubs = [c for c in dict.fromkeys(play.club.tolist()) if c and c != "football"]
            is_def = play.is_defense()
            defence = defence or next((c for c, d in zip(play.club, is_def) if d), "")
            offence = offence or next((c for c in clubs if c != defence), "")
        return cls(
            nfl_ids=play.nfl_ids.copy(), club=play.club.copy(), position=play.position.copy(),
            jersey=play.jersey.copy(), name=play.name.copy(), offence=offence, defence=defence,
            play_direction=play.play_direction, game_id=play.game_id, play_id=play.play_id,
            context=dict(play.context), registry=registry,
            frame0_id=int(play.frame_ids[0]), frame0_time_us=frame0_time_us,
        )

    def to_dict(self) -> dict:
        """JSON-able form (the network ``roster`` message)."""
        out = {
            "game_id": int(self.game_id), "play_id": int(self.play_id),
            "offence": self.offence, "defence": self.defence,
            "play_direction": self.play_direction,
            "players": [[int(n), str(c), str(p), str(j), str(nm)] for n, c, p, j, nm in
                        zip(self.nfl_ids, self.club, self.position, self.jersey, self.name)],
            "context": {k: v for k, v in self.context.items()
                        if isinstance(v, (int, float, str)) and not (isinstance(v, float) and math.isnan(v))},
            "frame0_id": self.frame0_id, "frame0_time_us": self.frame0_time_us,
            "tags": _registry_rows(self.registry),
        }
        return out

    @classmethod
    def from_dict(cls, d: dict) -> Roster:
        try:
            players = d["players"]
            nfl, club, pos, jersey, name = (list(col) for col in zip(*players)) if players else ([],) * 5
            registry = _registry_from_rows(d["tags"]) if d.get("tags") else None
            return cls(
                nfl_ids=np.array(nfl, dtype=np.int64), club=np.array(club, dtype=object),
                position=np.array(pos, dtype=object), jersey=np.array(jersey, dtype=object),
                name=np.array(name, dtype=object), offence=str(d["offence"]),
                defence=str(d["defence"]), play_direction=str(d.get("play_direction", "right")),
                game_id=int(d.get("game_id", 0)), play_id=int(d.get("play_id", 0)),
                context=dict(d.get("context") or {}), registry=registry,
                frame0_id=d.get("frame0_id"), frame0_time_us=d.get("frame0_time_us"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"bad roster: {exc}") from None


def _registry_from_play(play: Play):
    """Derived tag registry (:class:`ghostedge.ingest.Registry`) of a play's players."""
    return Registry.from_play(play)


def _registry_rows(registry) -> list:
    """[[tag_id, nfl_id, role name], ...] of a registry (the roster message's ``tags``)."""
    if registry is None:
        return []
    return [[int(t), int(n), ROLE_NAMES[int(r)]]
            for t, n, r in zip(registry.tag_ids, registry.nfl_ids, registry.roles)]


def _registry_from_rows(rows: list):
    try:
        tags, nfls, roles = zip(*((int(t), int(n), ROLES[str(r)]) for t, n, r in rows))
    except (KeyError, ValueError, TypeError) as exc:
        raise ValueError(f"bad roster tags: {exc!r} (rows of [tag_id, nfl_id, role])") from None
    try:
        return Registry(np.array(tags, dtype=np.int64), np.array(nfls), np.array(roles))
    except RegistryError as exc:
        raise ValueError(f"bad roster tags: {exc}") from None


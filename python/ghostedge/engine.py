"""The real-time engine and its plugin API: live tag reads in, ghost trajectories out, per frame.

Lifecycle (docs/plugin-api.md has the thread rules and the result schema)::

    engine = Engine(EngineConfig())          # cheap; nothing loaded
    engine.set_roster(Roster.from_play(play)) # static data: players, clubs, tags
    engine.activate()                        # model loaded, providers picked, warm-up, buffers
    while live:
        engine.push_packets(datagram)        # raw tag-read bytes, any chunking   (feed thread)
        result = engine.tick(frame_time_us)  # one tracking frame; returns at once (host thread)
        result = engine.latest()             # freshest finished result, any time (host thread)
    engine.deactivate(); engine.close()

The per-frame calls (``push_packets``, ``push_frame``, ``tick``, ``latest``, ``signal_event``)
never raise and never wait for inference: inference runs on a worker thread and ``latest``
returns the newest finished result, flagged ``stale`` when it is behind. Errors go to counters,
``last_error`` and the ``ghostedge.engine`` logger. Lifecycle misuse (activate twice, close
twice, set_roster after close, ...) raises :class:`EngineStateError`: that is a programming
error of the host, not a data problem.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .data.play import (
    DEFENSIVE_BACK_POSITIONS,
    ELIGIBLE_RECEIVER_POSITIONS,
    FIELD_LENGTH_YD,
    FIELD_WIDTH_YD,
    Play,
)

ENGINE_API_VERSION = 1
log = logging.getLogger("ghostedge.engine")

# Positions that never throw a forward pass: the snap leaves the centre at passing speed, and
# the detector must not call that a pass.
OFFENSIVE_LINE_POSITIONS = frozenset({"C", "G", "T", "OG", "OT", "OL"})
PHASES = ("pre_throw", "in_air", "arrived")
_HISTORY = 4  # frames kept: the model needs t-2..t, the pass detector one more for speeds


class EngineStateError(RuntimeError):
    """A lifecycle call made in the wrong state (programming error of the host)."""


@dataclass
class EngineConfig:
    """Engine settings; the defaults work: shipped model, 10 Hz, standard field."""

    model_path: str | None = None  # None: the shipped model (ghostedge/models/)
    providers: list[str] | None = None  # ONNX Runtime providers, priority order; None: best
    rate_hz: float = 10.0  # tracking output rate
    horizon: int = 10  # ghost frames predicted (1.0 s at 10 Hz)
    max_frames_behind: int = 1  # result older than this many frames -> stale
    max_age_s: float = 0.25  # or older than this (wall clock since its frame was ticked)
    warmup_runs: int = 3  # inferences run in activate() so the first live frame is not slow
    require_model: bool = False  # True: activate() raises when the model cannot be loaded
    detect_pass: bool = True  # detect release/arrival from the ball tag (host events always work)
    field_length_yd: float = FIELD_LENGTH_YD
    field_width_yd: float = FIELD_WIDTH_YD
    # Pass detector thresholds (yards, yd/s); measured on the shared data, see docs/plugin-api.md
    release_speed_yps: float = 9.0
    release_distance_yd: float = 1.5
    holder_distance_yd: float = 1.25
    arrival_distance_yd: float = 1.25
    arrival_min_frames: int = 4
    ball_stopped_speed_yps: float = 3.0
    arrival_relative_speed_yps: float = 5.0


# ---------------------------------------------------------------------------------------------
# Static data
# ---------------------------------------------------------------------------------------------

@dataclass
class Roster:
    """Static data of one play: who is on the field, which club has the ball, the tag registry.

    Arrays are per player slot (N). ``registry`` is an ``ghostedge.registry.TagRegistry`` (tag id
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
    def from_play(cls, play: Play, registry: Any = None, frame0_time_us: int | None = None) -> "Roster":
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
    def from_dict(cls, d: dict) -> "Roster":
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


# ---------------------------------------------------------------------------------------------
# Adapters to the ingest helpers (tag registry, live pipeline)
# ---------------------------------------------------------------------------------------------

def _registry_from_play(play: Play):
    """Derived tag registry (``ghostedge.registry.Registry``) of a play's players."""
    from .registry import Registry

    return Registry.from_play(play)


def _registry_rows(registry) -> list:
    """[[tag_id, nfl_id, role name], ...] of a registry (the roster message's ``tags``)."""
    if registry is None:
        return []
    from .registry import ROLE_NAMES

    return [[int(t), int(n), ROLE_NAMES[int(r)]]
            for t, n, r in zip(registry.tag_ids, registry.nfl_ids, registry.roles)]


def _registry_from_rows(rows: list):
    from .registry import ROLES, Registry, RegistryError

    try:
        tags, nfls, roles = zip(*((int(t), int(n), ROLES[str(r)]) for t, n, r in rows))
    except (KeyError, ValueError, TypeError) as exc:
        raise ValueError(f"bad roster tags: {exc!r} (rows of [tag_id, nfl_id, role])") from None
    try:
        return Registry(np.array(tags, dtype=np.int64), np.array(nfls), np.array(roles))
    except RegistryError as exc:
        raise ValueError(f"bad roster tags: {exc}") from None


# ---------------------------------------------------------------------------------------------
# Ingest output -> engine frame (shared with the soak's clean reference: one place for the rule)
# ---------------------------------------------------------------------------------------------

INGEST_ROW_FIELDS = ("x", "y", "o")


def ingest_rows_to_frame(rows: np.ndarray, ingest_src: np.ndarray, roster_dst: np.ndarray,
                         gather: np.ndarray, xy_out: np.ndarray, o_out: np.ndarray,
                         ball_out: np.ndarray) -> None:
    """Write one ingest frame into roster-slot arrays, in place (no allocation but index views).

    rows [3, n_ingest + 1]: the pipeline's ``INGEST_ROW_FIELDS`` rows (players, then the ball)
    as ``IngestPipeline.tick_into`` writes them; ingest_src / roster_dst: the ingest slots the
    roster knows and their roster slots; gather [3, len(ingest_src)] scratch; xy_out [N, 2],
    o_out [N], ball_out [2]. Players the roster has but the pipeline does not are NaN; lost or
    never-seen players are NaN in the pipeline's output already. The ball is the ingest
    filter's (docs/filtering.md, "The ball")."""
    xy_out.fill(np.nan)
    o_out.fill(np.nan)
    np.take(rows, ingest_src, axis=1, out=gather, mode="clip")  # 'raise' buffers
    xy_out[roster_dst, 0] = gather[0]
    xy_out[roster_dst, 1] = gather[1]
    o_out[roster_dst] = gather[2]
    ns = rows.shape[1] - 1
    ball_out[0] = rows[0, ns]
    ball_out[1] = rows[1, ns]


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------

STAGES = ("ingest", "events", "features_inference", "metric", "target", "total_worker")
COUNTERS = ("frames", "frames_inferred", "frames_skipped", "results_stale", "packets_pushed",
            "bytes_pushed", "errors_ingest", "errors_tick",
            "errors_push_frame", "errors_inference", "errors_metric", "errors_event",
            "errors_calls_inactive", "errors_model_load", "frames_bad_values", "players_bad_values")


class GhostResult:
    """One frame's output. Arrays are views into engine-owned buffers: a result returned by
    :meth:`Engine.latest` / :meth:`Engine.tick` stays valid until the next such call on the same
    engine; call :meth:`copy` to keep it longer.

    Shapes: D defensive backs, R eligible receivers, H horizon frames. Positions are raw field
    coordinates in yards; ``mean[d, r, k]`` is where defender d is predicted k+1 frames after
    ``time_us`` if the ball goes to receiver r; ``sigma`` its per-axis standard deviation.
    """

    __slots__ = ("frame_id", "time_us", "dt_s", "phase", "stale", "ok", "age_s", "frames_behind",
                 "defender_ids", "receiver_ids", "defender_xy", "receiver_xy", "ball_xy",
                 "mean", "sigma", "metric", "target_nfl_id", "target_index", "target_source",
                 "pass_forward_frame", "pass_arrived_frame", "timings_ms", "counters",
                 "last_error", "_tick_monotonic", "_buffers", "_horizon")

    def __init__(self, max_d: int, max_r: int, horizon: int, dt_s: float) -> None:
        # mean / sigma / metric are flat so that their [d, r, ...] views are C-contiguous: the
        # model and the metric write into them directly.
        self._buffers = {
            "defender_ids": np.zeros(max_d, np.int64), "receiver_ids": np.zeros(max_r, np.int64),
            "defender_xy": np.full((max_d, 2), np.nan), "receiver_xy": np.full((max_r, 2), np.nan),
            "mean": np.full(max_d * max_r * horizon * 2, np.nan),
            "sigma": np.full(max_d * max_r * horizon * 2, np.nan),
            "metric": np.full(max_d * max_r, np.nan),
        }
        self._horizon = horizon
        self.dt_s = dt_s
        self.timings_ms = {s: float("nan") for s in STAGES}
        self.counters: dict[str, int] = {}
        self._set_sizes(0, 0)
        self._reset_scalars()

    def _reset_scalars(self) -> None:
        self.frame_id, self.time_us, self.phase = -1, 0, "pre_throw"
        self.stale, self.ok, self.age_s, self.frames_behind = True, False, float("inf"), 0
        self.target_nfl_id, self.target_index, self.target_source = None, -1, "none"
        self.pass_forward_frame = self.pass_arrived_frame = None
        self.ball_xy = (float("nan"), float("nan"))
        self.last_error = ""
        self._tick_monotonic = 0.0

    def _set_sizes(self, d: int, r: int) -> None:
        b = self._buffers
        self.defender_ids, self.receiver_ids = b["defender_ids"][:d], b["receiver_ids"][:r]
        self.defender_xy, self.receiver_xy = b["defender_xy"][:d], b["receiver_xy"][:r]
        size = d * r * self._horizon * 2
        self.mean = b["mean"][:size].reshape(d, r, self._horizon, 2)
        self.sigma = b["sigma"][:size].reshape(d, r, self._horizon, 2)
        self.metric = b["metric"][:d * r].reshape(d, r)

    def copy(self) -> "GhostResult":
        """A deep copy the engine will not overwrite."""
        d, r = len(self.defender_ids), len(self.receiver_ids)
        out = GhostResult(max(d, 1), max(r, 1), self.mean.shape[2] if self.mean.ndim == 4 else 1, self.dt_s)
        out._set_sizes(d, r)
        for name in ("defender_ids", "receiver_ids", "defender_xy", "receiver_xy", "mean", "sigma", "metric"):
            getattr(out, name)[...] = getattr(self, name)
        for name in ("frame_id", "time_us", "phase", "stale", "ok", "age_s", "frames_behind",
                     "target_nfl_id", "target_index", "target_source", "pass_forward_frame",
                     "pass_arrived_frame", "ball_xy", "last_error", "_tick_monotonic"):
            setattr(out, name, getattr(self, name))
        out.timings_ms = dict(self.timings_ms)
        out.counters = dict(self.counters)
        return out

    def to_dict(self) -> dict:
        """JSON-able dict (NaN -> None); the same fields the network messages carry."""
        def clean(a):
            a = np.asarray(a, dtype=np.float64)
            o = np.round(a, 4).astype(object)
            o[~np.isfinite(a)] = None
            return o.tolist()

        return {
            "frame_id": int(self.frame_id), "time_us": int(self.time_us), "phase": self.phase,
            "stale": bool(self.stale), "ok": bool(self.ok), "age_s": float(self.age_s),
            "frames_behind": int(self.frames_behind),
            "target_nfl_id": self.target_nfl_id, "target_source": self.target_source,
            "pass_forward_frame": self.pass_forward_frame,
            "pass_arrived_frame": self.pass_arrived_frame,
            "defender_ids": self.defender_ids.tolist(), "receiver_ids": self.receiver_ids.tolist(),
            "defender_xy": clean(self.defender_xy), "receiver_xy": clean(self.receiver_xy),
            "ball_xy": clean(self.ball_xy), "mean": clean(self.mean), "sigma": clean(self.sigma),
            "metric": clean(self.metric), "timings_ms": dict(self.timings_ms),
            "counters": dict(self.counters), "last_error": self.last_error,
        }


# ---------------------------------------------------------------------------------------------
# Pass release / arrival detection from the ball tag
# ---------------------------------------------------------------------------------------------

class PassDetector:
    """Causal state machine over the filtered ball and player positions.

    Release: the ball was held (within ``holder_distance_yd`` of a player who may throw, for
    two frames or more) and now is farther than ``release_distance_yd`` from him, moving away
    from him faster than ``release_speed_yps``. The snap (centre to quarterback) is excluded because linemen never count as holders.
    Arrival: after at least ``arrival_min_frames`` in the air, the ball is within
    ``arrival_distance_yd`` of a player (not the passer) and moves like him (relative speed
    under ``arrival_relative_speed_yps``), or has been slower than ``ball_stopped_speed_yps``
    for two frames. Host events (``pass_forward`` / ``pass_arrived``) override detection.
    """

    def __init__(self, config: EngineConfig, dt_s: float) -> None:
        self.config = config
        self.dt = dt_s
        self._scratch_n = -1  # per-player scratch (distances, masks), sized on the first update
        self.reset()

    def _scratch(self, n: int) -> None:
        if n != self._scratch_n:
            self._dist, self._dy, self._near = np.empty(n), np.empty(n), np.empty(n)
            self._usable = np.empty(n, bool)
            self._scratch_n = n

    def _nearest_candidates(self, mask: np.ndarray | None) -> np.ndarray:
        """Distances to the ball where finite (and ``mask``), +inf elsewhere (scratch array)."""
        np.isfinite(self._dist, out=self._usable)
        if mask is not None:
            np.logical_and(self._usable, mask, out=self._usable)
        self._near.fill(np.inf)
        np.copyto(self._near, self._dist, where=self._usable)
        return self._near

    def reset(self) -> None:
        self.phase = "pre_throw"
        self.holder = -1  # slot of the last player who held the ball
        self.held_frames = 0
        self.release_frame: int | None = None
        self.arrival_frame: int | None = None
        self.release_source = "none"
        self.frames_in_air = 0
        self.was_stopped = False

    def signal(self, name: str, frame_id: int) -> None:
        if name == "pass_forward":
            self.phase, self.release_frame, self.release_source = "in_air", frame_id, "host"
            self.frames_in_air, self.arrival_frame = 0, None
        elif name == "pass_arrived":
            if self.release_frame is None:
                self.release_frame, self.release_source = frame_id, "host"
            self.phase, self.arrival_frame = "arrived", frame_id
        elif name in ("reset", "ball_snap"):
            self.reset()
        else:
            raise ValueError(f"unknown event {name!r}: pass_forward, pass_arrived, ball_snap, reset")

    def update(self, frame_id: int, xy_hist: np.ndarray, ball_hist: np.ndarray, n_valid: int,
               passers: np.ndarray) -> None:
        """xy_hist: [K, N, 2] player positions, ball_hist: [K, 2]; last row = now."""
        if not self.config.detect_pass or n_valid < 2:
            return
        xy = xy_hist[-1]
        ball, prev = ball_hist[-1], ball_hist[-2]
        if not all(math.isfinite(float(v)) for v in (ball[0], ball[1], prev[0], prev[1])):
            return
        # distances into scratch arrays: the detector runs in the tick (no per-frame arrays)
        self._scratch(xy.shape[0])
        dist = self._dist
        np.subtract(xy[:, 0], ball[0], out=dist)
        np.subtract(xy[:, 1], ball[1], out=self._dy)
        np.hypot(dist, self._dy, out=dist)
        vx, vy = (float(ball[0]) - float(prev[0])) / self.dt, (float(ball[1]) - float(prev[1])) / self.dt
        speed = math.hypot(vx, vy)
        if self.phase == "pre_throw":
            near = self._nearest_candidates(passers)
            nearest = int(np.argmin(near)) if near.size else -1
            if nearest >= 0 and near[nearest] <= self.config.holder_distance_yd:
                self.held_frames = self.held_frames + 1 if nearest == self.holder else 1
                self.holder = nearest
                return
            if self.holder < 0 or self.held_frames < 2 or n_valid < 3:
                return
            holder_now = float(dist[self.holder])
            before = math.hypot(float(prev[0]) - float(xy[self.holder, 0]),
                                float(prev[1]) - float(xy[self.holder, 1]))
            if (holder_now > self.config.release_distance_yd and speed > self.config.release_speed_yps
                    and holder_now > before):
                self.phase, self.release_source = "in_air", "ball"
                self.release_frame = frame_id - 1  # it left his hands in the previous interval
                self.frames_in_air = 1
        elif self.phase == "in_air":
            self.frames_in_air += 1
            if self.frames_in_air < self.config.arrival_min_frames:
                return
            # Caught (or batted): the ball is at a player other than the passer and moves like
            # him; a pass flying over a player keeps its own, much faster velocity. On the
            # ground: it has been (nearly) still for two frames.
            near = self._nearest_candidates(None)
            if self.holder >= 0:
                near[self.holder] = np.inf
            at = int(np.argmin(near))
            at_player = near[at] <= self.config.arrival_distance_yd
            stopped = speed < self.config.ball_stopped_speed_yps
            moves_with = at_player and math.hypot(
                vx - (float(xy[at, 0]) - float(xy_hist[-2, at, 0])) / self.dt,
                vy - (float(xy[at, 1]) - float(xy_hist[-2, at, 1])) / self.dt) <= self.config.arrival_relative_speed_yps
            if moves_with:  # at a player and moving like him: caught this frame
                self.phase, self.arrival_frame = "arrived", frame_id
            elif stopped and self.was_stopped:  # on the ground since the previous frame
                self.phase, self.arrival_frame = "arrived", frame_id - 1
            self.was_stopped = stopped


def infer_target(ball_xy: np.ndarray, ball_vel: np.ndarray, receiver_xy: np.ndarray,
                 receiver_vel: np.ndarray, max_time_s: float = 3.0) -> int:
    """Index of the receiver the ball in flight is most likely meant for, or -1.

    Ball and receivers are extrapolated at constant velocity; each receiver's closest approach
    to the ball within ``max_time_s`` is computed in closed form, and the receiver with the
    smallest miss distance wins (the first on a tie). Receivers behind the ball's path never
    win. Plain floats: a frame has a handful of receivers, where numpy's per-call overhead
    would cost more than the arithmetic (this runs on every frame after the throw).
    """
    bx, by = float(ball_xy[0]), float(ball_xy[1])
    bvx, bvy = float(ball_vel[0]), float(ball_vel[1])
    if not (math.isfinite(bx) and math.isfinite(by) and math.isfinite(bvx) and math.isfinite(bvy)):
        return -1
    best, best_miss = -1, math.inf
    for i, ((rx, ry), (vx, vy)) in enumerate(zip(receiver_xy.tolist(), receiver_vel.tolist())):
        rel_x, rel_y, rel_vx, rel_vy = rx - bx, ry - by, vx - bvx, vy - bvy
        vv = rel_vx * rel_vx + rel_vy * rel_vy
        t = -(rel_x * rel_vx + rel_y * rel_vy) / vv if vv > 1e-9 else 0.0
        t = min(max(t, 0.0), max_time_s)  # NaN stays NaN, and a NaN miss never wins
        miss = math.hypot(rel_x + rel_vx * t, rel_y + rel_vy * t)
        if miss < best_miss:
            best, best_miss = i, miss
    return best


# ---------------------------------------------------------------------------------------------
# The engine
# ---------------------------------------------------------------------------------------------

class _Job:
    """Preallocated input snapshot for the worker (copied in the tick, read by the worker)."""

    def __init__(self, n: int) -> None:
        self.xy = np.full((3, n, 2), np.nan)
        self.o = np.full((3, n), np.nan)
        self.ball = np.full((3, 2), np.nan)
        self.frame_id = -1
        self.time_us = 0
        self.tick_monotonic = 0.0
        self.phase = "pre_throw"
        self.pass_forward_frame: int | None = None
        self.pass_arrived_frame: int | None = None
        self.ingest_ms = float("nan")
        self.events_ms = float("nan")
        self.host_target = -1


class Engine:
    """The live engine (see module docstring and docs/plugin-api.md)."""

    API_VERSION = ENGINE_API_VERSION

    def __init__(self, config: EngineConfig | None = None, model: Any = None) -> None:
        """``model``: an object with ``predict_frame(...)`` like ``GhostModel`` to use instead of
        loading ``config.model_path`` (for tests and hosts that share one model)."""
        self.config = config or EngineConfig()
        if self.config.rate_hz <= 0 or self.config.horizon < 1:
            raise ValueError("rate_hz must be > 0 and horizon >= 1")
        self.dt_s = 1.0 / self.config.rate_hz
        self._injected_model = model
        self._model = None
        self._predict_into = None  # the model's predict_frame_into, when it has one
        self._state = "created"  # created -> active -> inactive -> closed
        self._roster: Roster | None = None
        self._lock = threading.Lock()  # guards only pointer swaps; never held while computing
        # Counters live as long as the engine (across activations and rosters).
        self._counters: dict[str, int] = {k: 0 for k in COUNTERS}
        self._last_error = ""
        self._worker: threading.Thread | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._inactive_result = GhostResult(1, 1, self.config.horizon, self.dt_s)
        self.providers: list[str] = []

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def state(self) -> str:
        return self._state

    @property
    def model_loaded(self) -> bool:
        return self._model is not None

    def set_roster(self, roster: Roster) -> None:
        """Static data for the next play. Allowed when created, active or inactive (not closed);
        when active, pending frames are dropped and buffers resized (control thread only)."""
        if self._state == "closed":
            raise EngineStateError("set_roster() after close(): create a new Engine")
        if not isinstance(roster, Roster):
            raise TypeError("set_roster() takes a ghostedge.engine.Roster")
        self._roster = roster
        if self._state == "active":
            self._stop_worker()
            self._allocate()
            self._warm_up()
            self._start_worker()

    def activate(self) -> None:
        """Load the model, pick providers, warm up, allocate every buffer, start the worker."""
        if self._state == "active":
            raise EngineStateError("activate() called twice: call deactivate() first")
        if self._state == "closed":
            raise EngineStateError("activate() after close(): create a new Engine")
        if self._roster is None:
            raise EngineStateError("activate() needs a roster: call set_roster() first")
        if self._model is None:
            self._load_model()
        self._allocate()
        self._warm_up()
        self._start_worker()
        self._state = "active"

    def deactivate(self) -> None:
        """Stop the worker (waits for the running inference); buffers and model are kept."""
        if self._state != "active":
            raise EngineStateError(f"deactivate() when {self._state}, not active")
        self._stop_worker()
        self._state = "inactive"

    def _start_worker(self) -> None:
        self._stop.clear()
        self._worker = threading.Thread(target=self._worker_loop, name="ghostedge-inference", daemon=True)
        self._worker.start()

    def _stop_worker(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._worker is not None:
            self._worker.join(timeout=30.0)
        self._worker = None

    def close(self) -> None:
        """Release everything. Deactivates first when active. A second close() raises."""
        if self._state == "closed":
            raise EngineStateError("close() called twice")
        if self._state == "active":
            self.deactivate()
        self._model = self._predict_into = None
        self._pipeline = None
        self._state = "closed"

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc) -> None:
        if self._state != "closed":
            self.close()

    # -- setup helpers (not real-time) -------------------------------------------------------

    def _load_model(self) -> None:
        if self._injected_model is not None:
            self._model = self._injected_model
        else:
            try:
                from .model.inference import GhostModel

                self._model = GhostModel(self.config.model_path, providers=self.config.providers)
            except Exception as exc:  # missing/corrupt model: degraded mode, or raise if asked
                if self.config.require_model:
                    raise
                self._count("errors_model_load")
                self._error(f"model not loaded ({type(exc).__name__}: {exc}); "
                            "serving positions without ghosts")
                self._model = None
        self.providers = list(getattr(self._model, "providers", []) or [])
        # GhostModel writes straight into the result buffers; other models (wrappers, test
        # doubles) only need predict_frame, whose output is copied.
        self._predict_into = getattr(self._model, "predict_frame_into", None)

    def _allocate(self) -> None:
        roster = self._roster
        n = roster.n_players
        self._defenders = roster.defenders()
        self._receivers = roster.receivers()
        self._passers = roster.passers()
        d, r, h = max(1, self._defenders.size), max(1, self._receivers.size), self.config.horizon
        self._ring_xy = np.full((2 * _HISTORY, n, 2), np.nan)
        self._ring_o = np.full((2 * _HISTORY, n), np.nan)
        self._ring_ball = np.full((2 * _HISTORY, 2), np.nan)
        self._windows = [(self._ring_xy[h + 1:h + 1 + _HISTORY], self._ring_o[h + 1:h + 1 + _HISTORY],
                          self._ring_ball[h + 1:h + 1 + _HISTORY]) for h in range(_HISTORY)]
        self._ring_head = 0
        self._hist_xy, self._hist_o, self._hist_ball = self._windows[0]
        self._hist_valid = 0
        self._bad_scratch = (np.zeros((n, 2), bool), np.zeros((n, 2), bool), np.zeros(n, bool))
        self._frame_counter = 0
        self._last_frame_id = -1
        self._last_tick_monotonic = 0.0
        # Triple-buffered input: the tick fills one, one waits, the worker reads one; only
        # references are swapped under the lock (latest wins: a waiting frame is replaced).
        self._job_fill, self._job_wait, self._job_work = _Job(n), _Job(n), _Job(n)
        self._job_pending = False
        self._idle.set()
        # Triple-buffered results: one published, one held by the host, one the worker writes.
        self._results = [GhostResult(d, r, h, self.dt_s) for _ in range(3)]
        self._published = 0
        self._host_held = 0
        self._detector = PassDetector(self.config, self.dt_s)
        self._host_target = -1
        self._slot_of_nfl = {int(v): i for i, v in enumerate(roster.nfl_ids)}
        self._is_offense = roster.offence_mask()
        self._context = self._model_context() if self._model is not None else None
        self._pipeline = None
        if roster.registry is not None:
            from .ingest import IngestPipeline

            self._pipeline = IngestPipeline(roster.registry, rate_hz=self.config.rate_hz)
            # ingest slot -> roster slot (a tagged player the roster does not list is ignored)
            ids = np.asarray(self._pipeline.nfl_ids, dtype=np.int64)
            self._ingest_slots = int(self._pipeline.n_players)
            slot = np.array([self._slot_of_nfl.get(int(v), -1) for v in ids], dtype=np.int64)
            self._ingest_src = np.flatnonzero(slot >= 0)  # ingest slots the roster knows
            self._ingest_dst = slot[self._ingest_src]  # their roster slots
            self._ingest_rows = np.full((len(INGEST_ROW_FIELDS), self._ingest_slots + 1), np.nan)
            # tick_into writes row 0 of each [1, n + 1] array: views of one [5, n + 1] block
            self._ingest_out = {k: self._ingest_rows[i:i + 1] for i, k in enumerate(INGEST_ROW_FIELDS)}
            self._ingest_gather = np.empty((3, self._ingest_src.size))

    def _warm_up(self) -> None:
        if self._model is None or self.config.warmup_runs <= 0:
            return
        n = self._roster.n_players
        xy = np.tile(np.linspace([20.0, 5.0], [100.0, 48.0], n)[None], (3, 1, 1))
        o = np.zeros((3, n))
        ball = xy[:, 0, :].copy()
        dfd, rcv = self._defenders, self._receivers
        if dfd.size == 0 or rcv.size == 0:
            return
        for _ in range(self.config.warmup_runs):
            try:
                self._predict(xy, o, ball, dfd, rcv)
            except Exception as exc:
                self._count("errors_inference")
                self._error(f"warm-up inference failed: {type(exc).__name__}: {exc}")
                return

    def _model_context(self):
        """The model's play context (``ghostedge.model.frames.PlayContext``) from the roster's
        static data; built once per roster."""
        from types import SimpleNamespace

        from .model.frames import PlayContext

        r = self._roster
        return PlayContext.from_play(SimpleNamespace(
            context=r.context, possession_team=r.offence, play_direction=r.play_direction))

    def _predict(self, xy, o, ball, defenders, receivers):
        return self._model.predict_frame(xy, o, ball, defenders, receivers, self._context,
                                         horizon=self.config.horizon, is_offense=self._is_offense)

    # -- per-frame calls (never raise) -------------------------------------------------------

    def push_packets(self, data) -> bool:
        """Raw tag-read bytes (any chunking: bytes, bytearray, memoryview, numpy uint8).
        Returns False (and counts why) when the bytes could not be taken."""
        try:
            if self._state != "active":
                return self._inactive_call("push_packets")
            if self._pipeline is None:
                self._count("errors_ingest")
                self._error("push_packets(): the roster has no tag registry (use push_frame)")
                return False
            self._pipeline.push(data)
            self._counters["packets_pushed"] += 1
            self._counters["bytes_pushed"] += len(memoryview(data).cast("B"))
            return True
        except Exception as exc:
            self._count("errors_ingest")
            self._error(f"push_packets: {type(exc).__name__}: {exc}")
            return False

    def push_frame(self, time_us: int, xy: np.ndarray, o: np.ndarray | None = None,
                   ball_xy: np.ndarray | None = None, frame_id: int | None = None) -> GhostResult:
        """An already-decoded frame: xy [N, 2] in roster slot order (NaN = missing), o [N]
        degrees, ball_xy [2]. Does what tick() does, minus the ingest stage."""
        try:
            if self._state != "active":
                return self._inactive_call("push_frame") or self._inactive_result
            t0 = time.perf_counter()
            xy = np.asarray(xy, dtype=np.float64)
            n = self._roster.n_players
            if xy.shape != (n, 2):
                raise ValueError(f"xy must be [{n}, 2] (roster slots), got {list(xy.shape)}")
            self._advance_history()
            try:
                self._hist_xy[-1] = xy
                self._hist_o[-1] = np.nan if o is None else o
                self._hist_ball[-1] = np.nan if ball_xy is None else ball_xy
                self._drop_bad_values()
            finally:  # keep the ring's twin rows equal whatever happened
                self._commit_history()
            return self._after_frame(int(time_us), frame_id, t0, float("nan"))
        except Exception as exc:
            self._count("errors_push_frame")
            self._error(f"push_frame: {type(exc).__name__}: {exc}")
            return self.latest()

    def tick(self, time_us: int, frame_id: int | None = None) -> GhostResult:
        """Close the tracking frame at ``time_us`` (ingest: fuse + filter the reads pushed so
        far), hand it to the worker, and return :meth:`latest`. Never blocks on inference."""
        try:
            if self._state != "active":
                return self._inactive_call("tick") or self._inactive_result
            if self._pipeline is None:
                raise RuntimeError("tick(): the roster has no tag registry (use push_frame)")
            t0 = time.perf_counter()
            # into preallocated rows: no allocation
            self._pipeline.tick_into(int(time_us), self._ingest_out, 0)
            self._advance_history()
            try:
                ingest_rows_to_frame(self._ingest_rows, self._ingest_src, self._ingest_dst,
                                     self._ingest_gather, self._hist_xy[-1], self._hist_o[-1],
                                     self._hist_ball[-1])
            finally:  # keep the ring's twin rows equal whatever happened
                self._commit_history()
            ingest_ms = (time.perf_counter() - t0) * 1e3
            return self._after_frame(int(time_us), frame_id, t0, ingest_ms)
        except Exception as exc:
            self._count("errors_tick")
            self._error(f"tick: {type(exc).__name__}: {exc}")
            return self.latest()

    def signal_event(self, name: str, time_us: int | None = None, target_nfl_id: int | None = None) -> bool:
        """Host-signalled event: ``pass_forward``, ``pass_arrived``, ``ball_snap`` or ``reset``
        (new play: forget detection state). Applies to the newest frame. ``target_nfl_id``
        with pass_forward: the host knows the target (overrides inference)."""
        try:
            if self._state != "active":
                return self._inactive_call("signal_event")
            frame_id = self._last_frame_id if self._last_frame_id >= 0 else 0
            self._detector.signal(name, frame_id)
            if name in ("reset", "ball_snap"):
                self._host_target = -1
            if target_nfl_id is not None:
                self._host_target = self._slot_of_nfl.get(int(target_nfl_id), -1)
            return True
        except Exception as exc:
            self._count("errors_event")
            self._error(f"signal_event: {type(exc).__name__}: {exc}")
            return False

    def latest(self) -> GhostResult:
        """The newest finished result, with ``age_s``/``frames_behind``/``stale`` set now."""
        try:
            if self._state not in ("active", "inactive"):
                self._inactive_call("latest")
                return self._inactive_result
            with self._lock:
                self._host_held = self._published
                res = self._results[self._host_held]
            now = time.monotonic()
            res.age_s = (now - res._tick_monotonic) if res.frame_id >= 0 else float("inf")
            res.frames_behind = max(0, self._last_frame_id - res.frame_id) if res.frame_id >= 0 else 0
            res.stale = (res.frame_id < 0 or res.frames_behind > self.config.max_frames_behind
                         or res.age_s > self.config.max_age_s + self.dt_s * res.frames_behind)
            res.counters.update(self._counters)
            if res.stale:
                self._counters["results_stale"] += 1
            res.last_error = self._last_error
            return res
        except Exception as exc:  # pragma: no cover - defensive: latest() must never raise
            self._count("errors_tick")
            self._error(f"latest: {type(exc).__name__}: {exc}")
            return self._inactive_result

    def counters(self) -> dict:
        """Engine counters plus the ingest pipeline's (a copy; control thread)."""
        out = dict(self._counters)
        pipe = getattr(self, "_pipeline", None)
        if pipe is not None:
            try:
                out.update({f"ingest_{k}": int(v) for k, v in pipe.counters().items()})
            except Exception:
                pass
        return out

    @property
    def last_error(self) -> str:
        return self._last_error

    @property
    def ingest_delay_us(self) -> int:
        """How far past a frame's time the ingest filter reads (its allowed delay): call
        ``tick(t)`` once the packets captured up to ``t + ingest_delay_us`` (plus the network's
        latency) are pushed. 0 before activation or without a tag registry."""
        pipe = getattr(self, "_pipeline", None)
        return 0 if pipe is None else int(round(float(getattr(pipe, "delay_s", 0.0)) * 1e6))

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Offline use only (replay, tests): wait until the worker has finished every frame
        handed to it. Never call it from a real-time thread."""
        if self._state != "active":
            return True
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._idle.wait(timeout=0.01):
                with self._lock:
                    if not self._job_pending and self._idle.is_set():
                        return True
        return False

    # -- internals ---------------------------------------------------------------------------

    def _inactive_call(self, name: str) -> bool:
        self._counters["errors_calls_inactive"] += 1
        msg = f"{name}() while the engine is {self._state}: call activate() first"
        self._inactive_result.last_error = msg
        self._inactive_result.ok = False
        self._inactive_result.stale = True
        self._error(msg)
        return False

    def _count(self, key: str) -> None:
        self._counters[key] = self._counters.get(key, 0) + 1

    def _error(self, msg: str) -> None:
        if msg != self._last_error:  # log each distinct error once in a row, not every frame
            log.error(msg)
        self._last_error = msg

    # History: a ring of _HISTORY frames stored twice (rows i and i + _HISTORY), so that the
    # latest _HISTORY frames, oldest first, are always one contiguous slice: a new frame moves
    # the start of the window (views made once in _allocate) instead of copying the history.
    def _advance_history(self) -> None:
        """Make the window end at a fresh row for the new frame (write it, then commit)."""
        self._ring_head = (self._ring_head + 1) % _HISTORY
        self._hist_xy, self._hist_o, self._hist_ball = self._windows[self._ring_head]
        self._hist_valid = min(self._hist_valid + 1, _HISTORY)

    def _commit_history(self) -> None:
        """Copy the new frame (row head + _HISTORY) to its twin row (head)."""
        h = self._ring_head
        np.copyto(self._ring_xy[h], self._ring_xy[h + _HISTORY])
        np.copyto(self._ring_o[h], self._ring_o[h + _HISTORY])
        np.copyto(self._ring_ball[h], self._ring_ball[h + _HISTORY])

    def _drop_bad_values(self) -> None:
        """push_frame input: a position with an infinite coordinate, or with one coordinate NaN
        and the other not, and an infinite orientation are bad values, not a missing player
        (NaN in both): counted (``frames_bad_values``, ``players_bad_values``) and made
        missing. Ball likewise. No allocation on a clean frame."""
        xy, o, ball = self._hist_xy[-1], self._hist_o[-1], self._hist_ball[-1]
        inf_xy, nan_xy, inf_o = self._bad_scratch
        np.isinf(xy, out=inf_xy)
        np.isnan(xy, out=nan_xy)
        np.isinf(o, out=inf_o)
        bad = inf_xy.any() or inf_o.any() or bool(np.not_equal(nan_xy[:, 0], nan_xy[:, 1]).any())
        ball_bad = (math.isinf(ball[0]) or math.isinf(ball[1])
                    or math.isnan(ball[0]) != math.isnan(ball[1]))
        if not (bad or ball_bad):
            return
        players = inf_xy.any(axis=1) | (nan_xy[:, 0] != nan_xy[:, 1]) | inf_o
        xy[players] = np.nan
        o[players] = np.nan
        if ball_bad:
            ball[:] = np.nan
        self._counters["frames_bad_values"] += 1
        self._counters["players_bad_values"] += int(players.sum())
        self._error(f"push_frame: {int(players.sum())} player(s){' and the ball' if ball_bad else ''} "
                    "with infinite or half-missing coordinates (treated as missing)")

    def _frame_id_for(self, time_us: int, frame_id: int | None) -> int:
        r = self._roster
        if frame_id is not None:
            return int(frame_id)
        if r.frame0_id is not None and r.frame0_time_us is not None:
            return int(r.frame0_id + round((time_us - r.frame0_time_us) * self.config.rate_hz / 1e6))
        return self._frame_counter + 1

    def _after_frame(self, time_us: int, frame_id: int | None, t0: float, ingest_ms: float) -> GhostResult:
        fid = self._frame_id_for(time_us, frame_id)
        self._frame_counter += 1
        self._counters["frames"] += 1
        self._last_frame_id = fid
        t1 = time.perf_counter()
        self._detector.update(fid, self._hist_xy, self._hist_ball, self._hist_valid, self._passers)
        events_ms = (time.perf_counter() - t1) * 1e3
        # Fill the free input buffer and post it (latest wins: an unconsumed job is replaced).
        job = self._job_fill
        job.xy[...] = self._hist_xy[-3:]
        job.o[...] = self._hist_o[-3:]
        job.ball[...] = self._hist_ball[-3:]
        job.frame_id, job.time_us = fid, time_us
        job.tick_monotonic = time.monotonic()
        job.phase = self._detector.phase
        job.pass_forward_frame = self._detector.release_frame
        job.pass_arrived_frame = self._detector.arrival_frame
        job.ingest_ms, job.events_ms = ingest_ms, events_ms
        job.host_target = self._host_target
        with self._lock:
            if self._job_pending:
                self._counters["frames_skipped"] += 1
            self._job_fill, self._job_wait = self._job_wait, self._job_fill
            self._job_pending = True
            self._idle.clear()
        self._wake.set()
        return self.latest()

    def _worker_loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(timeout=0.1)
            self._wake.clear()
            while True:
                with self._lock:
                    if not self._job_pending:
                        self._idle.set()
                        break
                    self._job_work, self._job_wait = self._job_wait, self._job_work
                    self._job_pending = False
                    job = self._job_work
                try:
                    self._compute(job)
                except Exception as exc:  # never let the worker die
                    self._count("errors_inference")
                    self._error(f"worker: {type(exc).__name__}: {exc}")

    def _free_result_index(self) -> int:
        with self._lock:
            for i in range(3):
                if i != self._published and i != self._host_held:
                    return i
        return (self._published + 1) % 3  # unreachable with 3 buffers

    def _compute(self, job: _Job) -> None:
        t_start = time.perf_counter()
        idx = self._free_result_index()
        res = self._results[idx]
        dfd_all, rcv_all = self._defenders, self._receivers
        now_xy = job.xy[-1]
        # Only players seen in all three history frames can be ghosted.
        seen = np.isfinite(job.xy).all(axis=(0, 2))
        dfd = dfd_all[seen[dfd_all]]
        rcv = rcv_all[seen[rcv_all]]
        res._set_sizes(dfd.size, rcv.size)
        res.defender_ids[:] = self._roster.nfl_ids[dfd]
        res.receiver_ids[:] = self._roster.nfl_ids[rcv]
        res.defender_xy[...] = now_xy[dfd]
        res.receiver_xy[...] = now_xy[rcv]
        res.metric.fill(np.nan)
        res.ok = True
        res.frame_id, res.time_us, res.phase = job.frame_id, job.time_us, job.phase
        res.pass_forward_frame, res.pass_arrived_frame = job.pass_forward_frame, job.pass_arrived_frame
        res.ball_xy = (float(job.ball[-1, 0]), float(job.ball[-1, 1]))
        res._tick_monotonic = job.tick_monotonic
        res.timings_ms["ingest"] = job.ingest_ms
        res.timings_ms["events"] = job.events_ms
        for k in ("features_inference", "metric", "target"):
            res.timings_ms[k] = float("nan")

        # Receiver velocities from the filtered history (yd/s), used by target and metric.
        rcv_vel = (job.xy[-1, rcv] - job.xy[-2, rcv]) / self.dt_s

        t = time.perf_counter()
        res.target_index, res.target_nfl_id, res.target_source = -1, None, "none"
        if job.host_target >= 0 and job.host_target in rcv:
            res.target_index = int(np.flatnonzero(rcv == job.host_target)[0])
            res.target_source = "host"
        elif job.phase != "pre_throw" and rcv.size:
            ball_vel = (job.ball[-1] - job.ball[-2]) / self.dt_s
            res.target_index = infer_target(job.ball[-1], ball_vel, now_xy[rcv], rcv_vel)
            res.target_source = "ball_path" if res.target_index >= 0 else "none"
        if res.target_index >= 0:
            res.target_nfl_id = int(res.receiver_ids[res.target_index])
        res.timings_ms["target"] = (time.perf_counter() - t) * 1e3

        if self._model is None or not (dfd.size and rcv.size):
            res.mean.fill(np.nan)
            res.sigma.fill(np.nan)
            res.ok = self._model is not None
        else:
            t = time.perf_counter()
            try:
                if self._predict_into is not None:
                    self._predict_into(job.xy, job.o, job.ball, dfd, rcv, self._context,
                                       self.config.horizon, is_offense=self._is_offense,
                                       mean_out=res.mean, sigma_out=res.sigma)
                else:
                    ghosts = self._predict(job.xy, job.o, job.ball, dfd, rcv)
                    res.mean[...] = ghosts.mean
                    res.sigma[...] = ghosts.sigma
                self._counters["frames_inferred"] += 1
            except Exception as exc:
                res.mean.fill(np.nan)
                res.sigma.fill(np.nan)
                res.ok = False
                self._count("errors_inference")
                self._error(f"inference: {type(exc).__name__}: {exc}")
            res.timings_ms["features_inference"] = (time.perf_counter() - t) * 1e3
            if res.ok:
                t = time.perf_counter()
                try:
                    self._score(res, res.defender_xy, res.receiver_xy, rcv_vel)
                except Exception as exc:
                    self._count("errors_metric")
                    self._error(f"metric: {type(exc).__name__}: {exc}")
                res.timings_ms["metric"] = (time.perf_counter() - t) * 1e3
        res.timings_ms["total_worker"] = (time.perf_counter() - t_start) * 1e3
        with self._lock:
            self._published = idx

    def _score(self, res: GhostResult, dfd_xy: np.ndarray, rcv_xy: np.ndarray, rcv_vel: np.ndarray) -> None:
        """Metric of every ghost (start point + mean) against the receiver's constant-velocity
        extrapolation over the horizon (live basis; docs/metric.md, 'Live')."""
        from .metric import score_ghosts_into

        score_ghosts_into(dfd_xy, res.mean, rcv_xy, rcv_vel, self.dt_s, res.metric)

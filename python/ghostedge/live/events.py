"""Live events: pass release / arrival detection from the ball tag, and target inference."""

from __future__ import annotations

import math

import numpy as np

from .config import EngineConfig

PHASES = ("pre_throw", "in_air", "arrived")


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


"""Everything the engine keeps per roster (one play): the slots of its players, the ingest
pipeline for its tag registry, the frame history, the pass detector and the worker's input
buffers. Built by ``Engine.set_roster`` / ``activate`` on the control thread (all allocation
happens here); the feed thread then writes only into its arrays, and a roster change while
active is a swap of one :class:`PlayState` for another (docs/plugin-api.md).
"""

from __future__ import annotations

import math
import weakref
from types import SimpleNamespace

import numpy as np

from ..model.features import HISTORY, MAX_HISTORY
from .events import PassDetector
from .result import INGEST_ROW_FIELDS
from .roster import Roster

# Frames kept and handed to the model: it reads t-10..t (older steps of the players; missing
# ones repeat the newer step), the pass detector the last two. A player is ghosted when he is
# tracked in the last SCORED_FRAMES of them (t-2..t).
HISTORY_FRAMES = MAX_HISTORY
SCORED_FRAMES = HISTORY


def scorable_players(xy_hist: np.ndarray) -> np.ndarray:
    """bool [N]: the players of a history [H, N, 2] that can be ghosted, those tracked in all of
    its last SCORED_FRAMES frames (older frames may be missing). The engine's worker and the
    soak's clean comparator both choose so."""
    return np.isfinite(xy_hist[-SCORED_FRAMES:]).all(axis=(0, 2))


class Job:
    """Preallocated input snapshot for the worker (copied in the tick, read by the worker). A
    job belongs to one play: the worker reads the roster's slots through ``job.play()`` (a weak
    reference: no cycle between a play and its jobs, so a replaced play is freed at once)."""

    def __init__(self, play: PlayState, n: int) -> None:
        self.play = weakref.ref(play)
        self.xy = np.full((HISTORY_FRAMES, n, 2), np.nan)
        self.o = np.full((HISTORY_FRAMES, n), np.nan)
        self.ball = np.full((HISTORY_FRAMES, 2), np.nan)
        self.frame_id = -1
        self.time_us = 0
        self.tick_monotonic = 0.0
        self.phase = "pre_throw"
        self.pass_forward_frame: int | None = None
        self.pass_arrived_frame: int | None = None
        self.ingest_ms = float("nan")
        self.events_ms = float("nan")
        self.host_target = -1


class PlayState:
    """One roster's state (see the module docstring)."""

    def __init__(self, roster: Roster, config, dt_s: float, with_context: bool = True) -> None:
        self.roster = roster
        n = self.n_players = roster.n_players
        self.rate_hz = float(config.rate_hz)
        self.defenders = roster.defenders()
        self.receivers = roster.receivers()
        self.passers = roster.passers()
        self.nfl_ids = roster.nfl_ids
        self.is_offense = roster.offence_mask()
        self.slot_of_nfl = {int(v): i for i, v in enumerate(roster.nfl_ids)}
        self.context = self._model_context(roster) if with_context else None
        self.detector = PassDetector(config, dt_s)
        self.host_target = -1
        self.frame_counter = 0
        self.last_frame_id = -1
        # History: a ring of HISTORY_FRAMES frames stored twice (rows i and i + HISTORY_FRAMES),
        # so that the latest frames, oldest first, are always one contiguous slice: a new frame
        # moves the window's start (views made once here) instead of copying the history.
        h = HISTORY_FRAMES
        self._ring_xy = np.full((2 * h, n, 2), np.nan)
        self._ring_o = np.full((2 * h, n), np.nan)
        self._ring_ball = np.full((2 * h, 2), np.nan)
        self._windows = [(self._ring_xy[k + 1:k + 1 + h], self._ring_o[k + 1:k + 1 + h],
                          self._ring_ball[k + 1:k + 1 + h]) for k in range(h)]
        self._ring_head = 0
        self.hist_xy, self.hist_o, self.hist_ball = self._windows[0]
        self.hist_valid = 0
        self._bad_scratch = (np.zeros((n, 2), bool), np.zeros((n, 2), bool), np.zeros(n, bool))
        # The worker's inputs: one filled by the feed thread, one waiting, one being worked on.
        self.jobs = [Job(self, n) for _ in range(3)]
        self.job_fill = self.jobs[0]
        self.pipeline = None
        if roster.registry is not None:
            from ..ingest.pipeline import IngestPipeline

            self.pipeline = IngestPipeline(roster.registry, rate_hz=config.rate_hz)
            # ingest slot -> roster slot (a tagged player the roster does not list is ignored)
            ids = np.asarray(self.pipeline.nfl_ids, dtype=np.int64)
            slot = np.array([self.slot_of_nfl.get(int(v), -1) for v in ids], dtype=np.int64)
            self.ingest_src = np.flatnonzero(slot >= 0)  # ingest slots the roster knows
            self.ingest_dst = slot[self.ingest_src]  # their roster slots
            self.ingest_rows = np.full((len(INGEST_ROW_FIELDS), int(self.pipeline.n_players) + 1), np.nan)
            # tick_into writes row 0 of each [1, n + 1] array: views of one [3, n + 1] block
            self.ingest_out = {k: self.ingest_rows[i:i + 1] for i, k in enumerate(INGEST_ROW_FIELDS)}
            self.ingest_gather = np.empty((3, self.ingest_src.size))

    @staticmethod
    def _model_context(roster: Roster):
        """The model's play context (``ghostedge.model.frames.PlayContext``) from the roster's
        static data; built once per roster."""
        from ..model.frames import PlayContext

        return PlayContext.from_play(SimpleNamespace(
            context=roster.context, possession_team=roster.offence, play_direction=roster.play_direction))

    def free_job(self, pending: Job | None, working: Job | None) -> Job:
        """A job of this play that is neither waiting nor being worked on (there is always one)."""
        for job in self.jobs:
            if job is not pending and job is not working:
                return job
        raise RuntimeError("no free job buffer")  # unreachable: 3 jobs, at most 2 in use

    def frame_id_for(self, time_us: int, frame_id: int | None) -> int:
        r = self.roster
        if frame_id is not None:
            return int(frame_id)
        if r.frame0_id is not None and r.frame0_time_us is not None:
            return int(r.frame0_id + round((time_us - r.frame0_time_us) * self.rate_hz / 1e6))
        return self.frame_counter + 1

    # -- history (feed thread) ----------------------------------------------------------------
    def advance_history(self) -> None:
        """Make the window end at a fresh row for the new frame (write it, then commit)."""
        self._ring_head = (self._ring_head + 1) % HISTORY_FRAMES
        self.hist_xy, self.hist_o, self.hist_ball = self._windows[self._ring_head]
        self.hist_valid = min(self.hist_valid + 1, HISTORY_FRAMES)

    def commit_history(self) -> None:
        """Copy the new frame (row head + HISTORY_FRAMES) to its twin row (head)."""
        h = self._ring_head
        np.copyto(self._ring_xy[h], self._ring_xy[h + HISTORY_FRAMES])
        np.copyto(self._ring_o[h], self._ring_o[h + HISTORY_FRAMES])
        np.copyto(self._ring_ball[h], self._ring_ball[h + HISTORY_FRAMES])

    def drop_bad_values(self) -> tuple[int, bool] | None:
        """push_frame input: a position with an infinite coordinate, or with one coordinate NaN
        and the other not, and an infinite orientation are bad values, not a missing player
        (NaN in both): made missing. Ball likewise. Returns None on a clean frame (no
        allocation then), else (players made missing, ball made missing)."""
        xy, o, ball = self.hist_xy[-1], self.hist_o[-1], self.hist_ball[-1]
        inf_xy, nan_xy, inf_o = self._bad_scratch
        np.isinf(xy, out=inf_xy)
        np.isnan(xy, out=nan_xy)
        np.isinf(o, out=inf_o)
        bad = inf_xy.any() or inf_o.any() or bool(np.not_equal(nan_xy[:, 0], nan_xy[:, 1]).any())
        ball_bad = (math.isinf(ball[0]) or math.isinf(ball[1])
                    or math.isnan(ball[0]) != math.isnan(ball[1]))
        if not (bad or ball_bad):
            return None
        players = inf_xy.any(axis=1) | (nan_xy[:, 0] != nan_xy[:, 1]) | inf_o
        xy[players] = np.nan
        o[players] = np.nan
        if ball_bad:
            ball[:] = np.nan
        return int(players.sum()), bool(ball_bad)

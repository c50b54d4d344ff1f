"""One frame's output of the engine (:class:`GhostResult`) and the ingest-row adapter."""

from __future__ import annotations

import numpy as np

from ..jsonsafe import finite_or_none, rounded_list

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
            "errors_calls_inactive", "errors_model_load", "errors_worker_stuck", "errors_shm", "frames_bad_values",
            "players_bad_values")


ARRAY_FIELDS = ("defender_ids", "receiver_ids", "defender_xy", "receiver_xy", "mean", "sigma", "metric")
# What the worker writes per result and a reader's view shows as it was published.
_PUBLISHED_SCALARS = ("frame_id", "time_us", "phase", "ok", "target_nfl_id", "target_index",
                      "target_source", "pass_forward_frame", "pass_arrived_frame", "ball_xy",
                      "sequence", "_tick_monotonic")


class GhostResult:
    """One frame's output. A result returned by :meth:`Engine.latest` / :meth:`Engine.tick` /
    :meth:`Engine.push_frame` is the calling thread's own view (read-only arrays) of an
    engine-owned buffer: it does not change until that same thread's next such call on the
    engine; other threads' calls leave it alone. Call :meth:`copy` to keep it longer.

    Shapes: D defensive backs, R eligible receivers, H horizon frames. Positions are raw field
    coordinates in yards; ``mean[d, r, k]`` is where defender d is predicted k+1 frames after
    ``time_us`` if the ball goes to receiver r; ``sigma`` its per-axis standard deviation.
    """

    __slots__ = ("frame_id", "time_us", "dt_s", "phase", "stale", "ok", "age_s", "frames_behind",
                 "defender_ids", "receiver_ids", "defender_xy", "receiver_xy", "ball_xy",
                 "mean", "sigma", "metric", "target_nfl_id", "target_index", "target_source",
                 "pass_forward_frame", "pass_arrived_frame", "timings_ms", "counters",
                 "last_error", "sequence", "_tick_monotonic", "_buffers", "_horizon", "_source",
                 "_frozen")

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
        self._source: GhostResult | None = None
        self._set_sizes(0, 0)
        self._reset_scalars()
        self._freeze()

    def _freeze(self) -> None:
        """Read-only views of the arrays as they are now, for the reader views to share: made
        once per publication by the worker (``_show`` then only points at them)."""
        views = []
        for name in ARRAY_FIELDS:
            view = getattr(self, name).view()
            view.flags.writeable = False
            views.append(view)
        self._frozen = tuple(views)

    @classmethod
    def _reader_view(cls, horizon: int, dt_s: float) -> GhostResult:
        """A result without buffers of its own: one reader thread's window on the published
        buffers (:meth:`_show`). Made once per reader at activation."""
        view = cls(0, 0, horizon, dt_s)
        view._buffers = {}
        return view

    def _show(self, src: GhostResult) -> None:
        """Make this reader view show the published buffer ``src``: its read-only array views
        (``_freeze``) and a copy of what the worker wrote. Nothing is done when it shows ``src``'s
        current publication already (the same buffer and sequence number)."""
        if self._source is src and self.sequence == src.sequence:
            return
        self._source = src
        for name, arr in zip(ARRAY_FIELDS, src._frozen):
            setattr(self, name, arr)
        for name in _PUBLISHED_SCALARS:
            setattr(self, name, getattr(src, name))
        self.timings_ms.update(src.timings_ms)

    def _reset_scalars(self) -> None:
        self.frame_id, self.time_us, self.phase = -1, 0, "pre_throw"
        self.stale, self.ok, self.age_s, self.frames_behind = True, False, float("inf"), 0
        self.target_nfl_id, self.target_index, self.target_source = None, -1, "none"
        self.pass_forward_frame = self.pass_arrived_frame = None
        self.ball_xy = (float("nan"), float("nan"))
        self.last_error = ""
        self.sequence = 0  # the engine's publication number (0: nothing published yet)
        self._tick_monotonic = 0.0

    def _set_sizes(self, d: int, r: int) -> None:
        b = self._buffers
        self.defender_ids, self.receiver_ids = b["defender_ids"][:d], b["receiver_ids"][:r]
        self.defender_xy, self.receiver_xy = b["defender_xy"][:d], b["receiver_xy"][:r]
        size = d * r * self._horizon * 2
        self.mean = b["mean"][:size].reshape(d, r, self._horizon, 2)
        self.sigma = b["sigma"][:size].reshape(d, r, self._horizon, 2)
        self.metric = b["metric"][:d * r].reshape(d, r)

    def copy(self) -> GhostResult:
        """A deep copy the engine will not overwrite."""
        d, r = len(self.defender_ids), len(self.receiver_ids)
        out = GhostResult(max(d, 1), max(r, 1), self.mean.shape[2] if self.mean.ndim == 4 else 1, self.dt_s)
        out._set_sizes(d, r)
        for name in ARRAY_FIELDS:
            getattr(out, name)[...] = getattr(self, name)
        for name in (*_PUBLISHED_SCALARS, "stale", "age_s", "frames_behind", "last_error"):
            setattr(out, name, getattr(self, name))
        out.timings_ms = dict(self.timings_ms)
        out.counters = dict(self.counters)
        out._freeze()
        return out

    def header_dict(self) -> dict:
        """Everything but the per-ghost arrays, JSON-able: the network's ``frame`` object is this
        plus its type and version (docs/network-protocol.md)."""
        return {
            "frame_id": int(self.frame_id), "time_us": int(self.time_us),
            "age_ms": finite_or_none(self.age_s * 1e3, 2), "frames_behind": int(self.frames_behind),
            "stale": bool(self.stale), "ok": bool(self.ok), "phase": self.phase,
            "target_nfl_id": None if self.target_nfl_id is None else int(self.target_nfl_id),
            "target_source": self.target_source,
            "pass_forward_frame": self.pass_forward_frame, "pass_arrived_frame": self.pass_arrived_frame,
            "horizon": int(self.mean.shape[2]) if self.mean.ndim == 4 else 0, "dt_s": self.dt_s,
            "defender_ids": [int(v) for v in self.defender_ids],
            "receiver_ids": [int(v) for v in self.receiver_ids],
            "timings_ms": {k: finite_or_none(v, 4) for k, v in self.timings_ms.items()},
            "counters": {k: int(v) for k, v in self.counters.items()},
            "last_error": self.last_error,
        }

    def to_dict(self) -> dict:
        """The whole result, JSON-able (NaN -> None): :meth:`header_dict` plus the arrays."""
        return {
            **self.header_dict(),
            "defender_xy": rounded_list(self.defender_xy), "receiver_xy": rounded_list(self.receiver_xy),
            "ball_xy": rounded_list(self.ball_xy), "mean": rounded_list(self.mean),
            "sigma": rounded_list(self.sigma), "metric": rounded_list(self.metric),
        }

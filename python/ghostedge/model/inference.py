"""Ghost trajectories with ONNX Runtime - the API the metric, the live engine and the replay use.

``GhostModel`` loads the shipped model (``ghostedge/models/ghostedge_ghost.onnx`` from the
installed package, else ``models/`` of the source tree) with the best available execution
provider (TensorRT -> CUDA -> CPU). ``predict_frame`` scores every defender x receiver pair of a
frame in one batched call; ``ghost_play`` does the same from a :class:`Play` (counterfactuals).
"""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from ..data.play import Play
from .features import (
    HISTORY,
    MAX_HISTORY,
    N_FEATURES,
    _core,
    feature_indices,
    frames_read,
    history_rows,
    offense_mask,
)
from .frames import DT_S, WINDOW_H, PlayContext

MODEL_FILENAME = "ghostedge_ghost.onnx"
PROVIDER_PRIORITY = ("TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider")
SUPPORTED_FORMATS = ("1",)
MAX_PAIRS = 11 * 11  # the largest roster: 11 defensive backs x 11 eligible receivers
TYPICAL_PAIRS = 7 * 5  # a typical frame (7 defensive backs x 5 receivers): TensorRT tunes for it


class ModelError(RuntimeError):
    """The model file exists but cannot be used (corrupt, or built for another feature layout)."""


@dataclass
class Ghosts:
    """Predicted trajectories for every defender x receiver pair of one frame (raw field yards).

    mean / sigma [D, R, H, 2]: positions at t+1 .. t+H and the per-axis standard deviation;
    pairs that could not be scored (a player or the ball missing at t-2..t) are NaN and
    ``valid`` is False for them.
    """

    mean: np.ndarray
    sigma: np.ndarray
    valid: np.ndarray  # [D, R] bool
    defenders: np.ndarray  # [D] player indices (into the play's / frame's player axis)
    receivers: np.ndarray  # [R] player indices
    frame_id: int | None = None
    defender_ids: np.ndarray | None = None  # [D] nflIds when built from a Play
    receiver_ids: np.ndarray | None = None  # [R] nflIds when built from a Play


def default_model_path() -> Path:
    """The installed package's model, else the source tree's models/ folder."""
    try:
        res = resources.files("ghostedge").joinpath("models", MODEL_FILENAME)
        if res.is_file():
            return Path(str(res))
    except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError):
        pass
    return Path(__file__).resolve().parents[3] / "models" / MODEL_FILENAME


def choose_providers(requested: list[str] | None = None) -> list[str]:
    """Requested (or TensorRT/CUDA/CPU) providers that this onnxruntime offers, CPU always last."""
    import onnxruntime as ort

    available = set(ort.get_available_providers())
    wanted = list(requested) if requested else list(PROVIDER_PRIORITY)
    chosen = [p for p in wanted if p in available and p != "CPUExecutionProvider"]
    return chosen + ["CPUExecutionProvider"]


def _provider_args(chosen: list[str], path: Path, max_pairs: int) -> list:
    """``providers=`` for the session: TensorRT gets an explicit optimisation profile over batch
    sizes 1..max_pairs (its engine is built once for all of them, never rebuilt for a new batch
    size during a game); the others take no options."""
    if "TensorrtExecutionProvider" not in chosen:
        return chosen
    import onnxruntime as ort

    # The profile names the input and its width: read them from a CPU session first.
    probe = ort.InferenceSession(str(path), sess_options=session_options(), providers=["CPUExecutionProvider"])
    inp = probe.get_inputs()[0]
    width = inp.shape[-1]
    profile = {"trt_profile_min_shapes": f"{inp.name}:1x{width}",
               "trt_profile_opt_shapes": f"{inp.name}:{min(max_pairs, TYPICAL_PAIRS)}x{width}",
               "trt_profile_max_shapes": f"{inp.name}:{max_pairs}x{width}"}
    return [(p, profile) if p == "TensorrtExecutionProvider" else p for p in chosen]


def session_options(threads: int = 1):
    """ONNX Runtime options for the per-frame calls. One frame is a tiny batch (~35 rows): a
    second thread costs more than it saves (measured: ``python -m ghostedge.model.latency``),
    and the graph is a chain, so it runs sequentially with every graph optimisation on."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.log_severity_level = 3
    return opts


class _FrameBuffers:
    """Preallocated arrays for up to ``max_pairs`` defender x receiver pairs per
    ``predict_frame`` call: the C++ feature output, the model input and validity, the
    defenders' start positions and the two model outputs, with one ONNX Runtime IO binding per
    batch size 1..max_pairs over prefixes of the same arrays, all built here. A call then
    neither allocates nor copies them, and never builds a binding (``GhostModel.reserve``)."""

    def __init__(self, session, max_pairs: int, n_inputs: int, horizon: int, only_batch: int | None = None):
        import onnxruntime as ort

        self.max_pairs = int(max_pairs)
        self.features = np.empty(self.max_pairs * N_FEATURES, np.float32)  # [D, R, F] prefixes
        self.inputs = np.zeros((self.max_pairs, n_inputs), np.float32)
        self.valid = np.zeros(self.max_pairs, np.uint8)
        self.start = np.empty((self.max_pairs, 2))  # at most one defender per pair
        self.mean = np.empty((self.max_pairs, horizon, 2), np.float32)
        self.sigma = np.empty((self.max_pairs, horizon, 2), np.float32)
        in_name = session.get_inputs()[0].name
        out_names = [o.name for o in session.get_outputs()]
        self.bindings: list = [None]  # bindings[b]: batch b (0: nothing to run)
        for b in range(1, self.max_pairs + 1):
            if only_batch is not None and b != only_batch:  # a one-off call binds its batch only
                self.bindings.append(None)
                continue
            binding = session.io_binding()
            binding.bind_ortvalue_input(in_name, ort.OrtValue.ortvalue_from_numpy(self.inputs[:b]))
            for name, array in zip(out_names, (self.mean[:b], self.sigma[:b])):
                binding.bind_ortvalue_output(name, ort.OrtValue.ortvalue_from_numpy(array))
            self.bindings.append(binding)

    def batch(self, n_defenders: int, n_receivers: int) -> _Batch:
        """Views of the arrays for one D x R frame (views only: no array is allocated)."""
        b = n_defenders * n_receivers
        return _Batch(self.features[:b * N_FEATURES].reshape(n_defenders, n_receivers, N_FEATURES),
                      self.inputs[:b], self.valid[:b], self.start[:n_defenders], self.mean[:b],
                      self.sigma[:b], self.bindings[b], b)


@dataclass
class _Batch:
    features: np.ndarray  # [D, R, F] float32
    inputs: np.ndarray  # [B, n_inputs] float32
    valid: np.ndarray  # [B] uint8
    start: np.ndarray  # [D, 2]
    mean: np.ndarray  # [B, H_model, 2] float32
    sigma: np.ndarray
    binding: object  # the IO binding of batch B (None when B == 0)
    batch: int


class GhostModel:
    """An ONNX Runtime session of the ghost model plus the feature/coordinate plumbing.

    ``max_pairs``: the largest defender x receiver batch of one ``predict_frame`` call that runs
    on preallocated, IO-bound buffers (default 11 x 11, the largest roster); built here, grown
    only by :meth:`reserve`. With TensorRT the engine's optimisation profile covers batch sizes
    1..max_pairs, so no batch size in that range rebuilds it."""

    def __init__(self, path: str | Path | None = None, providers: list[str] | None = None,
                 max_pairs: int = MAX_PAIRS):
        import onnxruntime as ort

        self.path = Path(path) if path is not None else default_model_path()
        if not self.path.is_file():
            raise FileNotFoundError(f"ghost model not found: {self.path}")
        if int(max_pairs) < 1:
            raise ValueError(f"max_pairs must be >= 1, got {max_pairs}")
        opts = session_options()
        try:
            chosen = choose_providers(providers)
            self.session = ort.InferenceSession(str(self.path), sess_options=opts,
                                                providers=_provider_args(chosen, self.path, int(max_pairs)))
        except Exception as exc:  # onnxruntime raises several types for unreadable files
            raise ModelError(f"cannot load ghost model {self.path}: {exc}") from exc
        self.providers: list[str] = list(self.session.get_providers())
        meta = self.session.get_modelmeta().custom_metadata_map
        if meta.get("ghostedge_format") not in SUPPORTED_FORMATS:
            raise ModelError(f"{self.path} is not a ghostedge ghost model of a supported format "
                             f"(ghostedge_format={meta.get('ghostedge_format')!r})")
        try:
            self.feature_names: list[str] = json.loads(meta["feature_names"])
            self.horizon = int(meta["horizon"])
            self._columns = feature_indices(self.feature_names)
            # Frames of history the model reads (t-history+1 .. t).
            self.history = frames_read(self.feature_names)
            # The games it trained / validated on ({gameId: 'train' | 'val'}); None for models
            # that do not record them (evaluation then uses the CRC split).
            self.split_games: dict[int, str] | None = None
            if "split_games" in meta:
                games = json.loads(meta["split_games"])
                self.split_games = {int(g): name for name in ("train", "val") for g in games.get(name, [])}
            # The frame interval the model was trained at (models exported before the key
            # existed were all trained on the 10 Hz feed).
            self.frame_dt_s = float(meta.get("frame_dt_s", DT_S))
        except (KeyError, ValueError) as exc:
            raise ModelError(f"{self.path}: incompatible model metadata: {exc}") from exc
        if not (math.isfinite(self.frame_dt_s) and self.frame_dt_s > 0):
            raise ModelError(f"{self.path}: frame_dt_s must be a positive number, got {self.frame_dt_s}")
        self.metadata = dict(meta)
        self._input = self.session.get_inputs()[0].name
        if self.session.get_inputs()[0].shape[-1] != len(self.feature_names):
            raise ModelError(f"{self.path}: input width does not match its feature list")
        self._context_cache: tuple = (None, None)  # (PlayContext, its float64 vector)
        self._columns = np.ascontiguousarray(self._columns, dtype=np.int64)
        self._lock = threading.Lock()
        self.io_bindings_built = 0  # IO bindings created over the model's life (reserve only)
        self.oversize_calls = 0  # calls beyond max_pairs: served on one-off buffers (allocating)
        self._frames: _FrameBuffers | None = None
        self.reserve(int(max_pairs))

    @property
    def frame_rate_hz(self) -> float:
        """The tracking frame rate the model was trained at (1 / ``frame_dt_s``)."""
        return 1.0 / self.frame_dt_s

    @property
    def max_pairs(self) -> int:
        return self._frames.max_pairs if self._frames is not None else 0

    def reserve(self, max_pairs: int) -> None:
        """Preallocate buffers and IO bindings for batches of up to ``max_pairs`` pairs (no-op
        when they exist already). Not real-time: the engine calls it in ``activate()``."""
        with self._lock:
            if self._frames is not None and self._frames.max_pairs >= max_pairs:
                return
            self._frames = _FrameBuffers(self.session, int(max_pairs), len(self._columns), self.horizon)
            self.io_bindings_built += int(max_pairs)

    # -- the model-frame core, shared by evaluation and the per-frame calls ----------------
    def run_features(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Candidate features [B, F_all] -> (mean, sigma [B, H_MAX, 2] model-frame displacement
        from p[t], valid [B]). Rows with any NaN among the used features come back NaN."""
        x = np.asarray(features, dtype=np.float32)
        if x.ndim != 2 or x.shape[1] != N_FEATURES:
            raise ValueError(f"features: expected shape (B, {N_FEATURES}), got {x.shape}")
        inputs = np.empty((x.shape[0], len(self._columns)), np.float32)
        valid_u8 = np.empty(x.shape[0], np.uint8)  # unusable rows are zeroed in inputs
        _core.select_model_inputs(np.ascontiguousarray(x), self._columns, inputs, valid_u8)
        valid = valid_u8.astype(bool)
        if x.shape[0] == 0:
            empty = np.zeros((0, self.horizon, 2), np.float32)
            return empty, empty.copy(), valid
        mean, sigma = self.session.run(None, {self._input: inputs})
        mean[~valid] = np.nan
        sigma[~valid] = np.nan
        return mean, sigma, valid

    def _check_horizon(self, horizon: int) -> int:
        horizon = int(horizon)
        if not 1 <= horizon <= self.horizon:
            raise ValueError(f"horizon must be 1..{self.horizon} frames, got {horizon}")
        return horizon

    def predict_frame(self, xy_hist, o_hist, ball_hist, defenders, receivers, context: PlayContext,
                      horizon: int = WINDOW_H, *, is_offense=None, landing=None) -> Ghosts:
        """Ghosts of every defender against every receiver from the frames up to t.

        xy_hist [H, N, 2] raw field positions of all players (rows t-H+1 .. t, 3 <= H <= 11;
        pass ``self.history`` frames: with fewer, the model's history features repeat the
        newest step, as for a player missing in the older frames), o_hist [H, N] orientation in
        degrees (NaN = unknown), ball_hist [H, 2]; defenders / receivers: player indices;
        context: the play (direction, line of scrimmage, down, ...); is_offense [N] bool, by
        default the receivers are the offence and everyone else the defence; landing [R, 3]
        float64: where and when the ball thrown to each receiver lands (raw field x, y, seconds
        after t), when known - None (or a NaN row) lets the feature builder estimate it, as
        live. One ONNX call.
        """
        horizon = self._check_horizon(horizon)
        defenders = np.ascontiguousarray(defenders, dtype=np.int64).reshape(-1)
        receivers = np.ascontiguousarray(receivers, dtype=np.int64).reshape(-1)
        mean = np.empty((defenders.size, receivers.size, horizon, 2))
        sigma = np.empty_like(mean)
        valid = self.predict_frame_into(xy_hist, o_hist, ball_hist, defenders, receivers, context,
                                        horizon, is_offense=is_offense, landing=landing,
                                        mean_out=mean, sigma_out=sigma)
        return Ghosts(mean=mean, sigma=sigma, valid=valid, defenders=defenders, receivers=receivers)

    def predict_frame_into(self, xy_hist, o_hist, ball_hist, defenders, receivers,
                           context: PlayContext, horizon: int, *, is_offense=None, landing=None,
                           mean_out: np.ndarray, sigma_out: np.ndarray) -> np.ndarray:
        """:meth:`predict_frame` into caller-owned float64 C-contiguous arrays mean_out /
        sigma_out [D, R, horizon, 2] (the live engine's result buffers); returns valid [D, R].
        Per call: the C++ features, the model input rows, one ONNX Runtime call on preallocated
        IO-bound buffers, and the C++ conversion back to field yards - no per-pair Python."""
        horizon = self._check_horizon(horizon)
        xy = np.ascontiguousarray(xy_hist, dtype=np.float64)
        if xy.ndim != 3 or not HISTORY <= xy.shape[0] <= MAX_HISTORY or xy.shape[2] != 2:
            raise ValueError(f"xy_hist: expected shape (H, N, 2) with {HISTORY} <= H <= {MAX_HISTORY}, "
                             f"got {xy.shape}")
        n = xy.shape[1]
        defenders = np.ascontiguousarray(defenders, dtype=np.int64).reshape(-1)
        receivers = np.ascontiguousarray(receivers, dtype=np.int64).reshape(-1)
        if is_offense is None:
            off = np.zeros(n, np.uint8)
            off[receivers[(receivers >= 0) & (receivers < n)]] = 1
        else:
            off = np.ascontiguousarray(is_offense, dtype=np.uint8).reshape(-1)
        d, r = defenders.size, receivers.size
        cached = self._context_cache  # one read: another thread may replace it
        if cached[0] is not context:  # PlayContext is frozen: one vector per context object
            cached = self._context_cache = (context, context.vector())
        with self._lock:  # the buffers below are shared by every call
            frames = self._frames
            if d * r > frames.max_pairs or d > frames.max_pairs:  # beyond reserve(): one-off buffers
                self.oversize_calls += 1
                frames = _FrameBuffers(self.session, max(d * r, d), len(self._columns), self.horizon,
                                       only_batch=d * r)
            buffers = frames.batch(d, r)
            _core.build_pair_features(
                xy, np.ascontiguousarray(o_hist, dtype=np.float64), np.ascontiguousarray(ball_hist, dtype=np.float64),
                off, cached[1], defenders, receivers, context.play_left, False, buffers.features,
                None if landing is None else np.ascontiguousarray(landing, dtype=np.float64),
            )
            _core.select_model_inputs(buffers.features, self._columns, buffers.inputs,
                                      buffers.valid)
            if buffers.batch:  # invalid rows run on zeros; their outputs become NaN below
                self.session.run_with_iobinding(buffers.binding)
            in_range = (defenders >= 0) & (defenders < n)
            if in_range.all():
                np.take(xy[-1], defenders, axis=0, out=buffers.start)
            else:
                buffers.start.fill(np.nan)
                buffers.start[in_range] = xy[-1, defenders[in_range]]
            _core.model_outputs_to_field(buffers.mean, buffers.sigma, buffers.valid, buffers.start,
                                         horizon, context.play_left, False, mean_out, sigma_out)
            return buffers.valid.reshape(d, r).astype(bool)

    def _frame_buffers(self, n_defenders: int, n_receivers: int) -> _Batch:
        """The preallocated arrays and IO binding a D x R frame runs on (benchmarks)."""
        return self._frames.batch(n_defenders, n_receivers)

    def ghost_play(self, play: Play, frame_id: int, target_nfl_id: int | None = None,
                   horizon: int | None = None) -> Ghosts:
        """Ghosts of the play's defensive backs at ``frame_id`` for one target receiver (all
        eligible receivers when None). Horizon defaults to the frames left until the pass
        arrives (at least 10, at most the model's)."""
        t = play.frame_index(frame_id)
        if t < HISTORY - 1:
            raise ValueError(f"frame {frame_id} has fewer than {HISTORY - 1} frames of history")
        if horizon is None:
            left = (play.pass_arrived_frame - int(frame_id)) if play.pass_arrived_frame else WINDOW_H
            horizon = min(max(left, WINDOW_H), self.horizon)
        receivers = (np.array([play.player_index(target_nfl_id)]) if target_nfl_id is not None
                     else play.eligible_receivers())
        defenders = play.defensive_backs()
        sl = history_rows(t, self.history)
        g = self.predict_frame(play.xy[sl], play.o[sl], play.ball_xy[sl], defenders, receivers,
                               PlayContext.from_play(play), horizon, is_offense=offense_mask(play))
        g.frame_id = int(frame_id)
        g.defender_ids = play.nfl_ids[defenders]
        g.receiver_ids = play.nfl_ids[receivers]
        return g


_DEFAULT: GhostModel | None = None


def default_model() -> GhostModel:
    """The shipped model, loaded once per process."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = GhostModel()
    return _DEFAULT


def ghost_play(play: Play, frame_id: int, target_nfl_id: int | None = None, horizon: int | None = None,
               model: GhostModel | None = None) -> Ghosts:
    """Counterfactual ghosts of a play's defensive backs (see :meth:`GhostModel.ghost_play`)."""
    return (model or default_model()).ghost_play(play, frame_id, target_nfl_id, horizon)

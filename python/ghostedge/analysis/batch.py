"""Season-scale scoring of recorded plays (``ghostedge batch``, docs/batch.md): every pass play of
a partition through the offline path — ghosts and the composite metric for the actual target
(:func:`ghostedge.analysis.reference.score_play`), ghosts for every eligible receiver and their
ranking (:func:`ghostedge.analysis.decisions.analyse_decision`), completion probability where a
model exists — as rows of five tables (plays, defenders, receivers, skipped, errors).

Pure: a partition's tables depend only on its plays, the model and the seed, never on which
process or machine scores it or in what order, so every engine writes the same rows. The
engines (process pool, Ray) are in ``batch_engines``; where partitions come from and how they
are stored, in ``batch_store``.
"""

from __future__ import annotations

import functools
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from ..constants import DT_S
from ..data.play import Play
from .decisions import Decision, analyse_decision
from .metric import flight_of
from .reference import PlayScores, score_play

MESSAGE_MAX_CHARS = 2000  # an error message longer than this is cut (a traceback has no place here)


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    unit: str  # "" when the column has none (ids, names, flags, counts)
    doc: str


def _columns(*cols: tuple) -> tuple[Column, ...]:
    return tuple(Column(*c) for c in cols)


_KEY = (("partition", pa.string(), "", "partition the row was written by (docs/batch.md, Partitions)"),
        ("game_id", pa.int64(), "", "gameId"),
        ("play_id", pa.int64(), "", "playId"))

# The tables, their columns in order, types and units: docs/batch.md lists the same (tested).
TABLES: dict[str, tuple[Column, ...]] = {
    "plays": _columns(
        *_KEY,
        ("quarter", pa.int32(), "", "quarter (null when the data has none)"),
        ("down", pa.int32(), "", "down (null when the data has none)"),
        ("yards_to_go", pa.float64(), "yd", "yards to go (null when the data has none)"),
        ("possession_team", pa.string(), "", "club on offence"),
        ("defensive_team", pa.string(), "", "club on defence"),
        ("pass_forward_frame_id", pa.int64(), "", "frameId of the throw"),
        ("pass_arrived_frame_id", pa.int64(), "", "frameId of the ball's arrival"),
        ("flight_s", pa.float64(), "s", "throw to arrival"),
        ("target_nfl_id", pa.int64(), "", "nflId of the actual target"),
        ("n_defenders", pa.int32(), "", "defensive backs of the defending club"),
        ("n_defenders_scored", pa.int32(), "",
         "defensive backs tracked over the whole flight and its input history (metric not null)"),
        ("metric_actual", pa.float64(), "dimensionless",
         "composite metric of the tracked defenders against the target, mean over the scored "
         "defenders weighted by relevance (docs/metric.md; lower = tighter coverage)"),
        ("metric_predicted", pa.float64(), "dimensionless", "the same for the model's ghosts"),
        ("metric_perturbed", pa.float64(), "dimensionless",
         "the same for the ghosts with the reference perturbation (docs/metric.md)"),
        ("ghost_rmse_yd", pa.float64(), "yd",
         "ghosts against the tracked defenders over the flight, sqrt((MSE_x + MSE_y) / 2)"),
        ("n_receivers", pa.int32(), "", "eligible receivers ghosted as the target"),
        ("target_rank", pa.int32(), "", "the actual target's rank among them (1 = most open)"),
        ("target_separation_yd", pa.float64(), "yd",
         "the actual target to his nearest ghost defender at arrival"),
        ("best_alternative_nfl_id", pa.int64(), "", "the most open receiver who was not the target"),
        ("best_alternative_separation_yd", pa.float64(), "yd",
         "that receiver to his nearest ghost defender at arrival"),
        ("completion_probability", pa.float64(), "probability 0-1",
         "of the actual target; null until a completion model exists (docs/batch.md)"),
    ),
    "defenders": _columns(
        *_KEY,
        ("nfl_id", pa.int64(), "", "the defensive back's nflId"),
        ("name", pa.string(), "", "displayName"),
        ("position", pa.string(), "", "roster position (CB, SS, FS, S, DB)"),
        ("metric_actual", pa.float64(), "dimensionless",
         "composite metric of his tracked path against the target (null: not scored, a frame missing)"),
        ("metric_predicted", pa.float64(), "dimensionless", "of his ghost"),
        ("metric_perturbed", pa.float64(), "dimensionless",
         "of his ghost, mean over the play's perturbed ghost sets (docs/metric.md)"),
        ("relevance", pa.float64(), "0-1", "his weight in the play's means: closeness to the target at the throw (docs/metric.md)"),
        ("actual_distance_at_arrival_yd", pa.float64(), "yd", "tracked position to the target at arrival"),
        ("ghost_distance_at_arrival_yd", pa.float64(), "yd", "ghost to the target at arrival"),
    ),
    "receivers": _columns(
        *_KEY,
        ("nfl_id", pa.int64(), "", "the eligible receiver's nflId"),
        ("name", pa.string(), "", "displayName"),
        ("position", pa.string(), "", "roster position"),
        ("is_target", pa.bool_(), "", "the ball went to him"),
        ("rank", pa.int32(), "", "1 = most open (docs/metric.md, Quarterback decisions)"),
        ("separation_yd", pa.float64(), "yd",
         "to the nearest ghost defender at arrival, ghosts rolled out for him as the target"),
        ("coverage_score", pa.float64(), "dimensionless", "composite metric of that nearest ghost defender against him"),
        ("closest_defender_nfl_id", pa.int64(), "", "that defender"),
        ("completion_probability", pa.float64(), "probability 0-1",
         "had the ball gone to him; null until a completion model exists"),
    ),
    "skipped": _columns(
        *_KEY,
        ("reason", pa.string(), "",
         "not_a_pass, no_target, no_flight, no_defensive_backs or target_track_gap (docs/batch.md)"),
    ),
    "errors": _columns(
        ("partition", pa.string(), "", "partition the error was met in"),
        ("game_id", pa.int64(), "", "gameId (null when the failure was not a play's, e.g. a file)"),
        ("play_id", pa.int64(), "", "playId (null likewise)"),
        ("stage", pa.string(), "", "load, build, metric, decisions, completion or rows (docs/batch.md)"),
        ("message", pa.string(), "", "the exception's type and message"),
    ),
}
SCHEMAS: dict[str, pa.Schema] = {
    name: pa.schema([pa.field(c.name, c.type, metadata={"unit": c.unit, "doc": c.doc}) for c in cols])
    for name, cols in TABLES.items()
}
# Row order of each table (with the partition first): the same whatever the order plays came in.
SORT_KEYS: dict[str, tuple[str, ...]] = {
    "plays": ("partition", "game_id", "play_id"),
    "defenders": ("partition", "game_id", "play_id", "nfl_id"),
    "receivers": ("partition", "game_id", "play_id", "nfl_id"),
    "skipped": ("partition", "game_id", "play_id"),
    "errors": ("partition", "game_id", "play_id", "stage", "message"),
}
SKIP_REASONS = ("not_a_pass", "no_target", "no_flight", "no_defensive_backs", "target_track_gap")


class PlayFailure(Exception):
    """A play failed at a stage of the offline path; the cause is chained."""

    def __init__(self, stage: str, cause: BaseException):
        super().__init__(f"{stage}: {describe(cause)}")
        self.stage = stage


def describe(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= MESSAGE_MAX_CHARS else text[: MESSAGE_MAX_CHARS - 3] + "..."


@functools.cache
def completion_model():
    """The shipped completion-probability model (``ghostedge.model.completion``), loaded once per
    process; None when the installation has none (the columns are then null)."""
    from ..model.completion import CompletionModel

    try:
        return CompletionModel()
    except FileNotFoundError:
        return None


def completion_probabilities(play: Play, decision: Decision) -> dict[int, float] | None:
    """Completion probability of each eligible receiver of ``decision`` ({nflId: p}) had the ball
    gone to him, as the decision computed it with the completion model (docs/completion.md);
    None when no completion model was used."""
    probs = {o.nfl_id: float(o.completion_probability) for o in decision.options
             if np.isfinite(o.completion_probability)}
    return probs or None


def _finite(value) -> float | None:
    """A float, or None for NaN, infinity, None and what is not a number (a missing field)."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if np.isfinite(value) else None


def _opt_int(value) -> int | None:
    value = _finite(value)
    return None if value is None else int(value)


def _mean(values: np.ndarray, weights: np.ndarray) -> float | None:
    """The play's mean over its scored defenders, weighted by relevance (as the reference table)."""
    ok = np.isfinite(values) & np.isfinite(weights)
    return float(np.sum(values[ok] * weights[ok]) / np.sum(weights[ok])) if ok.any() and weights[ok].sum() > 0 else None


def skip_reason(play: Play) -> str | None:
    """Why ``play`` cannot be scored before any model call (None: it can, so far)."""
    if play.pass_forward_frame is None:
        return "not_a_pass"
    if play.target_nfl_id is None:
        return "no_target"
    flight = flight_of(play)
    if flight is None:
        return "no_flight"  # no arrival frame after the throw, target untracked, or throw in frame 1-2
    if flight.defenders.size == 0:
        return "no_defensive_backs"
    return None


@dataclass
class PlayRows:
    play: dict
    defenders: list[dict]
    receivers: list[dict]


def score_pass_play(play: Play, model, seed: int = 0) -> PlayRows | str:
    """The rows of one pass play, or the reason it was skipped (:data:`SKIP_REASONS`).
    Raises :class:`PlayFailure` naming the stage that failed."""
    reason = skip_reason(play)
    if reason is not None:
        return reason
    try:
        scores = score_play(play, model, seed=seed)
    except Exception as exc:
        raise PlayFailure("metric", exc) from exc
    if scores is None:
        return "target_track_gap"
    try:
        decision = analyse_decision(play, model, completion_model=completion_model())
    except Exception as exc:
        raise PlayFailure("decisions", exc) from exc
    try:
        probability = completion_probabilities(play, decision) or {}
    except Exception as exc:
        raise PlayFailure("completion", exc) from exc
    return _rows(play, scores, decision, probability)


def _rows(play: Play, scores: PlayScores, decision: Decision, probability: dict[int, float]) -> PlayRows:
    key = {"game_id": int(play.game_id), "play_id": int(play.play_id)}
    target = int(play.target_nfl_id)
    ctx = play.context
    # Distances at arrival to the target: tracked, and the ghosts rolled out for him.
    t1 = decision.t1
    target_xy = play.xy[t1, play.player_index(target)]
    actual_at_arrival = np.linalg.norm(play.xy[t1, scores.defenders] - target_xy, axis=-1)
    ghost_paths = decision.ghosts[target]  # [D, H+1, 2], defenders in decision.defenders' order
    ghost_by_player = dict(zip(decision.defenders.tolist(),
                               np.linalg.norm(ghost_paths[:, -1] - target_xy, axis=-1)))
    defenders = []
    for i, p in enumerate(scores.defenders.tolist()):
        defenders.append({
            **key, "nfl_id": int(play.nfl_ids[p]), "name": str(play.name[p]),
            "position": str(play.position[p]),
            "metric_actual": _finite(scores.actual[i]), "metric_predicted": _finite(scores.predicted[i]),
            "metric_perturbed": _finite(scores.perturbed[i]), "relevance": _finite(scores.relevance[i]),
            "actual_distance_at_arrival_yd": _finite(actual_at_arrival[i]),
            "ghost_distance_at_arrival_yd": _finite(ghost_by_player.get(p, np.nan)),
        })
    receivers = [{
        **key, "nfl_id": o.nfl_id, "name": o.name, "position": o.position, "is_target": o.is_actual_target,
        "rank": o.rank, "separation_yd": _finite(o.separation_at_arrival),
        "coverage_score": _finite(o.coverage_score), "closest_defender_nfl_id": o.closest_defender_nfl_id,
        "completion_probability": probability.get(o.nfl_id),
    } for o in decision.options]
    actual = next((o for o in decision.options if o.is_actual_target), None)
    alternative = next((o for o in decision.options if not o.is_actual_target), None)
    flight = flight_of(play)
    points = max(2 * scores.ghost_points, 1)
    row = {
        **key, "quarter": _opt_int(ctx.get("quarter")), "down": _opt_int(ctx.get("down")),
        "yards_to_go": _finite(ctx.get("yardsToGo")),
        "possession_team": play.possession_team, "defensive_team": play.defensive_team,
        "pass_forward_frame_id": int(play.pass_forward_frame), "pass_arrived_frame_id": int(play.pass_arrived_frame),
        "flight_s": flight.n_steps * DT_S, "target_nfl_id": target,
        "n_defenders": int(scores.defenders.size), "n_defenders_scored": int(np.isfinite(scores.actual).sum()),
        "metric_actual": _mean(scores.actual, scores.relevance),
        "metric_predicted": _mean(scores.predicted, scores.relevance),
        "metric_perturbed": _mean(scores.perturbed, scores.relevance),
        "ghost_rmse_yd": float(np.sqrt(scores.ghost_sq_error / points)) if scores.ghost_points else None,
        "n_receivers": len(decision.options),
        "target_rank": None if actual is None else actual.rank,
        "target_separation_yd": None if actual is None else _finite(actual.separation_at_arrival),
        "best_alternative_nfl_id": None if alternative is None else alternative.nfl_id,
        "best_alternative_separation_yd": None if alternative is None else _finite(alternative.separation_at_arrival),
        "completion_probability": probability.get(target),
    }
    return PlayRows(row, defenders, receivers)


def _without_throw(dataset, keys: list[tuple[int, int]]) -> set[tuple[int, int]]:
    """Plays whose plays-table row has no throw frame: ``Play.pass_forward_frame`` would be None
    (the loader fills ``passForwardFrameId`` from the events too), so they are skipped as
    ``not_a_pass`` without building them (building is most of a play's cost)."""
    plays = dataset.plays
    if plays is None or "passForwardFrameId" not in plays.columns:
        return set()
    thrown = plays.loc[plays["passForwardFrameId"].notna(), ["gameId", "playId"]]
    with_throw = {(int(g), int(p)) for g, p in thrown.itertuples(index=False)}
    return {k for k in keys if k not in with_throw}


def _plays_of(dataset, keys: list[tuple[int, int]]) -> Iterator[tuple[tuple[int, int], Play | BaseException]]:
    """(key, play) for the plays ``keys`` of ``dataset`` through ``Dataset.iter_plays``, or (key,
    exception) for a play that could not be built; the plays after it are still built."""
    remaining = dict.fromkeys(keys)  # ordered
    while remaining:
        try:
            for play in dataset.iter_plays(list(remaining)):
                key = (int(play.game_id), int(play.play_id))
                remaining.pop(key, None)
                yield key, play
            return
        except Exception as exc:  # the failing play is the first of those not yet built
            key = next(iter(remaining))
            del remaining[key]
            yield key, exc


@dataclass
class PartitionResult:
    """What scoring one partition produced: its tables and counts (docs/batch.md, the manifest)."""

    partition: str
    tables: dict[str, pa.Table]
    counts: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> plays
    seconds: float = 0.0
    loaded: bool = True  # False: the partition's input could not be read (nothing else was done)
    peak_rss_mb: float | None = None  # of the process that scored it, when it finished (Linux)
    cpu_s: float = 0.0  # CPU time of that process on this partition (load and scoring)


class _Rows:
    def __init__(self, partition: str):
        self.partition = partition
        self.rows: dict[str, list[dict]] = {name: [] for name in TABLES}

    def add(self, table: str, row: dict) -> None:
        self.rows[table].append({"partition": self.partition, **row})

    def error(self, stage: str, message: str, key: tuple[int, int] | None = None) -> None:
        game, play = key if key is not None else (None, None)
        self.add("errors", {"game_id": game, "play_id": play, "stage": stage, "message": message})

    def tables(self) -> dict[str, pa.Table]:
        out = {}
        for name, rows in self.rows.items():
            table = pa.Table.from_pylist(rows, schema=SCHEMAS[name])
            out[name] = table.sort_by([(k, "ascending") for k in SORT_KEYS[name]]) if rows else table
        return out


def failed_partition(partition: str, stage: str, exc: BaseException, where: str = "") -> PartitionResult:
    """The result of a partition whose input (``where``) could not be read at all: one error row."""
    rows = _Rows(partition)
    rows.error(stage, f"{where}: {describe(exc)}" if where else describe(exc))
    return PartitionResult(partition, rows.tables(), {"plays": 0, "scored": 0, "errors": 1}, {}, loaded=False)


def score_partition(partition: str, dataset, model, seed: int = 0) -> PartitionResult:
    """Every play of ``dataset`` (a :class:`ghostedge.data.Dataset`) through
    :func:`score_pass_play`: the partition's tables, rows sorted (:data:`SORT_KEYS`). A play that
    fails is an ``errors`` row and the others go on; files the loader refused
    (``Dataset.rejected_files``) are ``load`` errors."""
    start = time.perf_counter()
    rows = _Rows(partition)
    for rejected in getattr(dataset, "rejected_files", None) or []:
        rows.error("load", f"{rejected.get('path', '?')}: {rejected.get('reason', 'rejected')}")
    skipped: Counter = Counter()
    keys = [(int(g), int(p)) for g, p in dataset.play_keys()]
    not_thrown = _without_throw(dataset, keys)
    for key in keys:
        if key in not_thrown:
            skipped["not_a_pass"] += 1
            rows.add("skipped", {"game_id": key[0], "play_id": key[1], "reason": "not_a_pass"})
    n_plays, n_scored = len(not_thrown), 0
    for key, play in _plays_of(dataset, [k for k in keys if k not in not_thrown]):
        n_plays += 1
        if isinstance(play, BaseException):
            rows.error("build", describe(play), key)
            continue
        try:
            result = score_pass_play(play, model, seed)
        except PlayFailure as exc:
            rows.error(exc.stage, describe(exc.__cause__), key)
            continue
        except Exception as exc:  # classifying the play or shaping its rows
            rows.error("rows", describe(exc), key)
            continue
        if isinstance(result, str):
            skipped[result] += 1
            rows.add("skipped", {"game_id": key[0], "play_id": key[1], "reason": result})
            continue
        n_scored += 1
        rows.add("plays", result.play)
        for r in result.defenders:
            rows.add("defenders", r)
        for r in result.receivers:
            rows.add("receivers", r)
    counts = {"plays": n_plays, "scored": n_scored, "skipped": sum(skipped.values()),
              "errors": len(rows.rows["errors"])}
    return PartitionResult(partition, rows.tables(), counts, dict(sorted(skipped.items())),
                           time.perf_counter() - start)

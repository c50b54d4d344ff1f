"""Benchmarks of the installed package on this machine (``ghostedge bench``): per-frame latency
by stage through the live engine, inference alone by batch size and provider, decode and batch
throughput, and the machine's facts (the last three, and the timing tools, in ``bench_parts``;
the table and the plot in ``bench_report``). It needs nothing but the package: the sample plays it ships
(``ghostedge.data.load_samples``) and its model (or any ``model_path``); no torch, no
repository. A measurement, never a test: nothing here asserts on time.

**Frames.** Each sample play becomes a tag-read packet stream (the simulator, default noise,
one seed per round) and is replayed through a fresh :class:`~ghostedge.live.Engine` as a host
drives it: per 10 Hz frame, ``push_packets`` for the packets due by that frame (the packet
schedule of ``ingest.schedule``), then ``tick``; then the benchmark waits for the inference
worker (``flush``), so two frames' stages never overlap. The roster ghosts D defenders x R
receivers: the play's defensive backs and eligible receivers first, then the other players of
each side in roster order (the samples have 4-5 DBs x 5 receivers, so 7 x 5 adds linebackers and
the worst case 11 x 11 ghosts everyone against everyone). Only frames with all D x R pairs
scored count (``frames_fewer_pairs`` says how many had a player missing).

**Frame latency** = the wall time of the frame's ``push_packets`` and ``tick`` calls (host) + the
worker's own ``total_worker`` for that frame: the whole chain as if run synchronously, in the
engine's order (the definition ``bench/run.py`` has always used). Stages: ``decode``
(``push_packets``: the decoder runs as bytes arrive), ``fuse_filter`` (the tick's ingest),
``events`` (pass detection), ``target``, ``features`` (C++ pair features, input selection,
conversion to field yards and glue: the engine's ``features_inference`` minus the model call),
``model_call`` (the one ONNX Runtime ``run_with_iobinding`` of the frame, timed by a wrapper
around the model's session) and ``metric``; ``frame_cpu`` is the process CPU time over the
frame, which leaves out other processes' preemption.

**Pacing.** ``back_to_back``: the next frame as soon as the worker is done (replay speed).
``10hz``: frame k starts at k x 100 ms, as a host calls ``tick``; the machine idles between
frames, which on some VMs makes the next burst of work slower (bench/RESULTS.md measures it).
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np

from ..constants import FRAME_RATE_HZ
from ..data.play import Play
from ..ingest.pipeline import IngestPipeline
from ..ingest.schedule import packets_by_frame
from ..live import Engine, EngineConfig, Roster
from ..model.inference import GhostModel, ModelError
from .bench_parts import (  # noqa: F401  (re-exported: the benchmarks' timing tools)
    PROVIDERS,
    best_rate,
    call_times,
    latency_stats,
    ort_providers,
    time_per_call,
)
from .simulator import SimulatedPlay, simulate_play

MAX_PER_SIDE = 11
PACINGS = ("back_to_back", "10hz")
STAGES = ("decode", "fuse_filter", "events", "target", "features", "model_call", "metric", "host",
          "worker", "frame", "frame_cpu")

# How much each mode measures (seconds per timing loop, rounds, paced length, batch sizes).
MODES = {
    "quick": dict(rounds=1, paced_s=3.0, min_time_s=0.25, batch_sizes=(1, 35, 121, 1024, 8192)),
    "full": dict(rounds=3, paced_s=20.0, min_time_s=1.5,
                 batch_sizes=(1, 35, 121, 1024, 8192, 65536)),
}

# Top-level keys of the JSON, always present (null when not measured). For --model; the
# --compare-model's figures are under "compare" with the same keys.
HEADLINE_KEYS = (
    "pairs_per_frame", "provider",
    "frame_latency_p50_ms", "frame_latency_p99_ms", "frame_latency_max_ms",
    "frame_cpu_p50_ms", "frame_cpu_p99_ms", "model_call_p50_ms", "model_call_p99_ms",
    "paced_frame_latency_p50_ms", "paced_frame_latency_p99_ms",
    "worst_case_frame_latency_p50_ms", "worst_case_frame_latency_p99_ms",
    "worst_case_paced_frame_latency_p99_ms",
    "inference_ms_at_frame_batch", "batch_inference_pairs_per_s",
    "decode_reads_per_s", "batch_filter_player_frames_per_s",
)


# ---------------------------------------------------------------------------- arguments


def parse_providers(text: str | None) -> tuple[str, ...] | None:
    """``"cpu,cuda"`` -> ("cpu", "cuda"); None stays None (every available provider)."""
    if text is None:
        return None
    names = [p.strip().lower() for p in text.split(",") if p.strip()]
    unknown = [n for n in names if n not in PROVIDERS]
    if unknown or not names:
        what = f"unknown provider {', '.join(map(repr, unknown))}" if unknown else "no provider named"
        raise ValueError(f"--providers: {what}; give a comma-separated list of "
                         f"{', '.join(reversed(PROVIDERS))}")
    return tuple(dict.fromkeys(names))


def resolve_providers(requested: tuple[str, ...] | None) -> dict:
    """The providers to measure, in priority order: those requested (default: every one this
    onnxruntime offers) that are available; CPU when none of them is. ``missing``: requested
    but not available."""
    import onnxruntime as ort

    available = ort.get_available_providers()
    have = [n for n, p in PROVIDERS.items() if p in available]
    wanted = have if requested is None else [n for n in PROVIDERS if n in requested]
    used = [n for n in wanted if n in have] or ["cpu"]
    missing = [] if requested is None else [n for n in requested if n not in have]
    return {"available": available, "requested": None if requested is None else list(requested),
            "used": used, "missing": missing}


@dataclass(frozen=True)
class FrameShape:
    defenders: int
    receivers: int

    @property
    def pairs(self) -> int:
        return self.defenders * self.receivers

    @property
    def name(self) -> str:
        return f"{self.defenders}x{self.receivers}"


WORST_CASE = FrameShape(MAX_PER_SIDE, MAX_PER_SIDE)


def shape_for_pairs(pairs: int) -> FrameShape:
    """D x R = ``pairs`` with D, R <= 11 (players per side): R = 5 (the usual number of eligible
    receivers) when it divides, else the most square."""
    if not 1 <= pairs <= WORST_CASE.pairs:
        raise ValueError(f"--pairs must be 1..{WORST_CASE.pairs} (at most {MAX_PER_SIDE} defenders x "
                         f"{MAX_PER_SIDE} receivers), got {pairs}")
    options = [(d, pairs // d) for d in range(1, MAX_PER_SIDE + 1)
               if pairs % d == 0 and pairs // d <= MAX_PER_SIDE]
    if not options:
        raise ValueError(f"--pairs {pairs} is not defenders x receivers with both <= {MAX_PER_SIDE} "
                         "(e.g. 35 = 7 x 5)")
    d, r = min(options, key=lambda o: (o[1] != 5, abs(o[0] - o[1]), -o[0]))
    return FrameShape(d, r)


@dataclass
class BenchConfig:
    quick: bool = False
    providers: tuple[str, ...] | None = None  # --providers names; None: every available one
    pairs: int = 35
    model_path: str | Path | None = None  # None: the shipped model
    compare_model_path: str | Path | None = None  # measured in the same run, interleaved
    out_dir: Path | None = None  # TensorRT engine cache (trt_cache/)
    seed: int = 0
    log: Callable[[str], None] = field(default=lambda msg: None, repr=False)


# ---------------------------------------------------------------------------- feeds and rosters


@dataclass
class FeedFrame:
    time_us: int
    frame_id: int
    packets: list[bytes]  # pushed before this frame's tick, in arrival order


@dataclass
class Feed:
    """A simulated play's packet stream grouped by the frame whose tick first sees them."""

    play: Play
    sim: SimulatedPlay
    frames: list[FeedFrame]


def make_feed(play: Play, seed: int = 0) -> Feed:
    sim = simulate_play(play, seed=seed)
    delay_us = round(IngestPipeline(sim.registry).delay_s * 1e6)  # the engine's pipeline's
    groups = packets_by_frame(sim.packets, sim.packet_times_us, sim.frame_times_us, delay_us)
    return Feed(play, sim, [FeedFrame(int(t), int(f), g)
                            for t, f, g in zip(sim.frame_times_us, play.frame_ids, groups)])


@dataclass
class ScenarioRoster(Roster):
    """A play's roster that ghosts chosen slots instead of the positions' DBs x receivers."""

    defender_slots: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    receiver_slots: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    def defenders(self) -> np.ndarray:
        return self.defender_slots

    def receivers(self) -> np.ndarray:
        return self.receiver_slots


def feed_roster(feed: Feed, shape: FrameShape | None = None) -> Roster:
    """The feed's roster; with ``shape``, one that ghosts shape.defenders x shape.receivers."""
    base = Roster.from_play(feed.play, registry=feed.sim.registry,
                            frame0_time_us=int(feed.sim.frame_times_us[0]))
    if shape is None:
        return base

    def side(first: np.ndarray, club: str) -> np.ndarray:
        rest = np.setdiff1d(np.flatnonzero(base.club == club), first)
        return np.concatenate([first, rest]).astype(np.int64)

    defence, offence = side(base.defenders(), base.defence), side(base.receivers(), base.offence)
    if defence.size < shape.defenders or offence.size < shape.receivers:
        raise ValueError(f"play {feed.play.game_id}/{feed.play.play_id} has {defence.size} defenders "
                         f"and {offence.size} offensive players: it cannot ghost {shape.name}")
    return ScenarioRoster(**{f.name: getattr(base, f.name) for f in fields(Roster)},
                          defender_slots=defence[:shape.defenders],
                          receiver_slots=offence[:shape.receivers])


# ---------------------------------------------------------------------------- the engine replay


class TimedSession:
    """An ONNX Runtime session whose ``run_with_iobinding`` (the model call of
    ``GhostModel.predict_frame_into``) keeps its wall time in ``last_ms``; the rest is the
    session's own. Costs two clock reads per call."""

    def __init__(self, session) -> None:
        self._session = session
        self.last_ms = float("nan")

    def run_with_iobinding(self, binding, run_options=None) -> None:
        t0 = time.perf_counter()
        self._session.run_with_iobinding(binding, run_options)
        self.last_ms = (time.perf_counter() - t0) * 1e3

    def __getattr__(self, name: str):
        return getattr(self._session, name)


def timed_model(path: str | Path | None, provider: str = "cpu") -> GhostModel:
    """The ghost model as the engine loads it for ``provider``, its model call timed."""
    model = GhostModel(path, providers=ort_providers(provider))
    model.session = TimedSession(model.session)
    return model


def replay_frames(model: GhostModel, feed: Feed, roster: Roster, period_s: float | None = None,
                  max_frames: int | None = None) -> list[dict]:
    """Replays ``feed`` through a fresh Engine using ``model``, flushed after every frame;
    ``period_s``: start frame k at k x period_s (paced), else back to back. One dict of stage
    times (ms) per frame."""
    engine = Engine(EngineConfig(require_model=True), model=model)
    engine.set_roster(roster)
    engine.activate()
    timer = model.session if isinstance(model.session, TimedSession) else None
    rows = []
    try:
        start = time.perf_counter()
        for k, fr in enumerate(feed.frames[:max_frames]):
            if period_s:
                time.sleep(max(0.0, start + k * period_s - time.perf_counter()))
            if timer is not None:
                timer.last_ms = float("nan")
            c0, t0 = time.process_time(), time.perf_counter()
            for pkt in fr.packets:
                engine.push_packets(pkt)
            t1 = time.perf_counter()
            engine.tick(fr.time_us, frame_id=fr.frame_id)
            t2 = time.perf_counter()
            if not engine.flush(timeout_s=10.0):
                raise RuntimeError("the engine's worker did not finish a frame within 10 s")
            cpu_ms = (time.process_time() - c0) * 1e3
            res = engine.latest()
            if res.frame_id != fr.frame_id:
                raise RuntimeError(f"result for frame {res.frame_id}, expected {fr.frame_id}")
            tm = res.timings_ms
            model_ms = timer.last_ms if timer is not None else float("nan")
            host = (t2 - t0) * 1e3
            rows.append({
                "frame_id": fr.frame_id, "ok": bool(res.ok),
                "pairs": int(res.mean.shape[0] * res.mean.shape[1]) if res.mean.ndim == 4 else 0,
                "decode": (t1 - t0) * 1e3, "fuse_filter": tm["ingest"], "events": tm["events"],
                "target": tm["target"], "features": tm["features_inference"] - model_ms,
                "model_call": model_ms, "metric": tm["metric"], "host": host,
                "worker": tm["total_worker"], "frame": host + tm["total_worker"],
                "frame_cpu": cpu_ms,
            })
        counters = engine.counters()
    finally:
        engine.close()
    errors = {k: v for k, v in counters.items() if k.startswith("errors_") and v}
    if errors:
        raise RuntimeError(f"engine errors during the replay: {errors} ({engine.last_error})")
    return rows


def summarise(rows: list[dict], pairs: int | None = None) -> dict:
    """Per-stage statistics over the scored frames (with exactly ``pairs`` pairs when given),
    and every frame's latency (ms) for distributions."""
    scored = [r for r in rows if r["ok"] and r["pairs"] > 0]
    full = [r for r in scored if pairs is None or r["pairs"] == pairs]
    return {"frames": len(full), "frames_fewer_pairs": len(scored) - len(full),
            "stages": {s: latency_stats([r[s] / 1e3 for r in full]) for s in STAGES},
            "frame_ms": [round(r["frame"], 4) for r in full]}


def frame_runs(models: dict[str, GhostModel], plays: list[Play], shapes: list[FrameShape],
               mode: dict, seed: int, log, feeds: dict[tuple[int, int], Feed]) -> list[dict]:
    """Every shape x pacing for every model (labels), the models interleaved play by play so
    that the machine's load falls on each alike. ``feeds``: (round, play index) -> Feed, filled
    as needed (round r simulates with seed + r)."""

    def feed(rnd: int, i: int) -> Feed:
        if (rnd, i) not in feeds:
            feeds[(rnd, i)] = make_feed(plays[i], seed=seed + rnd)
        return feeds[(rnd, i)]

    runs = []
    for shape in shapes:
        for pacing in PACINGS:
            if pacing == "back_to_back":
                schedule = [(r, i, None) for r in range(mode["rounds"]) for i in range(len(plays))]
            else:  # paced_s of frames, play after play
                schedule, left, i = [], int(mode["paced_s"] * FRAME_RATE_HZ), 0
                while left > 0:
                    n = min(left, plays[i % len(plays)].n_frames)
                    schedule.append((0, i % len(plays), n))
                    left, i = left - n, i + 1
            log(f"frames {shape.name} {pacing}: {sum(n or plays[i].n_frames for _, i, n in schedule)} "
                f"frames x {len(models)} model(s)")
            rows: dict[str, list[dict]] = {label: [] for label in models}
            period = None if pacing == "back_to_back" else 1.0 / FRAME_RATE_HZ
            for rnd, i, n in schedule:
                f = feed(rnd, i)
                roster = feed_roster(f, shape)
                for label, model in models.items():
                    rows[label] += replay_frames(model, f, roster, period, n)
            for label, model in models.items():
                runs.append({"model": label, "shape": shape.name, "pairs": shape.pairs,
                             "pacing": pacing, "session_providers": list(model.providers),
                             **summarise(rows[label], shape.pairs)})
    return runs


# ---------------------------------------------------------------------------- the whole run


def model_facts(path: Path) -> dict:
    """What identifies a model file: path, size, md5, and its metadata's shape of network."""
    import onnxruntime as ort

    meta = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).get_modelmeta()
    custom = meta.custom_metadata_map
    try:
        network = {k: v for k, v in json.loads(custom.get("network", "{}")).items()
                   if not isinstance(v, list)}
    except ValueError:
        network = None
    return {"path": str(path), "bytes": path.stat().st_size,
            "md5": hashlib.md5(path.read_bytes()).hexdigest(),
            "horizon": int(custom["horizon"]) if "horizon" in custom else None, "network": network}


def run_bench(cfg: BenchConfig) -> dict:
    """Every measurement of ``ghostedge bench``; a JSON-able dict (NaN where not measured)."""
    from ..data import load_samples
    from ..model.inference import default_model_path
    from . import bench_parts

    mode = MODES["quick" if cfg.quick else "full"]
    shape = shape_for_pairs(cfg.pairs)
    shapes = [shape] + ([WORST_CASE] if shape != WORST_CASE else [])
    providers = resolve_providers(cfg.providers)
    if providers["missing"]:
        print(f"ghostedge bench: provider(s) {', '.join(providers['missing'])} not available in "
              f"this onnxruntime (it offers {', '.join(providers['available'])}); measuring "
              f"{', '.join(providers['used'])}. GPU providers need onnxruntime-gpu installed "
              "instead of onnxruntime, and an NVIDIA GPU.", file=sys.stderr)
    paths = {"model": Path(cfg.model_path) if cfg.model_path else default_model_path()}
    if cfg.compare_model_path:
        paths["compare"] = Path(cfg.compare_model_path)
    for p in paths.values():
        try:
            GhostModel(p, providers=["CPUExecutionProvider"])  # a usable ghost model, or why not
        except ModelError as exc:
            raise ValueError(str(exc)) from exc
    t_start = time.perf_counter()
    result: dict = {"mode": "quick" if cfg.quick else "full", "machine": bench_parts.machine_facts(),
                    "providers": providers, "shape": shape.name,
                    "models": {label: model_facts(p) for label, p in paths.items()}}
    ds = load_samples()
    plays = [p for p in ds.iter_plays(ds.play_keys())]
    cfg.log(f"{len(plays)} sample plays, {sum(p.n_frames for p in plays)} frames; providers "
            f"{', '.join(providers['used'])}")
    runs: list[dict] = []
    feeds: dict[tuple[int, int], Feed] = {}
    errors: dict[str, str] = {}
    for name in providers["used"]:
        try:
            models = {label: timed_model(p, name) for label, p in paths.items()}
            runs += [{"provider": name, **r}
                     for r in frame_runs(models, plays, shapes, mode, cfg.seed, cfg.log, feeds)]
        except Exception as exc:  # a GPU provider failing must not hide the others' figures
            if name == "cpu":
                raise
            errors[f"frames.{name}"] = f"{type(exc).__name__}: {exc}"
            cfg.log(f"frames on {name} FAILED: {errors[f'frames.{name}']}")
    result["frames"] = runs
    cfg.log("inference alone ...")
    cache = (cfg.out_dir / "trt_cache") if cfg.out_dir else None
    batches = sorted({*mode["batch_sizes"], shape.pairs, WORST_CASE.pairs})
    result["inference"] = bench_parts.inference_sweep(paths, providers["used"], batches,
                                                      mode["min_time_s"], cache, shape.pairs, cfg.log)
    errors.update(result["inference"].pop("errors"))
    result["errors"] = errors  # what failed on a provider (the rest was measured)
    cfg.log("throughput ...")
    streams = [b"".join(feeds[(0, i)].sim.packets) for i in range(len(plays))]
    result["throughput"] = bench_parts.throughput(plays, streams, mode["min_time_s"], cfg.seed)
    head = {label: headline(result, label, shape) for label in paths}
    result.update(head["model"])
    result["compare"] = None
    if "compare" in head:
        ratios = {k: head["compare"][k] / v for k, v in head["model"].items()
                  if isinstance(v, float) and v and isinstance(head["compare"][k], float)}
        result["compare"] = {**head["compare"], "ratio_compare_to_model": ratios}
    result["machine"]["load_avg_1m_end"] = bench_parts.load_average()
    result["wall_s"] = round(time.perf_counter() - t_start, 1)
    return result


def headline(result: dict, label: str, shape: FrameShape) -> dict:
    """The HEADLINE_KEYS of one model: its frames on the first (highest-priority) provider."""
    provider = result["providers"]["used"][0]

    def stage(shape_name: str, pacing: str, name: str, stat: str):
        for run in result["frames"]:
            if (run["model"], run["provider"], run["shape"], run["pacing"]) == \
                    (label, provider, shape_name, pacing) and run["frames"]:
                return run["stages"][name][stat]
        return None

    rows = [r for r in result["inference"]["rows"] if r["model"] == label and r["provider"] == provider]
    at_frame = next((r["p50_ms"] for r in rows if r["batch"] == shape.pairs), None)
    largest = max(rows, key=lambda r: r["batch"]) if rows else None
    out = {
        "pairs_per_frame": shape.pairs, "provider": provider,
        "frame_latency_p50_ms": stage(shape.name, "back_to_back", "frame", "p50_ms"),
        "frame_latency_p99_ms": stage(shape.name, "back_to_back", "frame", "p99_ms"),
        "frame_latency_max_ms": stage(shape.name, "back_to_back", "frame", "max_ms"),
        "frame_cpu_p50_ms": stage(shape.name, "back_to_back", "frame_cpu", "p50_ms"),
        "frame_cpu_p99_ms": stage(shape.name, "back_to_back", "frame_cpu", "p99_ms"),
        "model_call_p50_ms": stage(shape.name, "back_to_back", "model_call", "p50_ms"),
        "model_call_p99_ms": stage(shape.name, "back_to_back", "model_call", "p99_ms"),
        "paced_frame_latency_p50_ms": stage(shape.name, "10hz", "frame", "p50_ms"),
        "paced_frame_latency_p99_ms": stage(shape.name, "10hz", "frame", "p99_ms"),
        "worst_case_frame_latency_p50_ms": stage(WORST_CASE.name, "back_to_back", "frame", "p50_ms"),
        "worst_case_frame_latency_p99_ms": stage(WORST_CASE.name, "back_to_back", "frame", "p99_ms"),
        "worst_case_paced_frame_latency_p99_ms": stage(WORST_CASE.name, "10hz", "frame", "p99_ms"),
        "inference_ms_at_frame_batch": at_frame,
        "batch_inference_pairs_per_s": largest["pairs_per_s"] if largest else None,
        "decode_reads_per_s": result["throughput"]["decode"]["reads_per_s"],
        "batch_filter_player_frames_per_s": result["throughput"]["batch_filter"]["player_frames_per_s"],
    }
    return out

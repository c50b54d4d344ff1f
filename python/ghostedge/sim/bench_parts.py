"""The parts of ``ghostedge bench`` (``sim/bench.py``) that need no engine: the timing tools
(also used by the repository's ``bench/`` scripts), inference alone by batch size and provider,
decode and batch-filter throughput, the machine's facts.

**Inference alone.** One ONNX Runtime session per model and provider with the engine's session
options (one intra-op thread, sequential, every graph optimisation), random unit-normal inputs
(an MLP costs the same whatever the values), bound once to an IO binding on the provider's
device: numpy memory on CPU (as the engine does), CUDA memory on CUDA and TensorRT, so that a
timed call moves no data; on a GPU ``with_copies_p50_ms`` adds the host -> device copy of the
input and the copy of both outputs back. TensorRT runs with an engine cache directory, FP16 and
one optimisation profile covering every batch measured; its first call at each batch size
(``first_call_ms``) includes any engine build. Every GPU session's outputs are compared with
the CPU session's on the same inputs (``max_abs_diff_vs_cpu``, model-frame yards), so that a
silent fallback or an FP16 accuracy loss shows.
"""

from __future__ import annotations

import os
import platform
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .. import _core
from ..data.play import Play
from ..ingest import wire
from ..ingest.pipeline import filter_tracks
from ..model.inference import session_options

# --providers names -> ONNX Runtime execution providers, in the engine's priority order.
PROVIDERS = {"tensorrt": "TensorrtExecutionProvider", "cuda": "CUDAExecutionProvider",
             "cpu": "CPUExecutionProvider"}
NOISE_YD = 2.0 / 36.0  # the simulator's default per-axis error, 2 in
AGREEMENT_BATCH = 1024  # rows compared between a GPU session and the CPU one


# ---------------------------------------------------------------------------- statistics


def latency_stats(samples_s) -> dict:
    """n, p50 / p99 / max / mean in milliseconds of durations given in seconds (NaN when empty)."""
    a = np.asarray(samples_s, dtype=np.float64) * 1e3
    if a.size == 0:
        nan = float("nan")
        return {"n": 0, "p50_ms": nan, "p99_ms": nan, "max_ms": nan, "mean_ms": nan}
    return {"n": int(a.size), "p50_ms": float(np.percentile(a, 50)),
            "p99_ms": float(np.percentile(a, 99)), "max_ms": float(a.max()),
            "mean_ms": float(a.mean())}


def call_times(fn: Callable[[], object], min_time_s: float, min_calls: int = 3) -> np.ndarray:
    """Seconds per call of ``fn`` over at least ``min_time_s`` and ``min_calls`` calls."""
    samples = []
    t_end = time.perf_counter() + min_time_s
    while len(samples) < min_calls or time.perf_counter() < t_end:
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return np.asarray(samples)


def time_per_call(fn: Callable[[], object], min_time_s: float, min_calls: int = 3) -> float:
    """Median seconds per call of ``fn`` (see :func:`call_times`)."""
    return float(np.median(call_times(fn, min_time_s, min_calls)))


def best_rate(fn: Callable[[], int], min_time_s: float, rounds: int = 5) -> float:
    """Items per second of ``fn`` (which returns how many items it processed): the best of
    ``rounds`` rounds of at least ``min_time_s / rounds`` each. Best-of, because on a shared
    machine interference only ever slows a round down."""
    best = 0.0
    per_round = max(min_time_s / rounds, 1e-3)
    for _ in range(rounds):
        items, t0 = 0, time.perf_counter()
        while True:
            items += fn()
            dt = time.perf_counter() - t0
            if dt >= per_round:
                break
        best = max(best, items / dt)
    return best


def ort_providers(name: str, options: dict | None = None) -> list:
    """The ONNX Runtime provider list of one --provider name: it first (with ``options``), then
    CUDA for the nodes TensorRT leaves, then CPU for the rest."""
    import onnxruntime as ort

    first = (PROVIDERS[name], options) if options else PROVIDERS[name]
    chain = [first]
    if name == "tensorrt" and PROVIDERS["cuda"] in ort.get_available_providers():
        chain.append(PROVIDERS["cuda"])
    if name != "cpu":
        chain.append(PROVIDERS["cpu"])
    return chain


# ---------------------------------------------------------------------------- inference alone


def sample_inputs(sess, batch: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Unit-normal inputs of the session's declared shapes, batch axis = ``batch``."""
    rng = np.random.default_rng(seed)
    feeds = {}
    for inp in sess.get_inputs():
        shape = [batch if not isinstance(d, int) or d <= 0 else d for d in inp.shape]
        if "int" in inp.type:
            feeds[inp.name] = rng.integers(0, 2, size=shape).astype(np.int64)
        else:
            feeds[inp.name] = rng.standard_normal(shape).astype(np.float32)
    return feeds


def tensorrt_options(cache_dir: Path, input_name: str, n_features: int, opt_batch: int,
                     max_batch: int) -> dict:
    """TensorRT provider options: engine cache in ``cache_dir``, FP16, one profile for all batches."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    return {"trt_engine_cache_enable": True, "trt_engine_cache_path": str(cache_dir),
            "trt_fp16_enable": True,
            "trt_profile_min_shapes": f"{input_name}:1x{n_features}",
            "trt_profile_opt_shapes": f"{input_name}:{opt_batch}x{n_features}",
            "trt_profile_max_shapes": f"{input_name}:{max_batch}x{n_features}"}


def open_session(path: Path, provider: str, cache_dir: Path | None, opt_batch: int, max_batch: int):
    """(session, provider options) of one model for one --providers name."""
    import onnxruntime as ort

    options = None
    if provider == "tensorrt":
        probe = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).get_inputs()[0]
        options = tensorrt_options(cache_dir or Path("trt_cache"), probe.name, int(probe.shape[-1]),
                                   opt_batch, max_batch)
    sess = ort.InferenceSession(str(path), sess_options=session_options(),
                                providers=ort_providers(provider, options))
    return sess, options


class BoundBatch:
    """One batch of inputs and outputs bound to a session on ``device`` ("cpu" or "cuda")."""

    def __init__(self, sess, batch: int, device: str, seed: int = 0) -> None:
        import onnxruntime as ort

        self.sess = sess
        (name, self.host_input), = sample_inputs(sess, batch, seed).items()
        self.input = ort.OrtValue.ortvalue_from_numpy(self.host_input, device, 0)
        self.binding = sess.io_binding()
        self.binding.bind_ortvalue_input(name, self.input)
        self.outputs = []
        for out in sess.get_outputs():
            shape = [batch, *out.shape[1:]]
            if not all(isinstance(d, int) for d in shape):
                raise ValueError(f"output {out.name} has a symbolic shape {out.shape} past the batch axis")
            value = ort.OrtValue.ortvalue_from_shape_and_type(shape, np.float32, device, 0)
            self.binding.bind_ortvalue_output(out.name, value)
            self.outputs.append(value)

    def run(self) -> None:
        self.sess.run_with_iobinding(self.binding)

    def run_with_copies(self) -> list[np.ndarray]:
        self.input.update_inplace(self.host_input)
        self.run()
        return [o.numpy() for o in self.outputs]


def inference_sweep(paths: dict[str, Path], providers: list[str], batch_sizes: list[int],
                    min_time_s: float, cache_dir: Path | None, opt_batch: int, log) -> dict:
    """Per provider, model and batch size: p50 / p99 of the IO-bound call and pairs per second."""
    rows, sessions, errors = [], [], {}
    cpu_out: dict[str, list[np.ndarray]] = {}
    for provider in providers:
        try:
            rows += _provider_sweep(paths, provider, batch_sizes, min_time_s, cache_dir,
                                    opt_batch, sessions, cpu_out, log)
        except Exception as exc:  # a GPU provider failing must not hide the others' figures
            if provider == "cpu":
                raise
            errors[f"inference.{provider}"] = f"{type(exc).__name__}: {exc}"
            log(f"inference on {provider} FAILED: {errors[f'inference.{provider}']}")
    return {"rows": rows, "sessions": sessions, "errors": errors}


def _provider_sweep(paths, provider, batch_sizes, min_time_s, cache_dir, opt_batch, sessions,
                    cpu_out, log) -> list[dict]:
    """One provider's rows of :func:`inference_sweep`; its sessions appended to ``sessions``;
    CPU outputs kept in / compared with ``cpu_out``."""
    rows = []
    device = "cpu" if provider == "cpu" else "cuda"
    opened = {}
    for label, path in paths.items():
        t0 = time.perf_counter()
        sess, options = open_session(path, provider, cache_dir, opt_batch, max(batch_sizes))
        opened[label] = sess
        sessions.append({"model": label, "provider": provider,
                         "session_providers": sess.get_providers(), "options": options,
                         "create_s": time.perf_counter() - t0})
    log(f"inference {provider}: batches {', '.join(map(str, batch_sizes))}")
    for batch in batch_sizes:
        for label, sess in opened.items():  # models interleaved per batch size
            bound = BoundBatch(sess, batch, device)
            t0 = time.perf_counter()
            bound.run()
            first_ms = (time.perf_counter() - t0) * 1e3
            t = call_times(bound.run, min_time_s)
            row = {"model": label, "provider": provider, "batch": batch,
                   "p50_ms": float(np.median(t)) * 1e3,
                   "p99_ms": float(np.percentile(t, 99)) * 1e3,
                   "pairs_per_s": batch / float(np.median(t)), "first_call_ms": first_ms,
                   "with_copies_p50_ms": None, "calls": int(t.size)}
            if device != "cpu":
                row["with_copies_p50_ms"] = float(np.median(
                    call_times(bound.run_with_copies, min_time_s / 2))) * 1e3
            rows.append(row)
    for label, sess in opened.items():  # agreement with the CPU session, same inputs
        bound = BoundBatch(sess, min(AGREEMENT_BATCH, max(batch_sizes)), device, seed=1)
        outs = bound.run_with_copies()
        entry = next(s for s in sessions if s["model"] == label and s["provider"] == provider)
        if provider == "cpu":
            cpu_out[label] = outs
        elif label in cpu_out:
            entry["max_abs_diff_vs_cpu"] = max(float(np.max(np.abs(a - b)))
                                               for a, b in zip(outs, cpu_out[label]))
    return rows


# ---------------------------------------------------------------------------- throughput


def noisy_tracks(play: Play, rng) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """time_us [T], x [T, N], y [T, N], o [T, N] of a real play with 2 in gaussian noise."""
    t = np.arange(play.n_frames, dtype=np.int64) * 100_000 + 1_568_000_000_000_000
    x = play.xy[..., 0] + rng.normal(0, NOISE_YD, play.xy.shape[:2])
    y = play.xy[..., 1] + rng.normal(0, NOISE_YD, play.xy.shape[:2])
    return t, np.ascontiguousarray(x), np.ascontiguousarray(y), np.ascontiguousarray(play.o)


def filter_points_per_s(tracks, min_time_s: float) -> float:
    """Player-frames per second of the batch filter over ``tracks`` (plays' noisy_tracks)."""
    points = sum(x.size for _, x, _, _ in tracks)

    def once() -> int:
        for t, x, y, o in tracks:
            filter_tracks(t, x, y, o)
        return points

    return best_rate(once, min_time_s, rounds=3)


def throughput(plays: list[Play], streams: list[bytes], min_time_s: float, seed: int = 0) -> dict:
    """Decode (``streams``: the plays' simulated packets, one decoder per stream, as the engine
    gets them) and the batch filter (the plays' tracking + 2 in noise, play by play), one core."""
    out = np.empty(max(wire.Decoder().max_reads(len(s)) for s in streams), wire.READ_DTYPE)

    def decode_all() -> int:
        return sum(wire.Decoder().feed_into(s, out) for s in streams)

    reads = decode_all()
    reads_per_s = best_rate(decode_all, min_time_s)
    n_bytes = sum(len(s) for s in streams)
    rng = np.random.default_rng(seed)
    tracks = [noisy_tracks(p, rng) for p in plays]
    return {
        "decode": {"method": "wire.Decoder.feed_into (allocation-free, one thread) on each sample "
                             "play's simulated stream, best of rounds",
                   "reads": reads, "stream_bytes": n_bytes, "reads_per_s": reads_per_s,
                   "bytes_per_s": reads_per_s * n_bytes / max(reads, 1),
                   "crc32c_hardware": bool(_core.crc32c_hardware())},
        "batch_filter": {"method": "ingest.filter_tracks (outlier gating + Kalman + s/a/dir/o) over "
                                   "the sample plays + 2 in noise, play by play, one core, best of rounds",
                         "player_frames": int(sum(x.size for _, x, _, _ in tracks)),
                         "player_frames_per_s": filter_points_per_s(tracks, min_time_s * 2)},
    }


# ---------------------------------------------------------------------------- the machine


def load_average() -> float | None:
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def machine_facts() -> dict:
    """CPU, cores, memory, GPUs (nvidia-smi) and driver, onnxruntime and its providers."""
    import onnxruntime as ort

    cores_usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "cpu": _cpu_model(), "cores": os.cpu_count(), "cores_usable": cores_usable,
        "memory_gib": _memory_gib(), "platform": platform.platform(),
        "python": platform.python_version(), "numpy": np.__version__,
        "onnxruntime": ort.__version__, "onnxruntime_providers": ort.get_available_providers(),
        "ghostedge": _core.__version__, "gpus": _gpus(), "load_avg_1m": load_average(),
    }


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def _gpus() -> list[dict] | None:
    """One entry per NVIDIA GPU (name, driver, memory); None where nvidia-smi is not there."""
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total",
                              "--format=csv,noheader,nounits"], capture_output=True, text=True,
                             timeout=20, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    gpus = []
    for line in out.strip().splitlines():
        name, driver, memory = (part.strip() for part in line.split(",")[:3])
        gpus.append({"name": name, "driver": driver, "memory_mib": memory})
    return gpus

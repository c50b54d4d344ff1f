"""Running a batch (docs/batch.md): plan the partitions of every source, skip those already
complete in the output folder, score the others in parallel and write each as it comes back.

Two engines give the same rows (scoring is pure: ``batch``): ``local``, a process pool on this
machine, and ``ray``, Ray tasks on a cluster (or on a local Ray this starts). Ray is an optional
extra (``pip install ghostedge[distributed]``), imported only by the Ray engine. Either way the
model reaches each worker once: a path that every pool process opens in its initializer, or the
file's bytes put once in Ray's object store and loaded once per Ray worker process.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .batch import PartitionResult, failed_partition, score_partition
from .batch_store import OutputStore, PartitionTask, Source, file_sha256, plan_folders, plan_source

ENGINES = ("local", "ray")
RUN_SUMMARY = "_run.json"


@dataclass
class BatchOptions:
    data: list[str]
    out: str
    engine: str = "local"
    workers: int | None = None  # default: this machine's CPUs (local), the cluster's (ray)
    address: str | None = None  # Ray cluster address; None: start a local Ray
    model: str | None = None  # ONNX ghost model; None: the shipped one
    seed: int = 0  # of the reference perturbation (docs/metric.md)
    progress: bool = True
    # Archived tag-read capture folders, each partition loaded by capture_loader(folder): the
    # command gives ghostedge.ingest.captures.capture_dataset (analysis does not import ingest).
    captures: list[str] = field(default_factory=list)
    capture_loader: Callable | None = None
    capture_suffix: str = ".getr"
    sources: list[Source] = field(default_factory=list)  # planned by run_batch


def _peak_rss_mb() -> float | None:
    """This process's peak resident memory (VmHWM: of this process image, unlike ru_maxrss,
    which a spawned worker inherits from the parent it was forked from), None off Linux."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def run_task(task: PartitionTask, model, seed: int) -> PartitionResult:
    """Load one partition and score it; a partition that cannot be loaded is one ``load`` error."""
    start, cpu_start = time.perf_counter(), time.process_time()
    try:
        dataset = task.load()
    except Exception as exc:
        result = failed_partition(task.id, "load", exc, where=task.inputs)
    else:
        result = score_partition(task.id, dataset, model, seed)
    result.seconds = time.perf_counter() - start
    result.cpu_s = time.process_time() - cpu_start
    result.peak_rss_mb = _peak_rss_mb()
    return result


# -- local: a process pool -------------------------------------------------------------------
_WORKER: dict = {}


def _init_pool_worker(model_path: str, seed: int) -> None:
    from ..model.inference import GhostModel

    _WORKER["model"], _WORKER["seed"] = GhostModel(model_path), seed


def _pool_score(task: PartitionTask) -> PartitionResult:
    return run_task(task, _WORKER["model"], _WORKER["seed"])


def local_results(tasks: Iterable[PartitionTask], model_path: Path, model_sha: str, seed: int,
                  workers: int | None, address: str | None = None, info: dict | None = None
                  ) -> Iterator[tuple[PartitionTask, PartitionResult]]:
    """(task, result) in the order they finish, from a pool of ``workers`` processes."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    if address is not None:
        raise ValueError("--address is for --engine ray")
    workers = workers or os.cpu_count() or 1
    if info is not None:
        info["workers"] = workers
    # spawn, not fork: the driver may hold threads (progress bar) and a loaded source.
    with ProcessPoolExecutor(max_workers=workers,
                             mp_context=multiprocessing.get_context("spawn"),
                             initializer=_init_pool_worker, initargs=(str(model_path), seed)) as pool:
        futures = {pool.submit(_pool_score, t): t for t in tasks}
        for future in as_completed(futures):
            task = futures.pop(future)
            try:
                result = future.result()
            except Exception as exc:  # the worker process died (the scoring itself never raises)
                result = failed_partition(task.id, "engine", exc, where=task.inputs)
            yield task, result


# -- ray: Ray tasks --------------------------------------------------------------------------
_RAY_MODELS: dict = {}


def _ray_score(task: PartitionTask, model_sha: str, model_box: list, seed: int) -> PartitionResult:
    """A Ray task. ``model_box`` holds the object-store reference of the model file's bytes, boxed
    in a list so that Ray does not fetch it for every task: only a worker process that has not
    loaded that model yet fetches it, writes it to a local file and opens it."""
    model = _RAY_MODELS.get(model_sha)
    if model is None:
        import ray

        from ..model.inference import GhostModel

        path = Path(tempfile.gettempdir()) / f"ghostedge-model-{model_sha}.onnx"
        if not path.is_file():
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            tmp.write_bytes(ray.get(model_box[0]))
            os.replace(tmp, path)
        model = _RAY_MODELS[model_sha] = GhostModel(path)
    return run_task(task, model, seed)


def ray_results(tasks: Iterable[PartitionTask], model_path: Path, model_sha: str, seed: int,
                workers: int | None, address: str | None = None, info: dict | None = None
                ) -> Iterator[tuple[PartitionTask, PartitionResult]]:
    """(task, result) in the order they finish, from Ray tasks (one CPU each) on the cluster at
    ``address`` (or the Ray this process is already connected to, or a local one it starts), at
    most ``workers`` (default: the cluster's CPUs) in flight."""
    try:
        import ray
    except ImportError:
        raise ValueError("--engine ray needs Ray: pip install 'ghostedge[distributed]'") from None
    started = not ray.is_initialized()
    if started:
        ray.init(address=address, num_cpus=workers if address is None else None,
                 include_dashboard=False, log_to_driver=False)
    try:
        model_ref = ray.put(model_path.read_bytes())
        remote = ray.remote(num_cpus=1)(_ray_score)
        limit = workers or max(int(ray.cluster_resources().get("CPU", 1)), 1)
        if info is not None:
            info["workers"] = limit
        queue, pending = iter(tasks), {}

        def submit() -> None:
            task = next(queue, None)
            if task is not None:
                pending[remote.remote(task, model_sha, [model_ref], seed)] = task.without_data()

        for _ in range(limit):
            submit()
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            task = pending.pop(done[0])
            try:
                result = ray.get(done[0])
            except Exception as exc:  # the task's worker died or Ray failed it
                result = failed_partition(task.id, "engine", exc, where=task.inputs)
            submit()
            yield task, result
    finally:
        if started:
            ray.shutdown()


# -- the run ---------------------------------------------------------------------------------
def _plan(options: BatchOptions, store: OutputStore, log) -> tuple[list[PartitionTask], Counter]:
    """Tasks still to do; counts of what was found complete, loaded and failed while planning."""
    counts: Counter = Counter()
    todo: list[PartitionTask] = []
    if options.captures and options.capture_loader is None:
        raise ValueError("captures need a capture_loader (ghostedge.ingest.captures.capture_dataset)")
    options.sources = [plan_source(d) for d in options.data] + [
        plan_folders(d, options.capture_suffix, options.capture_loader) for d in options.captures]
    for source in options.sources:
        tasks = source.tasks
        if source.split:
            tasks = store.read_index(source)
            if tasks is None or not all(store.is_complete(t) for t in tasks):
                log(f"loading {source.path} (split by game) ...")
                start = time.perf_counter()
                failed = PartitionTask(f"{source.key}.source", str(source.path), "source", source.fingerprint)
                try:
                    tasks = source.load_games()
                except Exception as exc:
                    store.write(failed, failed_partition(failed.id, "load", exc, where=failed.inputs))
                    counts["failed"] += 1
                    counts["errors"] += 1
                    continue
                store.forget(failed.id)  # an error row of an earlier attempt no longer holds
                counts["sources_loaded"] += 1
                counts["load_ms"] += int(1000 * (time.perf_counter() - start))
                store.write_index(source, tasks)
        for task in tasks:
            if store.is_complete(task):
                counts["already_complete"] += 1
            else:
                todo.append(task)
    return todo, counts


def run_batch(options: BatchOptions, log=None) -> dict:
    """Run a batch (module doc) and return its summary (also written to OUT/_run.json)."""
    from tqdm import tqdm

    from ..model.inference import GhostModel, default_model_path

    if options.engine not in ENGINES:
        raise ValueError(f"unknown engine {options.engine!r}: one of {', '.join(ENGINES)}")
    if options.workers is not None and options.workers < 1:
        raise ValueError(f"--workers must be >= 1, got {options.workers}")
    log = log or (lambda s: print(s, file=sys.stderr))
    start = time.perf_counter()
    model_path = Path(options.model) if options.model else default_model_path()
    GhostModel(model_path)  # a missing or unusable model fails here, before any work
    model_sha = file_sha256(model_path)
    store = OutputStore(options.out, {"model_sha256": model_sha, "seed": int(options.seed)})
    store.check_run()
    todo, counts = _plan(options, store, log)
    engine = local_results if options.engine == "local" else ray_results
    totals: Counter = Counter()
    skipped: Counter = Counter()
    worker_rss: list[float] = []
    worker_cpu_s = 0.0
    known = [t.n_plays for t in todo]
    engine_info: dict = {"workers": options.workers}
    score_start = time.perf_counter()
    with tqdm(total=sum(known) if None not in known else None, unit="play", desc="batch", file=sys.stderr,
              disable=not options.progress or not todo) as bar:
        results = engine(todo, model_path, model_sha, int(options.seed), options.workers, options.address,
                         engine_info) if todo else iter(())
        for n_done, (task, result) in enumerate(results, start=1):
            t = time.perf_counter()
            store.write(task, result)
            counts["write_ms"] += int(1000 * (time.perf_counter() - t))
            totals.update(result.counts)
            skipped.update(result.skipped)
            if result.peak_rss_mb is not None:
                worker_rss.append(result.peak_rss_mb)
            worker_cpu_s += result.cpu_s
            counts["run"] += 1
            counts["failed"] += 0 if result.loaded else 1
            bar.update(result.counts.get("plays", 0))
            bar.set_postfix_str(f"partitions {n_done}/{len(todo)}", refresh=False)
    score_s = time.perf_counter() - score_start
    summary = {
        "out": str(options.out), "engine": options.engine, "workers": engine_info["workers"],
        "sources": len(options.sources),
        "partitions": {"to_run": len(todo), "run": counts["run"], "already_complete": counts["already_complete"],
                       "failed_to_load": counts["failed"]},
        "sources_loaded_by_driver": counts["sources_loaded"], "driver_load_s": counts["load_ms"] / 1000,
        "driver_write_s": counts["write_ms"] / 1000,
        "plays": {"seen": totals["plays"], "scored": totals["scored"], "skipped": totals["skipped"],
                  "errors": totals["errors"] + counts["errors"]},
        "skipped_by_reason": dict(sorted(skipped.items())),
        "worker_peak_rss_mb": max(worker_rss, default=None),
        # CPU seconds the workers spent in partitions: plays per CPU second is the per-core rate,
        # which other processes taking the cores away do not change (wall rates they do)
        "worker_cpu_s": round(worker_cpu_s, 3),
        "scoring_s": round(score_s, 3), "wall_s": round(time.perf_counter() - start, 3),
        "plays_per_s": round(totals["plays"] / score_s, 2) if totals["plays"] and score_s > 0 else None,
    }
    (Path(options.out) / RUN_SUMMARY).write_text(json.dumps(summary, indent=1))
    return summary

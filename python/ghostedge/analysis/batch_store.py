"""Where a batch's partitions come from and where their tables go (docs/batch.md).

Inputs: each ``--data`` folder is a *source*. One partition is one game, or one input file when
a source holds several tracking files (per-week CSVs), or one folder of play files (a folder per
game of Sportradar JSON). A source with a single tracking file (the shared highlights) is loaded
once by the driver and split by game; the others are loaded by the workers, one partition each.
Every load goes through :func:`ghostedge.data.load_dataset`.

Output: one Parquet file per partition and table that has rows, ``OUT/<table>/<partition>.parquet``,
each written to a temporary name and renamed; then the partition's manifest ``OUT/_manifests/<partition>.json``
(renamed into place the same way) marks it complete. A rerun skips a partition whose manifest
names the same input fingerprint and the same run settings (model, seed).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from .batch import SCHEMAS, PartitionResult

BATCH_FORMAT = 1  # bumped when the tables change meaning: older outputs are then refused
JSON_SUFFIXES = (".json", ".json.gz")
MANIFESTS, SOURCES = "_manifests", "_sources"
# The canonical tracking columns a play needs for scoring (the loader adds gameId, playId,
# frameId, x, y): not the provider's s / a / dir or the time text, which only cost memory and
# transfer (a game of the highlights pickles to about a third less without them).
TRACKING_COLUMNS = ("nflId", "displayName", "jerseyNumber", "position", "club", "o", "event", "playDirection")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_") or "x"


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".csv", ".json"):
        name = name[: -len(suffix)] if name.endswith(suffix) else name
    return name


def _source_key(p: Path) -> str:
    """The folder's name and a hash of its absolute path: two sources of one name stay apart."""
    return f"{_slug(p.resolve().name)}-{hashlib.sha1(str(p.resolve()).encode()).hexdigest()[:8]}"


def _folder_unit(folder: Path, root: Path) -> str:
    return _slug(str(folder.relative_to(root))) if folder != root else _slug(root.name)


def fingerprint(paths) -> str:
    """Of a set of input files: names, sizes and modification times (not their content)."""
    h = hashlib.sha1()
    for p in sorted(str(Path(x).resolve()) for x in paths):
        st = os.stat(p)
        h.update(f"{p}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def file_sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@dataclass
class PartitionTask:
    """One unit of work, self-contained so that it can be pickled to a worker: what to load
    (a folder, a list of files, or a game's rows already loaded by the driver)."""

    id: str
    source: str
    unit: str
    fingerprint: str
    folder: str | None = None  # load_dataset(folder)
    files: tuple[str, ...] = ()  # load_dataset of a folder of exactly these files
    dataset: Any = None  # a Dataset: one game of a source the driver loaded
    n_plays: int | None = None
    # loader(folder) -> a Dataset-like object, for inputs that are not tracking tables (tag-read
    # captures: ghostedge.ingest.captures); a module-level function, so that it pickles by name
    loader: Callable | None = None

    def load(self):
        from ..data import load_dataset

        if self.dataset is not None:
            return self.dataset
        if self.loader is not None:
            return self.loader(self.folder)
        if self.folder is not None:
            return load_dataset(self.folder, columns=TRACKING_COLUMNS)
        # A per-week tracking file with its folder's plays / games / players tables: the loader
        # reads folders, so give it one holding only those (links, nothing copied).
        with tempfile.TemporaryDirectory(prefix="ghostedge-batch-") as view:
            for i, f in enumerate(self.files):
                os.symlink(Path(f).resolve(), Path(view) / f"{i:03d}-{Path(f).name}")
            dataset = load_dataset(view, columns=TRACKING_COLUMNS)
        dataset.source = ", ".join(self.files)
        return dataset

    @property
    def inputs(self) -> str:
        """What the partition reads, for messages."""
        return self.folder or ", ".join(self.files) or self.source

    def without_data(self) -> PartitionTask:
        return replace(self, dataset=None)


def _table_kind(path: Path) -> tuple[str, str]:
    """(kind, format) of a CSV table from its header; a file that cannot be read counts as
    tracking, so that its partition fails to load and is reported, instead of vanishing."""
    from ..data import formats as fm

    try:
        info = fm.classify_columns(fm.read_header(path), str(path))
    except Exception:
        return fm.TRACKING, "unreadable"
    return info.kind, info.format


@dataclass
class Source:
    """One ``--data`` path: its partitions, or (``split``) a single tracking file whose games are
    the partitions, known once the driver has loaded it (or from the output's source index)."""

    path: Path
    key: str
    fingerprint: str  # of a split source's files ("" otherwise: each task has its own)
    tasks: list[PartitionTask]
    split: bool = False

    def load_games(self) -> list[PartitionTask]:
        """Load a ``split`` source and cut it into one task per game (this process's memory)."""
        from ..data import load_dataset

        dataset = load_dataset(self.path, columns=TRACKING_COLUMNS)
        tasks = []
        plays = dataset.plays
        for game_id, rows in dataset.tracking.groupby("gameId", sort=True):
            game_plays = None if plays is None else plays[plays["gameId"] == game_id].reset_index(drop=True)
            part = replace(dataset, tracking=rows.reset_index(drop=True), plays=game_plays)
            unit = f"game-{int(game_id)}"
            tasks.append(PartitionTask(f"{self.key}.{unit}", str(self.path), unit, self.fingerprint,
                                       dataset=part, n_plays=int(rows["playId"].nunique())))
        return tasks


def plan_source(path: str | os.PathLike) -> Source:
    """The partitions of one ``--data`` path (see the module doc)."""
    from ..data import formats as fm
    from ..data.loader import list_table_files

    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"no such file or directory: {p}")
    key = _source_key(p)
    if p.is_file():
        return Source(p, key, fingerprint([p]), [], split=True)
    csv_files = list_table_files(p)
    json_dirs: dict[Path, list[Path]] = {}
    for f in sorted(p.rglob("*")):
        if f.is_file() and f.name.endswith(JSON_SUFFIXES):
            json_dirs.setdefault(f.parent, []).append(f)
    if csv_files and p in json_dirs:
        raise ValueError(f"{p}: holds both CSV tables and JSON play files; give them as separate --data")
    tasks = []
    for folder, files in json_dirs.items():  # a folder of play files (one game)
        unit = _folder_unit(folder, p)
        tasks.append(PartitionTask(f"{key}.{unit}", str(p), unit, fingerprint(files), folder=str(folder)))
    units: dict[str, list[Path]] = {}
    side_tables = []
    for f in csv_files:
        kind, fmt = _table_kind(f)
        if kind != fm.TRACKING:
            side_tables.append(f)
            continue
        # 2026 editions: input_*.csv and output_*.csv of a week are one unit.
        stem = re.sub(r"^(input|output)_", "", _stem(f)) if fmt.startswith("bdb2026") else _stem(f)
        units.setdefault(str(f.relative_to(p).parent / stem), []).append(f)
    if len(units) == 1 and not tasks:
        return Source(p, key, fingerprint(csv_files), [], split=True)
    for unit, files in sorted(units.items()):
        all_files = tuple(str(f) for f in files + side_tables)
        tasks.append(PartitionTask(f"{key}.{_slug(unit)}", str(p), _slug(unit), fingerprint(all_files),
                                   files=all_files))
    if not tasks:
        raise fm.DataFormatError(f"{p}: no tracking files (.csv, .csv.gz, .json, .json.gz)")
    return Source(p, key, "", tasks)  # each task has its own fingerprint


def plan_folders(path: str | os.PathLike, suffix: str, loader: Callable) -> Source:
    """A source whose partitions are the folders under ``path`` holding ``*suffix`` files, each
    loaded by ``loader(folder)`` (archived captures: ``ghostedge batch --captures``). The
    fingerprint covers every file of such a folder (captures, registries, play facts)."""
    p = Path(path)
    if not p.is_dir():
        raise FileNotFoundError(f"no such directory: {p}")
    key = _source_key(p)
    folders = sorted({f.parent for f in p.rglob(f"*{suffix}") if f.is_file()})
    if not folders:
        raise FileNotFoundError(f"{p}: no *{suffix} files")
    tasks = []
    for folder in folders:
        unit = _folder_unit(folder, p)
        files = [f for f in folder.iterdir() if f.is_file()]
        tasks.append(PartitionTask(f"{key}.{unit}", str(p), unit, fingerprint(files), folder=str(folder),
                                   loader=loader))
    return Source(p, key, "", tasks)


class OutputStore:
    """The output folder of a batch run (see the module doc)."""

    def __init__(self, root: str | os.PathLike, run_key: dict):
        self.root = Path(root)
        self.run_key = {"batch_format": BATCH_FORMAT, **run_key}
        for name in (*SCHEMAS, MANIFESTS, SOURCES):
            (self.root / name).mkdir(parents=True, exist_ok=True)

    def _manifest_path(self, partition: str) -> Path:
        return self.root / MANIFESTS / f"{partition}.json"

    def manifest(self, partition: str) -> dict | None:
        try:
            return json.loads(self._manifest_path(partition).read_text())
        except (OSError, ValueError):
            return None

    def check_run(self) -> None:
        """Refuse an output folder written with other settings: its rows would be mixed in."""
        for path in sorted((self.root / MANIFESTS).glob("*.json")):
            m = self.manifest(path.stem)
            if m is not None and m.get("run") != self.run_key:
                raise ValueError(f"{self.root} holds partitions written with other settings "
                                 f"({m.get('run')} vs {self.run_key}); use another --out")

    def is_complete(self, task: PartitionTask) -> bool:
        m = self.manifest(task.id)
        return (m is not None and m.get("fingerprint") == task.fingerprint and m.get("run") == self.run_key
                and all((self.root / name / f"{task.id}.parquet").is_file()
                        for name, n in m.get("rows", {}).items() if n))

    def _replace(self, final: Path, write) -> None:
        tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
        try:
            write(tmp)
            os.replace(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)

    def write(self, task: PartitionTask, result: PartitionResult) -> dict:
        """The partition's tables that have rows (each atomically; an empty one has no file, and
        a file left from an earlier attempt is removed), then its manifest. A partition whose
        input could not be loaded gets its error row but no manifest: a rerun retries it."""
        self._manifest_path(task.id).unlink(missing_ok=True)
        for name, table in result.tables.items():
            path = self.root / name / f"{task.id}.parquet"
            if table.num_rows:
                self._replace(path, lambda tmp: pq.write_table(table, tmp))
            else:
                path.unlink(missing_ok=True)
        manifest = {
            "partition": task.id, "source": task.source, "unit": task.unit, "fingerprint": task.fingerprint,
            "run": self.run_key, "counts": result.counts, "skipped": result.skipped,
            "rows": {name: t.num_rows for name, t in result.tables.items()}, "seconds": round(result.seconds, 3),
        }
        if result.loaded:
            text = json.dumps(manifest, indent=1, sort_keys=True)
            self._replace(self._manifest_path(task.id), lambda tmp: tmp.write_text(text))
        return manifest

    def forget(self, partition: str) -> None:
        """Remove a partition's files (e.g. the load error of a source that now loads)."""
        self._manifest_path(partition).unlink(missing_ok=True)
        for name in SCHEMAS:
            (self.root / name / f"{partition}.parquet").unlink(missing_ok=True)

    # -- source index: the games of a split source, so that a rerun need not load it --------
    def read_index(self, source: Source) -> list[PartitionTask] | None:
        try:
            index = json.loads((self.root / SOURCES / f"{source.key}.json").read_text())
        except (OSError, ValueError):
            return None
        if index.get("fingerprint") != source.fingerprint:
            return None
        return [PartitionTask(t["id"], str(source.path), t["unit"], source.fingerprint, n_plays=t["n_plays"])
                for t in index["partitions"]]

    def write_index(self, source: Source, tasks: list[PartitionTask]) -> None:
        text = json.dumps({"source": str(source.path), "fingerprint": source.fingerprint,
                           "partitions": [{"id": t.id, "unit": t.unit, "n_plays": t.n_plays} for t in tasks]},
                          indent=1)
        self._replace(self.root / SOURCES / f"{source.key}.json", lambda tmp: tmp.write_text(text))


def read_table(out: str | os.PathLike, name: str) -> pa.Table:
    """One table of a batch output, every partition's file in partition order (the rows of each
    are sorted when written), with the documented schema."""
    if name not in SCHEMAS:
        raise ValueError(f"unknown table {name!r}; the tables are {', '.join(SCHEMAS)}")
    files = sorted((Path(out) / name).glob("*.parquet"))
    if not files:
        return SCHEMAS[name].empty_table()
    return pa.concat_tables([pq.read_table(f, schema=SCHEMAS[name]) for f in files])

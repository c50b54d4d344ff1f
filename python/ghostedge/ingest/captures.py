"""Archived tag-read captures as plays, for ``ghostedge batch --captures DIR`` (docs/batch.md).

A captures folder holds capture files (``*.getr``: packets as sent, docs/wire-format.md), each
with its tag registry (``<name>.registry.csv`` beside it, else the folder's ``registry.csv``;
docs/registry-format.md) and the facts a capture cannot carry in ``<name>.play.json``: ``gameId``,
``playId``, ``firstFrameId`` and ``firstFrameTimeUs`` (the frame clock), ``passForwardFrameId``,
``passArrivedFrameId``, ``targetNflId``, ``possessionTeam``, ``defensiveTeam``, ``playDirection``
(each optional; without the pass frames and target the play is counted as skipped).

One function turns a capture into a :class:`~ghostedge.data.Play`: :func:`capture_play`: decode
-> fuse -> the offline two-sided smoother (:mod:`ghostedge.ingest.smoothing`), which, unlike the
live filter, may use every read of the play.
"""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ..constants import FRAME_US
from ..data.play import Play
from .registry import Registry
from .smoothing import smooth_capture
from .wire import read_capture

CAPTURE_SUFFIX = ".getr"


def _facts(capture: Path) -> dict:
    path = capture.with_suffix(".play.json")
    if not path.is_file():
        return {}
    facts = json.loads(path.read_text())
    if not isinstance(facts, dict):
        raise ValueError(f"{path}: a JSON object of play facts expected")
    return facts


def _key(capture: Path, facts: dict) -> tuple[int, int]:
    """(gameId, playId) from the facts; without them game 0 and a number from the file name."""
    return int(facts.get("gameId", 0)), int(facts.get("playId", zlib.crc32(capture.name.encode()) & 0x7FFFFFFF))


def registry_for(capture: Path) -> Registry:
    """The capture's own ``<name>.registry.csv``, else its folder's ``registry.csv``."""
    for path in (capture.with_suffix(".registry.csv"), capture.parent / "registry.csv"):
        if path.is_file():
            return Registry.from_csv(path)
    raise FileNotFoundError(f"{capture}: no {capture.stem}.registry.csv or registry.csv beside it")


def capture_play(capture: str | os.PathLike, registry: Registry, facts: dict | None = None) -> Play:
    """Decode a capture file and smooth it (two-sided) into a play at 10 Hz: frame k at ``firstFrameTimeUs +
    k * 100 ms`` (default: the first read's time), every player of ``registry`` (NaN where the
    pipeline has no estimate), the ball, and the play facts of ``facts`` (module doc)."""
    path = Path(capture)
    facts = dict(facts or {})
    reads = read_capture(path)
    if reads.size == 0:
        raise ValueError(f"{path}: no tag reads in the capture")
    reads = reads[np.argsort(reads["time_us"], kind="stable")]
    times = reads["time_us"]
    start = int(facts.get("firstFrameTimeUs", times[0]))
    n_frames = -(-int(times[-1] - start) // FRAME_US) + 1  # through the frame at or after the last read
    if n_frames < 1:
        raise ValueError(f"{path}: firstFrameTimeUs {start} is after the last read")
    ticks = start + FRAME_US * np.arange(n_frames, dtype=np.int64)
    # Offline every read is there: the two-sided smoother (ingest.smoothing) uses the whole play.
    out = smooth_capture(reads, registry, ticks)
    xy = np.stack([out.x[:, :-1], out.y[:, :-1]], axis=-1)
    ids = out.nfl_ids.astype(np.int64)
    info = [registry.info.get(int(n), {}) for n in ids]

    def column(key: str) -> np.ndarray:
        return np.array([i.get(key, "") for i in info], dtype=object)

    def opt_int(key: str) -> int | None:
        return None if facts.get(key) is None else int(facts[key])

    first_frame = int(facts.get("firstFrameId", 1))
    game_id, play_id = _key(path, facts)
    return Play(
        game_id=game_id, play_id=play_id,
        frame_ids=first_frame + np.arange(n_frames, dtype=np.int64), nfl_ids=ids, xy=xy,
        o=out.o[:, :-1], present=np.isfinite(xy).all(axis=-1),
        ball_xy=np.stack([out.x[:, -1], out.y[:, -1]], axis=-1),
        club=column("club"), position=column("position"), jersey=column("jersey"),
        name=np.full(ids.size, "", dtype=object), events=np.full(n_frames, "", dtype=object),
        play_direction=str(facts.get("playDirection", "right")),
        possession_team=str(facts.get("possessionTeam", "")), defensive_team=str(facts.get("defensiveTeam", "")),
        pass_forward_frame=opt_int("passForwardFrameId"), pass_arrived_frame=opt_int("passArrivedFrameId"),
        target_nfl_id=opt_int("targetNflId"),
    )


class CaptureDataset:
    """The captures of one folder with the part of :class:`ghostedge.data.Dataset`'s interface
    that ``ghostedge batch`` uses: ``play_keys``, ``iter_plays``, ``plays`` (None) and
    ``rejected_files`` (captures whose registry or facts cannot be read)."""

    plays = None

    def __init__(self, folder: str | os.PathLike):
        self.source = str(folder)
        self.rejected_files: list[dict] = []
        self._captures: dict[tuple[int, int], tuple[Path, dict]] = {}
        for path in sorted(Path(folder).glob(f"*{CAPTURE_SUFFIX}")):
            try:
                facts = _facts(path)
                key = _key(path, facts)
            except (OSError, ValueError, TypeError) as exc:
                self.rejected_files.append({"path": str(path), "reason": f"{type(exc).__name__}: {exc}"})
                continue
            if key in self._captures:
                self.rejected_files.append({"path": str(path), "reason": f"game/play {key} repeats {self._captures[key][0]}"})
                continue
            self._captures[key] = (path, facts)
        if not self._captures and not self.rejected_files:
            raise FileNotFoundError(f"{folder}: no capture files (*{CAPTURE_SUFFIX})")

    def play_keys(self) -> list[tuple[int, int]]:
        return list(self._captures)

    def iter_plays(self, keys=None) -> Iterator[Play]:
        for key in self._captures if keys is None else keys:
            path, facts = self._captures[key]
            yield capture_play(path, registry_for(path), facts)


def capture_dataset(folder: str | os.PathLike) -> CaptureDataset:
    """The loader ``ghostedge batch`` gives a captures partition (a picklable function)."""
    return CaptureDataset(folder)

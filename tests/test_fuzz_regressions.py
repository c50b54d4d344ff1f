"""Replays the fuzzing seed corpora and every regression input (an input a fuzzer once broke
something with) through the paths they target, with the contracts the harnesses check:

* decoder (cpp/fuzz/corpus/decoder, cpp/fuzz/regressions): same reads and counters whatever
  the chunking, byte accounting exact, every read inside the format's windows; the ingest
  pipeline takes the same bytes without raising and never reports a player above 12.5 yd/s;
* tracking CSV loader and tag registry file (tests/fuzz/corpus, tests/fuzz/regressions): any
  input loads or raises ValueError, nothing else.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ghostedge.ingest import wire

REPO = Path(__file__).resolve().parents[1]
DECODER_INPUTS = sorted((REPO / "cpp/fuzz/corpus/decoder").glob("*")) + sorted(
    (REPO / "cpp/fuzz/regressions").glob("*"))
CSV_INPUTS = sorted((REPO / "tests/fuzz/corpus/csv_loader").glob("*")) + sorted(
    (REPO / "tests/fuzz/regressions/csv_loader").glob("*"))
REGISTRY_INPUTS = sorted((REPO / "tests/fuzz/corpus/registry").glob("*")) + sorted(
    (REPO / "tests/fuzz/regressions/registry").glob("*"))

# Findings reported to their owners and not fixed yet: each must keep failing until fixed
# (strict), then its entry goes and the input stays as a regression test.
OPEN_FINDINGS: dict[str, str] = {}


def _params(paths):
    return [pytest.param(p, id=p.name, marks=[pytest.mark.xfail(strict=True, reason=OPEN_FINDINGS[p.name])]
                         if p.name in OPEN_FINDINGS else []) for p in paths]


def test_corpora_are_present_and_small():
    assert len(DECODER_INPUTS) >= 10 and CSV_INPUTS and REGISTRY_INPUTS
    total = sum(p.stat().st_size for p in DECODER_INPUTS + CSV_INPUTS + REGISTRY_INPUTS)
    assert total < 1 << 20


def _decode_in_chunks(data: bytes, sizes) -> tuple[np.ndarray, dict]:
    d = wire.Decoder()
    parts, offset, k = [], 0, 0
    while offset < len(data):
        n = sizes[k % len(sizes)]
        parts.append(d.feed(memoryview(data)[offset:offset + n]))
        s = d.stats()
        assert s["bytes_fed"] == s["bytes_accepted"] + s["bytes_skipped"] + d.buffered
        offset, k = offset + n, k + 1
    parts.append(d.finish())
    assert d.buffered == 0
    return np.concatenate(parts) if parts else np.empty(0, wire.READ_DTYPE), d.stats()


@pytest.mark.parametrize("path", _params(DECODER_INPUTS))
def test_decoder_input(path):
    data = path.read_bytes()
    whole, stats = _decode_in_chunks(data, [max(1, len(data))])
    for sizes in ([1], [7, 300, 2], [4096]):
        chunked, chunked_stats = _decode_in_chunks(data, sizes)
        assert chunked_stats == stats
        assert np.array_equal(chunked, whole)
    if whole.size:
        assert (whole["tag_id"] != 0).all()
        for axis, lo, hi in (("x", -50, 170), ("y", -50, 100), ("z", -10, 60)):
            assert np.isfinite(whole[axis]).all()
            assert whole[axis].min() >= lo - 1e-3 and whole[axis].max() <= hi + 1e-3


@pytest.mark.parametrize("path", _params(DECODER_INPUTS))
def test_pipeline_input(path):
    """The bytes through the live pipeline with a roster derived from their own tags."""
    from ghostedge.ingest.pipeline import IngestPipeline
    from ghostedge.ingest.registry import Registry

    data = path.read_bytes()
    reads = wire.Decoder().feed(data)
    nfl = sorted({int(t) // 2 for t in reads["tag_id"] if t > 1 and int(t) // 2 < 2**31})[:30] or [1]
    pipe = IngestPipeline(Registry.from_players(nfl))
    t = int(reads["time_us"].min()) if reads.size else 0
    for offset in range(0, len(data), 500):
        pipe.push(data[offset:offset + 500])
        t += 100_000
        frame = pipe.tick(t)
        speeds = frame.s[np.isfinite(frame.s)]
        assert (speeds <= 12.5 + 1e-6).all()
        assert not np.isinf(frame.x).any() and not np.isinf(frame.y).any()


@pytest.mark.parametrize("path", _params(CSV_INPUTS))
def test_csv_loader_input(path):
    from ghostedge.data import load_dataset

    try:
        for _ in load_dataset(path).iter_plays():
            pass
    except ValueError:
        pass


@pytest.mark.parametrize("path", _params(REGISTRY_INPUTS))
def test_registry_input(path):
    from ghostedge.ingest.registry import Registry

    try:
        registry = Registry.from_csv(path)
    except ValueError:
        return
    for tag in registry.tag_ids:
        assert registry.lookup(int(tag)) is not None

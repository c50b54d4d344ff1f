#!/usr/bin/env python3
"""Decode throughput of the tag-read packet format: the C++ StreamDecoder (through
ghostedge.wire) against the pure-Python/numpy reference (bench/reference_decode.py), on the
same stream in the same run. Both decode and validate everything (header, CRC-32C, duplicate
window, per-record ranges) and produce identical reads (checked here before timing).

    python bench/bench_decode.py            # full run
    python bench/bench_decode.py --quick    # short run
    python bench/bench_decode.py --json     # one JSON object on stdout

The stream models a stadium: 22 players x 2 shoulder tags + 1 ball tag blinking at 25 Hz;
one packet per hub cycle of `--reads-per-packet` reads (default 45, one blink of every tag;
1024 is the format's maximum). Rates are reads per second on one core (the decoder is
single-threaded), best of several rounds.
"""

from __future__ import annotations

import argparse
import json
import sys

import _harness  # noqa: F401  (bench/ is on sys.path: these are run as scripts)
import numpy as np
import reference_decode
from _harness import best_rate, machine_info

from ghostedge import _core
from ghostedge.ingest import wire

T0 = 1_546_300_800_000_000  # 2019-01-01T00:00:00Z, µs


def make_stream(n_reads: int, reads_per_packet: int, seed: int = 0) -> tuple[bytes, int]:
    """A clean stream of about n_reads realistic reads; returns (bytes, reads)."""
    rng = np.random.default_rng(seed)
    packets = max(1, n_reads // reads_per_packet)
    n = packets * reads_per_packet
    reads = np.zeros(n, wire.READ_DTYPE)
    captures = T0 + np.arange(packets, dtype=np.int64) * 40_000
    reads["time_us"] = np.repeat(captures, reads_per_packet) - rng.integers(0, 40_000, n)
    reads["tag_id"] = np.tile(np.arange(1, reads_per_packet + 1, dtype=np.uint32), packets)
    reads["x"] = rng.uniform(0, 120, n)
    reads["y"] = rng.uniform(0, 53.3, n)
    reads["z"] = rng.uniform(0.8, 1.8, n)
    reads["quality"] = rng.integers(100, 256, n)
    stream, _ = wire.encode_batch(reads, np.full(packets, reads_per_packet),
                                  np.arange(packets) % 2**32, captures)
    return stream.tobytes(), n


def run(quick: bool = False, reads_per_packet: int = 45, log=lambda msg: None) -> dict:
    """Measure; returns a dict of results (also used by bench/run.py)."""
    n_reads = 200_000 if quick else 2_000_000
    min_time = 0.5 if quick else 3.0
    data, n = make_stream(n_reads, reads_per_packet)
    log(f"stream: {n} reads in {len(data) / 2**20:.1f} MiB, {reads_per_packet} reads/packet")

    # Same work, same answer: otherwise the comparison means nothing.
    dec = wire.Decoder()
    core_reads = dec.feed(data)
    ref_reads, ref_stats = reference_decode.decode(data)
    assert len(core_reads) == n and np.array_equal(core_reads, ref_reads)
    assert all(dec.stats()[k] == v for k, v in ref_stats.items())

    out = np.empty(wire.Decoder().max_reads(len(data)), wire.READ_DTYPE)

    def cpp_feed_into() -> int:  # the engine's path: caller-owned buffer, no allocation
        d = wire.Decoder()
        return d.feed_into(data, out)

    def cpp_feed() -> int:  # returns a fresh numpy array
        return len(wire.Decoder().feed(data))

    datagram = 1472  # a UDP payload on a 1500-byte MTU: many small feeds

    def cpp_datagrams() -> int:
        d = wire.Decoder()
        total = 0
        view = memoryview(data)
        for start in range(0, len(data), datagram):
            total += d.feed_into(view[start:start + datagram], out)
        return total

    def reference() -> int:
        return len(reference_decode.decode(data)[0])

    log("C++ feed_into ...")
    r_into = best_rate(cpp_feed_into, min_time)
    log("C++ feed ...")
    r_feed = best_rate(cpp_feed, min_time)
    log("C++ 1472-byte feeds ...")
    r_dgram = best_rate(cpp_datagrams, min_time)
    log("reference ...")
    r_ref = best_rate(reference, min_time, rounds=3)
    return {
        "reads": n,
        "reads_per_packet": reads_per_packet,
        "stream_bytes": len(data),
        "crc32c_hardware": bool(_core.crc32c_hardware()),
        "cpp_reads_per_s": r_into,
        "cpp_feed_array_reads_per_s": r_feed,
        "cpp_datagram_feeds_reads_per_s": r_dgram,
        "cpp_bytes_per_s": r_into * len(data) / n,
        "reference_reads_per_s": r_ref,
        "speedup_vs_reference": r_into / r_ref,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="short run (seconds)")
    ap.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    ap.add_argument("--reads-per-packet", type=int, nargs="+", default=[45, 1024])
    args = ap.parse_args(argv)

    def log(msg: str) -> None:
        print(f"[bench_decode] {msg}", file=sys.stderr, flush=True)

    results = {"machine": machine_info(), "quick": args.quick, "runs": []}
    for rpp in args.reads_per_packet:
        results["runs"].append(run(args.quick, rpp, log))
    if args.json:
        print(json.dumps(results))
        return 0
    m = results["machine"]
    print(f"machine: {m['cpu']}, {m['cores']} cores, load {m['load_avg_1m']:.2f}")
    print(f"{'reads/packet':>12} {'C++ feed_into':>15} {'C++ feed':>12} {'C++ 1472B':>12} "
          f"{'reference':>12} {'speedup':>8}   (reads/s, one core)")
    for r in results["runs"]:
        print(f"{r['reads_per_packet']:>12} {r['cpp_reads_per_s']:>15.3e} "
              f"{r['cpp_feed_array_reads_per_s']:>12.3e} "
              f"{r['cpp_datagram_feeds_reads_per_s']:>12.3e} "
              f"{r['reference_reads_per_s']:>12.3e} {r['speedup_vs_reference']:>7.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())

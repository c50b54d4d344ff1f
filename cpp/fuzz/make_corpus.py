"""Regenerate the decoder/pipeline seed corpus (cpp/fuzz/corpus/decoder/) from simulated
captures of the real sample plays shipped in the package, clean and with each packet-level
fault of ghostedge.faults. Deterministic; keeps the corpus small (tens of KB).

    PYTHONPATH=python python3 cpp/fuzz/make_corpus.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ghostedge.data import load_samples
from ghostedge.sim import SimConfig, simulate_play
from ghostedge.sim import faults as fl

OUT = Path(__file__).resolve().parent / "corpus" / "decoder"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.iterdir():
        old.unlink()
    rng = np.random.default_rng(7)
    plays = list(load_samples().iter_plays())[:2]
    seeds: dict[str, bytes] = {}
    for k, play in enumerate(plays):
        sim = simulate_play(play, SimConfig(), seed=k)  # default noise, loss and reordering
        p = sim.packets
        mid = len(p) // 2
        seeds[f"play{k}_1_packet"] = p[mid]
        seeds[f"play{k}_6_packets"] = b"".join(p[mid:mid + 6])
        seeds[f"play{k}_garbage_between"] = p[mid] + fl.garbage(rng, 200) + p[mid + 1]
        seeds[f"play{k}_truncated"] = fl.truncate(p[mid], rng) + p[mid + 1] + p[mid + 2]
        seeds[f"play{k}_bit_flip"] = p[mid] + fl.flip_bit(p[mid + 1], rng) + p[mid + 2]
        seeds[f"play{k}_duplicate_reordered"] = p[mid] + p[mid + 2] + p[mid + 1] + p[mid + 1]
        seeds[f"play{k}_out_of_range"] = fl.out_of_range_record(p[mid], rng)[0] + p[mid + 1]
        seeds[f"play{k}_clock_back"] = p[mid] + fl.shift_clock(p[mid + 1], -5_000_000) + p[mid + 2]
        raw = fl.RawPacket.parse(p[mid])
        raw.records["tag_id"][:3] = (3, 5, 0)  # unknown tags and the invalid tag 0
        seeds[f"play{k}_bad_tags"] = raw.to_bytes()
        seeds[f"play{k}_first_packets"] = b"".join(p[:4])
    total = 0
    for name, data in seeds.items():
        (OUT / name).write_bytes(data)
        total += len(data)
    print(f"{len(seeds)} seeds, {total} bytes in {OUT}")


if __name__ == "__main__":
    main()

"""`ghostedge serve`: tag-read packets in over UDP, each frame's ghosts out over UDP."""

from __future__ import annotations

import argparse

NAME = "serve"
HELP = ("Listen for tag-read packets on UDP, run the real-time engine, and send every frame's "
        "ghosts and metric over UDP as JSON or OSC 1.0 (schema: docs/network-protocol.md).")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--listen", default="127.0.0.1:47000", help="HOST:PORT for tag reads and control messages (default 127.0.0.1:47000)")
    p.add_argument("--send", default="127.0.0.1:47001", help="HOST:PORT results go to (default 127.0.0.1:47001)")
    p.add_argument("--format", choices=("json", "osc"), default="json", help="result encoding (default json)")
    p.add_argument("--roster", metavar="FILE",
                   help="static roster: a JSON roster (simulate --write-roster) or a tag registry CSV "
                        "(with --offence/--defence); default: wait for roster messages on --listen")
    p.add_argument("--offence", help="offence club, with a registry CSV --roster")
    p.add_argument("--defence", help="defence club, with a registry CSV --roster")
    p.add_argument("--model", help="ONNX model (default: the shipped one)")
    p.add_argument("--shm", metavar="NAME",
                   help="also write every result into the POSIX shared-memory block NAME (/dev/shm/NAME; "
                        "layout: docs/shared-memory.md), for graphics engines on this machine")
    p.add_argument("--until-end", action="store_true", help="exit after the first 'end' control message")
    p.add_argument("--max-idle", type=float, default=None, metavar="S", help="exit after S seconds without datagrams")
    p.add_argument("--json", action="store_true", help="on exit, print the server counters as one JSON object")


def load_roster_file(path: str, offence: str | None, defence: str | None):
    """A JSON roster, or a registry CSV plus the offence/defence clubs."""
    import json

    import numpy as np

    from ..ingest.registry import Registry
    from ..live import Roster

    if path.endswith(".json"):
        with open(path) as f:
            return Roster.from_dict(json.load(f))
    if not offence or not defence:
        raise ValueError("a registry CSV --roster needs --offence and --defence (the clubs)")
    reg = Registry.from_csv(path)
    ids = [int(n) for n in reg.slot_nfl_ids if int(n) >= 0]
    info = [reg.info.get(n, {}) for n in ids]
    return Roster(nfl_ids=np.array(ids), club=[i.get("club", "") for i in info],
                  position=[i.get("position", "") for i in info], jersey=[i.get("jersey", "") for i in info],
                  offence=offence, defence=defence, registry=reg)


class _FrameCounter:
    """Frames served, on one self-overwriting stderr line when stderr is a terminal (the live
    process imports nothing it does not need: no tqdm)."""

    def __init__(self, stream) -> None:
        self.stream, self.frames, self._shown = stream, 0, 0.0
        self.enabled = bool(getattr(stream, "isatty", lambda: False)())

    def update(self, n: int = 1) -> None:
        import time

        self.frames += n
        now = time.monotonic()
        if self.enabled and now - self._shown >= 0.5:
            self._shown = now
            self.stream.write(f"\rframes: {self.frames}")
            self.stream.flush()


def run(args) -> int:
    import json
    import logging
    import sys

    from ..live import EngineConfig
    from ..net import GhostServer, parse_hostport

    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    roster = load_roster_file(args.roster, args.offence, args.defence) if args.roster else None
    server = GhostServer(parse_hostport(args.listen), parse_hostport(args.send), fmt=args.format,
                         config=EngineConfig(model_path=args.model, shm_name=args.shm), roster=roster)
    print(f"ghostedge serve: listening on {server.address[0]}:{server.address[1]}, sending "
          f"{args.format} to {args.send}"
          + (f", writing shared memory /{args.shm.lstrip('/')} (from the first roster)" if args.shm else ""),
          file=sys.stderr)
    try:
        stats = server.run(until_end=args.until_end, max_idle_s=args.max_idle,
                           progress=_FrameCounter(sys.stderr))
    except KeyboardInterrupt:
        stats = dict(server.stats)
    finally:
        server.close()
    if args.json:
        print(json.dumps(stats))
    return 0

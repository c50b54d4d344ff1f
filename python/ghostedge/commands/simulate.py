"""`ghostedge simulate`: send a play as simulated tag-read packets over UDP (feeds `serve`)."""

from __future__ import annotations

import argparse

NAME = "simulate"
HELP = ("Turn a play of a data directory into simulated tag-read packets and send them over UDP "
        "(with the roster message first), at real-time pace or as fast as possible.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", help="data directory (default: the shipped sample plays)")
    p.add_argument("--game", type=int, help="gameId (default: every pass play of --data, one after the other)")
    p.add_argument("--play", type=int, help="playId")
    p.add_argument("--send", default="127.0.0.1:47000", help="HOST:PORT to send to (default 127.0.0.1:47000)")
    p.add_argument("--speed", type=float, default=1.0, help="1 = real time, 2 = twice as fast, 0 = as fast as possible")
    p.add_argument("--seed", type=int, default=0, help="simulation seed (default 0)")
    p.add_argument("--write-roster", metavar="FILE", help="also write each play's roster (JSON) to FILE, for serve --roster")
    p.add_argument("--events", action="store_true",
                   help="also send the data's pass_forward / pass_arrived as host events")
    p.add_argument("--json", action="store_true", help="print one JSON object with what was sent")


def run(args) -> int:
    import json
    import sys

    from tqdm import tqdm

    from ..data import load_dataset, load_samples
    from ..live import Roster
    from ..net import parse_hostport, send_simulated_play
    from ..sim.simulator import simulate_play

    if args.speed < 0:
        raise ValueError("--speed must be >= 0")
    if (args.game is None) != (args.play is None):
        raise ValueError("--game and --play go together")
    target = parse_hostport(args.send)
    ds = load_dataset(args.data) if args.data else load_samples()
    plays = ([ds.play(args.game, args.play)] if args.game is not None else
             [p for p in ds.iter_plays() if p.pass_forward_frame is not None])
    if not plays:
        raise ValueError("no play to send")
    totals = {"plays": 0, "packets": 0, "bytes": 0, "control": 0, "send_errors": 0}
    for play in plays:
        sim = simulate_play(play, seed=args.seed)
        roster = Roster.from_play(play, registry=sim.registry, frame0_time_us=int(sim.frame_times_us[0]))
        if args.write_roster:
            with open(args.write_roster, "w") as f:
                json.dump(roster.to_dict(), f)
        events = None
        if args.events:
            events = {}
            for name, fid in (("pass_forward", play.pass_forward_frame), ("pass_arrived", play.pass_arrived_frame)):
                if fid is not None:
                    events[int(sim.frame_times_us[play.frame_index(fid)])] = name
        with tqdm(total=len(sim.packets), desc=f"{play.game_id}/{play.play_id}", unit="pkt",
                  file=sys.stderr, leave=False) as bar:
            sent = send_simulated_play(sim, roster, target, speed=args.speed, progress=bar, events=events)
        totals["plays"] += 1
        for k in ("packets", "bytes", "control", "send_errors"):
            totals[k] += sent[k]
    if args.json:
        print(json.dumps(totals))
    else:
        print(f"sent {totals['packets']} packets ({totals['bytes']} bytes) of {totals['plays']} plays "
              f"to {target[0]}:{target[1]}", file=sys.stderr)
    return 0

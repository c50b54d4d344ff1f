"""`ghostedge replay`: the main job - plays through the whole live path, with pictures."""

from __future__ import annotations

import argparse

NAME = "replay"
HELP = ("Replay pass plays through the whole live path (simulated tag reads -> decode -> fuse -> "
        "filter -> ghosts for every receiver -> metric) and write a PNG, a GIF and summary.json "
        "per play. No arguments: the sample plays shipped in the package.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", help="data directory (tracking*.csv[.gz] + plays.csv[.gz]); default: the shipped samples")
    p.add_argument("--game", type=int, help="gameId (with --play: replay one play)")
    p.add_argument("--play", type=int, help="playId")
    p.add_argument("--out", help="output folder (default: ./ghostedge-replay-YYYYmmdd-HHMMSS)")
    p.add_argument("--model", help="ONNX model (default: the shipped one)")
    p.add_argument("--seed", type=int, default=0, help="seed of the tag-read simulation (default 0)")
    p.add_argument("--max-plays", type=int, default=None, help="replay at most this many plays")
    p.add_argument("--no-gif", action="store_true", help="skip the animations (faster)")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object on stdout")
    p.add_argument("--detection-eval", action="store_true",
                   help="instead of replaying: score the engine's pass detection and target inference "
                        "on the tracked positions of every pass play of --data (one JSON object)")


def _select_plays(args) -> list:
    from ..data import load_dataset, load_samples

    ds = load_dataset(args.data) if args.data else load_samples()
    if (args.game is None) != (args.play is None):
        raise ValueError("--game and --play go together")
    if args.game is not None:
        return [ds.play(args.game, args.play)]
    plays = []
    for play in ds.iter_plays():
        if play.pass_forward_frame is None or play.pass_arrived_frame is None or play.target_nfl_id is None:
            continue  # only pass plays with a known target can be judged
        plays.append(play)
        if args.max_plays is not None and len(plays) >= args.max_plays:
            break
    if not plays:
        raise ValueError(f"no pass play with a known target in {args.data or 'the samples'}")
    return plays


def run(args) -> int:
    import json
    import sys
    import time
    from pathlib import Path

    from tqdm import tqdm

    from ..live import EngineConfig
    from ..sim.replay import ReplayOptions, replay_plays

    if args.detection_eval:
        from ..sim.replay import pass_detection_report

        print(json.dumps(pass_detection_report(_select_plays(args), EngineConfig())))
        return 0
    plays = _select_plays(args)
    for play in plays:
        if play.pass_forward_frame is None or play.pass_arrived_frame is None:
            raise ValueError(f"play {play.game_id}/{play.play_id} has no pass_forward/pass_arrived frames")
    out = Path(args.out) if args.out else Path(f"ghostedge-replay-{time.strftime('%Y%m%d-%H%M%S')}")
    log = (lambda s: tqdm.write(s, file=sys.stderr)) if args.json else tqdm.write
    with tqdm(total=len(plays), desc="replay", unit="play", file=sys.stderr) as bar:
        summary = replay_plays(plays, out, EngineConfig(model_path=args.model),
                               ReplayOptions(seed=args.seed, gif=not args.no_gif), progress=bar, log=log)
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"{summary['n_plays']} plays in {summary['seconds']:.1f} s "
              f"(ONNX Runtime providers: {', '.join(summary['providers'])}); outputs in {out}/")
    return 0

"""Rebuilds the shipped sample plays from the shared NGS highlights data (see README.md here).

Run from the repository root: python3 python/ghostedge/samples/make_samples.py [NGS_DIR]
Keeps, for each chosen play, the frames from 2 s before the snap to 1 s after the pass arrived.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

# (gameId, playId): chosen for a known target, >= 4 defensive backs, >= 15 frames of ball flight
# and no missing frame for any player or the ball in the kept window.
SAMPLE_PLAYS = [
    (2019020300, 2816),  # J.Goff incomplete deep middle to B.Cooks (Super Bowl LIII)
    (2019092600, 253),  # A.Rodgers deep right to D.Adams, 58 yards
    (2019100700, 300),  # B.Mayfield deep middle intended for A.Callaway, intercepted
    (2019101307, 4196),  # K.Murray short left to D.Johnson, 14 yards, touchdown
    (2019120812, 946),  # R.Tannehill deep middle to A.Brown, 91 yards, touchdown
]
FRAMES_BEFORE_SNAP = 20  # 2 s at 10 Hz
FRAMES_AFTER_ARRIVAL = 10  # 1 s


def main(ngs_dir: Path, out_dir: Path) -> None:
    tracking = pd.read_csv(ngs_dir / "tracking.csv.gz", low_memory=False)
    plays = pd.read_csv(ngs_dir / "plays.csv.gz", low_memory=False)
    keys = pd.DataFrame(SAMPLE_PLAYS, columns=["gameId", "playId"])
    plays = plays.merge(keys, on=["gameId", "playId"])
    if len(plays) != len(SAMPLE_PLAYS):
        raise SystemExit(f"only {len(plays)} of the {len(SAMPLE_PLAYS)} sample plays are in {ngs_dir}")
    parts = []
    for row in plays.itertuples():
        rows = tracking[(tracking["gameId"] == row.gameId) & (tracking["playId"] == row.playId)]
        snap = int(rows.loc[rows["event"] == "ball_snap", "frameId"].min())
        first, last = snap - FRAMES_BEFORE_SNAP, int(row.passArrivedFrameId) + FRAMES_AFTER_ARRIVAL
        parts.append(rows[(rows["frameId"] >= first) & (rows["frameId"] <= last)])
    gz = {"method": "gzip", "mtime": 0}  # byte-identical output on every run
    pd.concat(parts).to_csv(out_dir / "tracking.csv.gz", index=False, compression=gz)
    plays.to_csv(out_dir / "plays.csv.gz", index=False, compression=gz)


if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    default = here.parents[2].parent / "shared" / "data" / "ngs_highlights"
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else default, here)

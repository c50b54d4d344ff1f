"""Where a model's full-flight error sits (models/MODEL_CARD.md, "Full flight on ordinary games").

    PYTHONPATH=python python tools/flight_error_breakdown.py [--model M.onnx]
        [--data ../shared/data/ngs_games_2018] [--split heldout] [--top 5]

Prints one JSON object for the flights ``ghostedge evaluate`` scores (defensive backs at the
throw, landing given): the full-flight ratio to damped acceleration; each group's share of the
model's squared error and its own ratio, grouped by flight length and by whether the
defender's nearest receiver at the throw is the target; and the ``--top`` flights with the most
squared error, the share of the worst one and the ratio without it.
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from ghostedge.analysis.evaluation import evaluation_samples, run_model
from ghostedge.model.baselines import damped_acceleration
from ghostedge.model.features import feature_indices
from ghostedge.model.inference import GhostModel
from ghostedge.model.windows import DatasetUnion

FLIGHT_FRAMES_BINS = [(0, 10), (10, 15), (15, 20), (20, 60)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=None, help="ghost model (default: the shipped one)")
    ap.add_argument("--data", default="../shared/data/ngs_games_2018")
    ap.add_argument("--split", default="heldout")
    ap.add_argument("--top", type=int, default=5)
    args = ap.parse_args()

    model = GhostModel(args.model)
    s, _ = evaluation_samples(DatasetUnion.load([args.data]), args.split, False, model.split_games)
    mean = run_model(s, model)["model"][0]
    f = np.flatnonzero(s.is_flight)
    base = damped_acceleration(s.past[f, 0], s.past[f, 1], np.zeros_like(s.past[f, 0]), mean.shape[1])
    n = s.flight_len[f]
    sse_model = np.array([((mean[i, :k] - s.future[i, :k]) ** 2).sum() for i, k in zip(f, n)])
    sse_base = np.array([((base[j, :k] - s.future[i, :k]) ** 2).sum() for j, (i, k) in enumerate(zip(f, n))])
    # nopp: the nearest offensive player other than the target
    tgt_dist, nopp_dist = s.features[f][:, feature_indices(["tgt_dist", "nopp_dist"])].T

    def group(rows) -> dict:
        return {"flights": int(rows.sum()), "share_of_model_error": round(float(sse_model[rows].sum() / sse_model.sum()), 3),
                "ratio": round(float(np.sqrt(sse_model[rows].sum() / sse_base[rows].sum())), 3)}

    order = np.argsort(-sse_model)
    worst = order[0]
    print(json.dumps({
        "data": args.data, "split": args.split, "flights": len(f),
        "ratio": round(float(np.sqrt(sse_model.sum() / sse_base.sum())), 3),
        "by_flight_frames": {f"{a}-{b}": group((n >= a) & (n < b)) for a, b in FLIGHT_FRAMES_BINS},
        "nearest_receiver_is_target": group(tgt_dist <= nopp_dist),
        "nearest_receiver_is_not_target": group(tgt_dist > nopp_dist),
        "worst_share": round(float(sse_model[worst] / sse_model.sum()), 3),
        "ratio_without_worst": round(float(np.sqrt((sse_model.sum() - sse_model[worst]) / (sse_base.sum() - sse_base[worst]))), 3),
        "top": [{"game": int(s.game_id[f[j]]), "play": int(s.play_id[f[j]]), "nfl_id": int(s.nfl_id[f[j]]),
                 "frames": int(n[j]), "rmse_yd": round(float(np.sqrt(sse_model[j] / n[j])), 2),
                 "damped_acceleration_rmse_yd": round(float(np.sqrt(sse_base[j] / n[j])), 2)} for j in order[: args.top]],
    }))


if __name__ == "__main__":
    main()

"""The design table of docs/metric.md: candidate definitions of the composite metric measured on
the TRAINING and VALIDATION games only (never the held-out ones), with the shipped ghost model.

    PYTHONPATH=python python tools/metric_design.py [--model M.onnx] [--json OUT.json]
    PYTHONPATH=python python tools/metric_design.py --seed-study   # luck of the perturbation

For every pass play of the highlight training and validation games and of the 3-games folder
(all of them are training games of ``ghostedge.model.windows.game_split``) it rolls out the
ghosts for the actual target and the 8 perturbed ghost sets of the reference table
(``ghostedge.analysis.reference.perturbation_sets``), then scores every candidate in numpy.
The last candidate is the shipped definition; the script checks that its numpy form equals
the core's ``ghostedge.analysis.metric.score`` before printing. About 3 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from ghostedge.analysis import metric
from ghostedge.analysis.ghosts import apply_perturbation, draw_perturbation, model_inputs, play_rng
from ghostedge.analysis.metric import flight_of
from ghostedge.analysis.reference import perturbation_sets
from ghostedge.analysis.rollout import rollout_paths
from ghostedge.analysis.validation import outcome_auc, pass_incomplete
from ghostedge.data import load_dataset
from ghostedge.model.inference import GhostModel
from ghostedge.model.windows import game_split

V, DT = metric.TOP_SPEED, metric.DT
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
DATASETS = (("games (3, train)", SHARED / "ngs_games_2018", ("train", "val")),
            ("highlights train", SHARED / "ngs_highlights", ("train",)),
            ("highlights val", SHARED / "ngs_highlights", ("val",)))


def parts(paths, receiver, tau):
    """Per-defender terms of the candidates; paths [D, n+1, 2], receiver [n+1, 2]."""
    rel = paths - receiver[None]
    sep = np.linalg.norm(rel, axis=-1)
    n = sep.shape[1] - 1
    k = np.arange(1, n + 1)
    d_max = V * n * DT
    w = np.ones(n) if tau is None else np.exp(-k * DT / tau)
    w0 = np.ones(n + 1) if tau is None else np.exp(-np.arange(n + 1) * DT / tau)
    steps = np.linalg.norm(np.diff(paths, axis=1), axis=-1)
    drel = np.diff(rel, axis=1)
    u = np.divide(rel[:, :-1], sep[:, :-1, None], out=np.zeros_like(rel[:, :-1]), where=sep[:, :-1, None] > 0)
    mis = 0.5 * (np.linalg.norm(drel, axis=-1) + (drel * u).sum(-1)) / (V * DT)
    return {
        "end": (sep[:, -1] - sep[:, 0]) / d_max,
        "closing": (((sep[:, 1:] - sep[:, :1]) / (V * DT * k)) * w).sum(1) / w.sum(),
        "misdirection": (mis * w).sum(1) / w.sum(),
        "proximity": (sep * w0).sum(1) / (d_max * w0.sum()),
        "effort": metric.EFFORT_WEIGHT * (1 - np.minimum(1, steps.sum(1) / d_max)),
        "speed": metric.SPEED_PENALTY_WEIGHT * np.maximum(0, steps - metric.SPEED_LIMIT * DT).sum(1) / d_max,
        "sep0": sep[:, 0], "d_max": d_max,
    }


# name: (time constant of the weights (None: every frame the same), closing form, misdirection
# weight, proximity weight, defender weights)
CANDIDATES = {
    "before: end-to-end closing, every DB equal": (None, "end", 0, 0, "equal"),
    "end-to-end closing, relevance-weighted": (None, "end", 0, 0, "relevance"),
    "closing speed so far, every frame equal, relevance": (None, "closing", 0, 0, "relevance"),
    "closing, tau 1.0 s, relevance": (1.0, "closing", 0, 0, "relevance"),
    "closing, tau 0.5 s, relevance": (0.5, "closing", 0, 0, "relevance"),
    "closing, tau 0.3 s, relevance": (0.3, "closing", 0, 0, "relevance"),
    "closing, tau 0.3 s, nearest DB only": (0.3, "closing", 0, 0, "nearest"),
    "closing + misdirection, tau 0.3 s, relevance": (0.3, "closing", 1.0, 0, "relevance"),
    "closing + proximity, tau 0.3 s, relevance": (0.3, "closing", 0, 1.0, "relevance"),
    "all terms, tau 1.0 s, relevance": (1.0, "closing", 1.0, 1.0, "relevance"),
    "all terms, tau 0.5 s, relevance": (0.5, "closing", 1.0, 1.0, "relevance"),
    "all terms, tau 0.3 s, every DB equal": (0.3, "closing", 1.0, 1.0, "equal"),
    "all terms, tau 0.3 s, proximity weight 2": (0.3, "closing", 1.0, 2.0, "relevance"),
    "all terms, tau 0.3 s, misdirection weight 2": (0.3, "closing", 2.0, 1.0, "relevance"),
    "shipped: all terms, tau 0.3 s, relevance": (0.3, "closing", 1.0, 1.0, "relevance"),
}


def value(p, cand):
    _, closing, w_mis, w_prox, _ = cand
    return p[closing] + w_mis * p["misdirection"] + w_prox * p["proximity"] + p["effort"] + p["speed"]


def weights(p, cand):
    kind = cand[4]
    if kind == "equal":
        return np.ones_like(p["sep0"])
    if kind == "nearest":
        w = np.zeros_like(p["sep0"])
        w[np.argmin(p["sep0"])] = 1.0
        return w
    return np.exp(-p["sep0"] / (metric.RELEVANCE_RANGE * p["d_max"]))


def play_paths(play, model, seed, single_draw):
    """Tracked, predicted and perturbed paths of one play's usable DBs, or None."""
    f = flight_of(play)
    if f is None or f.defenders.size == 0:
        return None
    receiver = play.xy[f.t0 : f.t1 + 1, f.target]
    tracked = np.transpose(play.xy[f.t0 : f.t1 + 1, f.defenders], (1, 0, 2))
    ok = np.isfinite(tracked).all((1, 2)) & np.isfinite(play.xy[f.t0 - 2 : f.t0 + 1, f.defenders]).all((0, 2))
    if not ok.any() or not np.isfinite(receiver).all():
        return None
    dbs = f.defenders[ok]
    predicted = rollout_paths(model, play, f.t0, dbs, f.target, f.n_steps)
    rng = play_rng(seed, play)
    if single_draw:  # the old design: one random quarter, one draw
        mask = rng.random(dbs.size) < 0.25
        sets = [draw_perturbation(dbs[mask], rng)] if mask.any() else []
    else:
        sets = perturbation_sets(dbs, rng)
    perturbed = []
    for s in sets:
        inputs = model_inputs(play, f.t0)
        apply_perturbation(inputs["xy_hist"], inputs["o_hist"], s)
        perturbed.append(rollout_paths(model, play, f.t0, dbs, f.target, f.n_steps, inputs))
    return receiver, tracked[ok], predicted, perturbed or [predicted], pass_incomplete(play)


def table(rows, cand):
    """ratio, lower 95% bound of perturbed - predicted, outcome AUC for one candidate."""
    sums, outcome = [], []
    for receiver, tracked, predicted, perturbed, incomplete in rows:
        pa, pp = parts(tracked, receiver, cand[0]), parts(predicted, receiver, cand[0])
        w = weights(pa, cand)
        va, vp = np.sum(w * value(pa, cand)), np.sum(w * value(pp, cand))
        vq = np.mean([np.sum(w * value(parts(q, receiver, cand[0]), cand)) for q in perturbed])
        sums.append((va, vp, vq, w.sum()))
        if incomplete is not None and w.sum() > 0:
            outcome.append((va / w.sum(), incomplete))
    s = np.array(sums)
    a, p, q = s[:, :3].sum(0) / s[:, 3].sum()
    idx = np.random.default_rng(0).integers(0, len(s), (1000, len(s)))
    boot = (s[idx, 2] - s[idx, 1]).sum(1) / s[idx, 3].sum(1)
    o = np.array(outcome)
    auc = outcome_auc(o[:, 0], o[:, 1].astype(bool), n_boot=1)["auc"]
    return {"actual": a, "predicted": p, "perturbed": q, "ratio": (q - p) / abs(p - a),
            "effect_lo95": float(np.quantile(boot, 0.025)), "outcome_auc": auc, "n_plays": len(s)}


def check_shipped(rows):
    """The numpy form of the shipped candidate equals the core's metric."""
    cand = CANDIDATES["shipped: all terms, tau 0.3 s, relevance"]
    for receiver, tracked, *_ in rows[:20]:
        p = parts(tracked, receiver, cand[0])
        s = metric.score(tracked, receiver)
        np.testing.assert_allclose(value(p, cand), s.value, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(weights(p, cand), s.relevance, rtol=1e-10)


def seed_study(model) -> int:
    ds = load_dataset(SHARED / "ngs_games_2018")
    first_play = {}
    for g, p in ds.play_keys():
        first_play.setdefault(g, p)
    game = next(g for g, p in first_play.items()
                if ds.play(g, p).context.get("gameSourceId") == "68dede99-7477-4cc9-9e4a-16b5ad351b54")
    plays = list(ds.iter_plays([k for k in ds.play_keys() if k[0] == game]))  # IND at WAS, 2018 week 2
    cand = CANDIDATES["shipped: all terms, tau 0.3 s, relevance"]
    for design in ("single draw", "balanced"):
        effects = []
        for seed in range(6):
            rows = [r for r in (play_paths(p, model, seed, design == "single draw") for p in plays) if r]
            t = table(rows, cand)
            effects.append(round(float(t["perturbed"] - t["predicted"]), 4))
        print(f"{design}: perturbed - predicted for seeds 0-5: {effects}")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default=None, help="also write the table as JSON")
    ap.add_argument("--seed-study", action="store_true",
                    help="instead: perturbed - predicted of the shipped definition on one game "
                         "(IND at WAS) for seeds 0-5, one random quarter per play vs the balanced design")
    args = ap.parse_args()
    model = GhostModel(args.model)
    if args.seed_study:
        return seed_study(model)
    results = {}
    for name, folder, splits in DATASETS:
        ds = load_dataset(folder)
        keys = [k for k in ds.play_keys() if game_split(k[0]) in splits]
        plays = list(ds.iter_plays(keys))
        for design in ("balanced", "single draw"):
            rows = [r for r in (play_paths(p, model, args.seed, design == "single draw") for p in plays) if r]
            if design == "balanced":
                check_shipped(rows)
                cands = CANDIDATES
            else:  # the old perturbation, for the shipped definition only
                cands = {k: v for k, v in CANDIDATES.items() if k.startswith("shipped")}
            for cname, cand in cands.items():
                results[(name, design, cname)] = table(rows, cand)
            print(f"{name}: {len(rows)} plays ({design})", file=sys.stderr)
    print("| candidate | perturbation | " + " | ".join(d[0] for d in DATASETS) + " |")
    print("|---|---|" + "---|" * len(DATASETS))
    for cname in CANDIDATES:
        for design in ("balanced", "single draw"):
            if (DATASETS[0][0], design, cname) not in results:
                continue
            cells = []
            for d in DATASETS:
                r = results[(d[0], design, cname)]
                cells.append(f"{r['ratio']:.1f} / {r['effect_lo95']:+.3f} / {r['outcome_auc']:.2f}")
            print(f"| {cname} | {design} | " + " | ".join(cells) + " |")
    if args.json:
        Path(args.json).write_text(json.dumps([{"dataset": k[0], "perturbation": k[1], "candidate": k[2], **v}
                                               for k, v in results.items()], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

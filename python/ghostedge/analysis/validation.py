"""Checks of the metric and the ghosts against what did happen: outcome AUC (a coverage metric's
only ground truth is the pass result) and rank statistics shared by the reports."""

from __future__ import annotations

import numpy as np

from ..data.play import Play

INCOMPLETE_RESULTS = frozenset({"I", "IN"})  # incomplete, intercepted
COMPLETE_RESULTS = frozenset({"C"})


def pass_incomplete(play: Play) -> bool | None:
    """True for an incomplete or intercepted pass, False for a completion, None otherwise
    (sacks, runs, unknown results)."""
    result = play.context.get("passResult")
    if result in INCOMPLETE_RESULTS:
        return True
    if result in COMPLETE_RESULTS:
        return False
    return None


def auc(positive_scores, negative_scores) -> float:
    """P(a positive scores higher than a negative), ties counting half (Mann-Whitney U / n m);
    NaN scores are dropped; NaN when either side is empty."""
    pos = np.asarray(positive_scores, dtype=np.float64)
    neg = np.asarray(negative_scores, dtype=np.float64)
    pos, neg = pos[np.isfinite(pos)], neg[np.isfinite(neg)]
    if pos.size == 0 or neg.size == 0:
        return float("nan")
    allv = np.concatenate([pos, neg])
    # mid-ranks (1-based; tied values share the mean of their ranks)
    _, inverse, counts = np.unique(allv, return_inverse=True, return_counts=True)
    first = np.cumsum(counts) - counts  # 0-based rank of each distinct value's first item
    ranks = (first + (counts + 1) / 2.0)[inverse]
    u = ranks[: pos.size].sum() - pos.size * (pos.size + 1) / 2.0
    return float(u / (pos.size * neg.size))


def bootstrap_auc(scores, labels, n_boot: int = 1000, seed: int = 0, level: float = 0.95) -> list[float]:
    """Percentile interval of :func:`auc` (label True = positive) over resampled items;
    resamples without both classes are skipped."""
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels, dtype=bool)
    if labels.all() or not labels.any():
        return [float("nan"), float("nan")]
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(int(n_boot)):
        idx = rng.integers(0, scores.size, scores.size)
        lab = labels[idx]
        if lab.all() or not lab.any():
            continue
        values.append(auc(scores[idx][lab], scores[idx][~lab]))
    values = np.asarray(values)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return [float("nan"), float("nan")]
    alpha = (1.0 - level) / 2.0
    lo, hi = np.quantile(values, [alpha, 1.0 - alpha])
    return [float(lo), float(hi)]


def outcome_auc(play_metric, incomplete, n_boot: int = 1000, seed: int = 0) -> dict:
    """How well the metric of the actual trajectories (one value per play, lower = closer
    coverage) tells incomplete and intercepted passes (``incomplete`` True) from completions:
    the AUC of -metric for incompletions, with its bootstrap 95% interval over plays (None
    where undefined)."""
    m = np.asarray(play_metric, dtype=np.float64)
    inc = np.asarray(incomplete, dtype=bool)
    if m.shape != inc.shape:
        raise ValueError(f"{m.size} play values for {inc.size} outcomes")
    ok = np.isfinite(m)
    m, inc = m[ok], inc[ok]
    value = auc(-m[inc], -m[~inc])
    ci = bootstrap_auc(-m, inc, n_boot, seed)
    return {  # None where undefined (one class missing): the report is JSON
        "auc": value if np.isfinite(value) else None,
        "ci95": ci if np.isfinite(ci).all() else None,
        "n": int(m.size),
        "n_incomplete": int(inc.sum()),
    }

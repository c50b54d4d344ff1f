"""models/MODEL_CARD.md from a training summary (``pipeline.train``): data, split, features,
network and the held-out figures of every data folder. Hand-measured sections (latency, the
orientation study) go below the generated text, under HAND_SECTIONS; a retrain keeps them."""

from __future__ import annotations

from pathlib import Path

from ... import _core
from ..frames import H_MAX
from ..windows import HELDOUT_PERCENT, MODEL_RUNS, SPLIT_OVERRIDES, VAL_PERCENT

# Where the hand-measured part of a card starts: write_model_card keeps everything from here on.
HAND_SECTIONS = "\n## Measured by hand"
# The model asked both ways, then the baselines.
PREDICTORS = (*MODEL_RUNS, "damped_acceleration", "constant_velocity", "constant_position")


def figures_table(report: dict) -> str:
    """The held-out table of one report (union or one folder) with the ratios to damped
    acceleration."""
    if not report.get("n_windows"):
        return "(no held-out windows)"
    w, f = report["windows_1s"], report["full_flight"]
    rows = [
        f"| {name} | {w[name]['ade_yd']:.3f} | {w[name]['fde_yd']:.3f} | {f[name]['rmse_bdb_yd']:.3f} | "
        + (f"{w[name]['coverage50']:.3f} | {w[name]['coverage90']:.3f} |" if "coverage50" in w[name] else "- | - |")
        for name in PREDICTORS if name in w
    ]
    return "\n".join([
        f"{report['n_plays']} plays, {report['n_windows']} windows, {report['n_flights']} flights.",
        "",
        "| predictor | ADE 1.0 s (yd) | FDE 1.0 s (yd) | full-flight RMSE (yd) | coverage50 | coverage90 |",
        "|---|---:|---:|---:|---:|---:|",
        *rows,
        "",
        "Ratios to damped acceleration, "
        + "".join("{}: ADE {:.3f}, FDE {:.3f}, full-flight RMSE {:.3f}; ".format(label, *model_ratios(report, run))
                  for run, label in MODEL_RUNS.items())
        + f"highest predicted speed {report['max_pred_speed_yps']:.2f} yd/s.",
    ])


def model_ratios(report: dict, run: str = "model") -> tuple[float, float, float]:
    """ADE, FDE and full-flight RMSE of one model run over damped acceleration's, in one report."""
    w, f = report["windows_1s"], report["full_flight"]
    da_w, da_f = w["damped_acceleration"], f["damped_acceleration"]
    return (w[run]["ade_yd"] / da_w["ade_yd"], w[run]["fde_yd"] / da_w["fde_yd"],
            f[run]["rmse_bdb_yd"] / da_f["rmse_bdb_yd"])


def _ratios(report: dict, run: str) -> str:
    w = report["windows_1s"][run]
    return " | ".join(f"{v:.3f}" for v in (*model_ratios(report, run), w["coverage50"], w["coverage90"]))


def comparison_table(summary: dict) -> str:
    """Per held-out folder and landing: the shipped (distilled) network's ratios beside the
    ensemble's."""
    rows = []
    for name, part in summary["heldout"].get("by_dataset", {}).items():
        other = summary["ensemble_heldout"]["by_dataset"][name]
        if part.get("n_windows"):
            for run, label in MODEL_RUNS.items():
                rows.append(f"| `{name}` | {label} | network | {_ratios(part, run)} |")
                rows.append(f"| `{name}` | {label} | ensemble | {_ratios(other, run)} |")
    return "\n".join(["| held out | asked | predictor | ADE | FDE | full flight | coverage50 | coverage90 |",
                      "|---|---|---|---:|---:|---:|---:|---:|", *rows])


def write_model_card(summary: dict, path: Path, data_dirs: list[str], ds) -> None:
    from .network import RESIDUAL_ACCEL_YPS2, RESIDUAL_FLOOR_YD
    from .train import LANDING_DROPOUT, LONG_HORIZON_FROM, NON_DB_LONG_HORIZON_WEIGHT

    h = summary["heldout"]
    estimate = _core.FEATURE_LANDING_ESTIMATE
    MODEL_FEATURES, DEFAULTS, STUDENT = summary["features"], summary["network"], summary["student"]
    per_folder = "\n\n".join(
        f"### `{name}`\n\n{figures_table(part)}\n\nReproduce: `ghostedge evaluate --data {name} --split heldout --json`"
        for name, part in h.get("by_dataset", {}).items()
    )
    overrides = ", ".join(f"{g}: {s}" for g, s in SPLIT_OVERRIDES.items())
    text = f"""# ghostedge_ghost.onnx - model card

Predicts where each defensive back will be 0.1 .. {H_MAX / 10:.1f} s after frame t (every frame
directly, no rolling forward) given frames t-10 .. t of the defender and the target receiver,
t-2 .. t of everyone else and the ball, the play context, the chosen target receiver and, when
known, where and when the ball thrown to him lands (the Big Data Bowl 2026 formulation); a
Gaussian mean and spread per axis and frame. It never reads the orientation `o`.

It is asked two ways, and every figure below is given for both:
- **landing given** (`model`): the landing point (the ball at the arrival; the Big Data Bowl
  2026 files' own `ball_land_x` / `ball_land_y`) and the seconds until then. Evaluation, and
  any caller that knows the throw (`GhostModel.predict_frame(..., landing=...)`).
- **landing estimated** (`model_estimated_landing`): nothing given; the feature builder's own
  estimate (`land_est_*`, always an input: the ball reaches the receiver after
  {estimate['flight_start_s']:g} s + distance / {estimate['ball_ground_speed_yps']:g} yd/s, the receiver keeping his velocity;
  tools/flight_time_fit.py). The live engine,
  which cannot know where a ball in the air will come down, and the offline ghosts over a
  flight (analysis/rollout.py), so that counterfactual receivers are asked as the actual one.

## Data
{", ".join(f"`{d}`" for d in data_dirs)} ({ds.source}): NGS highlight plays 2017-2019 (biased
toward big plays) and complete 2018 games (ordinary football, Sportradar JSON, no `o`); see each
folder's README. Samples: every defender (defensive backs and the other defenders as extra
training samples, whose frames from {LONG_HORIZON_FROM} on weigh {NON_DB_LONG_HORIZON_WEIGHT:g} in the loss) against
the actual target, for every start frame passForward <= t < passArrived with t-2..t present
(the players, and the ball in at least one of them), future frames up to passArrived; training
rows mirrored in y (augmentation). Only positions x, y of players and ball are read; velocity
and acceleration are position differences (the data's s, a, dir columns are never read).

## Split (by game, deterministic)
CRC32 of "ghostedge-split-v1:<gameId>" mod 100: < {HELDOUT_PERCENT} held out (evaluation),
< {HELDOUT_PERCENT + VAL_PERCENT} validation (early stopping, sigma calibration), rest training;
but for the games listed in `ghostedge.model.windows.SPLIT_OVERRIDES` ({overrides}). The games
folder has three games, all of which the CRC puts in training; the first (IND at WAS) is held
out, the other two (LA at OAK, PHI at TB) train, so early stopping and the sigma calibration
use the highlights' validation games. The model records its training and
validation games (metadata `split_games`): `ghostedge evaluate --split heldout` against it
takes every other game, so complete games it has never seen are all held out.
Rows: {summary['train_rows']} training (incl. mirrored), {summary['val_rows']} validation.

## Features
{len(MODEL_FEATURES)} inputs, built in C++ (`_core.build_pair_features`) in the model frame
(offence toward +x): the LightGBM study's set (docs/feature-selection.md) without `def_o_y`
(orientation: see below) plus the defender's velocities of the 8 steps before t-1 and the
target's of the 4 steps before t (frames up to t-10; a missing older frame repeats the newer
step), plus the throw: the given landing relative to the defender and to the target, its
distance and seconds (all 0 when not given) and `land_given`, and the same six as estimated
(`land_est_*`), plus what a defender away from the ball reacts to over a flight, which the study
(1.0 s, highlights only) ranked but did not keep: his nearest opponent's lateral offset and motion
(`nopp_rel_y`, `nopp_rel_vy`) and where he is across the field (`def_y`).
{LANDING_DROPOUT:.0%} of the training rows (seeded) are not given the landing, so the
network learns both ways: {", ".join(f"`{n}`" for n in MODEL_FEATURES)}.

## Model
One MLP (2 hidden layers of {STUDENT['hidden']}, GELU), distilled from an ensemble of
{DEFAULTS['n_members']} MLPs (2 hidden layers of {DEFAULTS['hidden']}, GELU, dropout {DEFAULTS['dropout']}) run with
test-time mirror averaging (each member also on the play mirrored in y): one forward pass per
pair instead of {2 * DEFAULTS['n_members']}, the per-frame cost of issue 14 (model/training/distil.py). The network
predicts, for all {H_MAX} frames, a residual over a damped-acceleration prior,
bounded per axis by {RESIDUAL_ACCEL_YPS2:g} yd/s^2 * tau^2 / 2 + {RESIDUAL_FLOOR_YD:g} yd, and a per-axis
log-sigma. The ensemble is trained with Gaussian NLL (AdamW, one-cycle, {summary['epochs']} epochs, epoch
{summary['best_epoch']} kept); the network then learns the ensemble's mean and sigma on the same training
rows ({summary['distil_epochs']} epochs, epoch {summary['best_distil_epoch']} kept); both keep the epoch with the best validation
1.0 s ADE / 0.33 yd + full-flight RMSE / 2 yd, summed over the landing given and estimated
(sigma's temperature is fitted with the landing given). Sigma is multiplied by a per-frame temperature
fitted on the validation games (first 10: {summary['temperature_1s']}); then every step is scaled
to at most 12.5 yd/s inside the graph. Input `features` float32 [batch, {len(MODEL_FEATURES)}]; outputs
`ghost_mean`, `ghost_sigma` float32 [batch, {H_MAX}, 2], displacement from the defender's position
at t in the model frame.

## Metrics (held-out games)
All folders together:

{figures_table(h)}

{per_folder}

### The shipped network against the ensemble it was distilled from
Same held-out games, same evaluation (ratios to damped acceleration; the ensemble costs
{2 * DEFAULTS['n_members']} forward passes per pair, the network 1):

{comparison_table(summary)}

Reproduce: `{summary['command']}` (training took {summary['train_seconds']:.0f} s on this 2-core
machine), then the evaluate commands above.

## Limitations
- A few hundred highlight plays and three games: the held-out sets are small (one game of
  ordinary football), so the figures carry noticeable sampling error.
- Conditioned only on the actual target during training; counterfactual targets are
  extrapolation (there is no ground truth for them).
- Live (landing estimated) the full-flight figures are those of the estimated rows; the
  engine predicts afresh every frame, so its 1.0 s windows matter more there.
- Pairs with a player missing at t-2..t are not scored (NaN). Older frames missing (a tag
  dropout, the first second of a feed): the history features repeat the newest step, a case
  the model rarely saw in training. A missing ball uses its latest known position of t-2..t,
  else the target's. Horizons beyond {H_MAX} frames are refused.
- Inputs are the provider's smoothed positions; live positions from the ghostedge filter are
  noisier.
"""
    path = Path(path)
    old = path.read_text() if path.exists() else ""
    if HAND_SECTIONS in old:  # a retrain must not lose what was measured by hand
        text += old[old.index(HAND_SECTIONS):]
    path.write_text(text)

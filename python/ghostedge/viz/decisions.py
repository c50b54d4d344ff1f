"""Field diagram of a quarterback decision: the ghosts for the actual target and for the best
alternative, the players at the throw, their tracked paths and the ball's path (matplotlib Agg)."""

from __future__ import annotations

import numpy as np

from ..constants import FIELD_LENGTH_YD, FIELD_WIDTH_YD
from ..data.play import Play, jersey_text
from .field import draw_field

ACTUAL_COLOR = "#d62728"  # ghosts for the actual target
ALT_COLOR = "#1f77b4"  # ghosts for the best alternative
OFFENCE_COLOR = "#f2f2f2"
DEFENCE_COLOR = "#222222"


def plot_decision(play: Play, ranking, ghosts: dict[int, np.ndarray], out_png,
                  frame_id: int | None = None) -> None:
    """Write a PNG: ranking from :func:`ghostedge.analysis.decisions.rank_receivers`, ghosts
    {receiver nflId: [D, H+1, 2] ghost paths of the play's defensive backs, row 0 at frame_id}."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    frame_id = play.pass_forward_frame if frame_id is None else frame_id
    if frame_id is None:
        raise ValueError("the play has no pass_forward frame; pass frame_id")
    t0 = play.frame_index(frame_id)
    actual = next((o for o in ranking if o.is_actual_target), None)
    alt = next((o for o in ranking if not o.is_actual_target), None)
    shown = [(o, c, lbl) for o, c, lbl in ((actual, ACTUAL_COLOR, "actual target"),
                                           (alt, ALT_COLOR, "best alternative"))
             if o is not None and o.nfl_id in ghosts]
    if not shown:
        raise ValueError("no ghosts for the actual target or an alternative to plot")
    horizon = next(iter(ghosts.values())).shape[1] - 1
    t1 = min(t0 + horizon, play.n_frames - 1)
    is_def = play.is_defense()
    here = play.present[t0]

    # Frame the action: every player at the throw, every tracked path and ghost shown and the
    # ball's path, plus a margin - nothing drawn leaves the frame.
    pts = ([play.xy[t0 : t1 + 1, here].reshape(-1, 2), play.ball_xy[t0 : t1 + 1]]
           + [g.reshape(-1, 2) for g in ghosts.values()])
    pts = np.concatenate(pts)
    pts = pts[np.isfinite(pts).all(axis=1)]
    x_lo = max(0.0, float(pts[:, 0].min()) - 5.0)
    x_hi = min(FIELD_LENGTH_YD, float(pts[:, 0].max()) + 5.0)
    # The whole width of the field, and past the sidelines where a path goes out of bounds.
    y_lo = min(0.0, float(pts[:, 1].min()) - 1.0)
    y_hi = max(FIELD_WIDTH_YD, float(pts[:, 1].max()) + 1.0)

    field_h_in = 5.0  # the field's height on the page; its width follows the shown x range
    field_w_in = field_h_in * (x_hi - x_lo) / (y_hi - y_lo)
    fig_w = max(field_w_in, 6.5) + 0.4  # room for the legend under a narrow crop
    fig = plt.figure(figsize=(fig_w, field_h_in + 1.4), dpi=110)
    ax = fig.add_axes([(fig_w - field_w_in) / 2 / fig_w, 1.0 / (field_h_in + 1.4),
                       field_w_in / fig_w, field_h_in / (field_h_in + 1.4)])
    draw_field(ax, (x_lo, x_hi), (y_lo, y_hi))
    # The legend sits below the field, and the yard numbers give the scale: no axis labels.
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_xticks([])
    ax.set_yticks([])

    # Tracked paths from the throw to the arrival (thin), the ball's path (dashed).
    for p in np.flatnonzero(here):
        track = play.xy[t0 : t1 + 1, p]
        ax.plot(track[:, 0], track[:, 1], color="white" if not is_def[p] else "black",
                lw=0.7, alpha=0.5, zorder=2)
    ball = play.ball_xy[t0 : t1 + 1]
    ax.plot(ball[:, 0], ball[:, 1], ls="--", color="#8b4513", lw=1.8, zorder=3)
    if np.isfinite(ball[-1]).all():
        ax.plot(*ball[-1], marker="o", color="#8b4513", ms=6, zorder=6)
        ax.annotate("ball at arrival", ball[-1], xytext=(-70 if ball[-1, 0] > (x_lo + x_hi) / 2 else 6, 6),
                    textcoords="offset points", color="#ffe4c4", fontsize=7, zorder=7)

    # Ghosts (mean paths) for the actual target and the best alternative.
    # The alternative is dashed and drawn first so that identical ghosts stay visible.
    for option, color, _ in reversed(shown):
        g = ghosts[option.nfl_id]
        style = "-" if option.is_actual_target else "--"
        for d in range(g.shape[0]):
            ax.plot(g[d, :, 0], g[d, :, 1], color=color, lw=2.0, ls=style, alpha=0.9, zorder=4)
            ax.plot(*g[d, -1], marker="x", color=color, ms=6, mew=2, zorder=5)

    # Players at the throw.
    for p in np.flatnonzero(here):
        x, y = play.xy[t0, p]
        ax.plot(x, y, marker="o" if not is_def[p] else "^", ms=9, zorder=6,
                mfc=OFFENCE_COLOR if not is_def[p] else DEFENCE_COLOR, mec="black")
        ax.text(x, y, jersey_text(play.jersey[p]), fontsize=5.5, ha="center", va="center", zorder=7,
                color="black" if not is_def[p] else "white")
    # The two labelled receivers: one label above his spot, the other below, so that they do
    # not cover each other; the defensive backs are marked by their symbols only.
    for (option, color, what), dy in zip(shown, (10, -34)):
        p = play.player_index(option.nfl_id)
        if np.isfinite(play.xy[t0, p]).all():
            text = f"{option.name} ({option.position}) - {what}, rank {option.rank}"
            details = []
            if np.isfinite(option.expected_value_yd):
                details.append(f"EV {option.expected_value_yd:.1f} yd, P(C) {option.completion_probability:.2f}")
            if np.isfinite(option.separation_at_arrival):
                details.append(f"ghost separation {option.separation_at_arrival:.1f} yd")
            if details:
                text += "\n" + ", ".join(details)
            ax.annotate(text, play.xy[t0, p], xytext=(8, dy), textcoords="offset points",
                        fontsize=7.5, color="white", zorder=8, annotation_clip=False,
                        bbox={"boxstyle": "round", "fc": color, "alpha": 0.85})

    handles = [
        Line2D([], [], color=ACTUAL_COLOR, lw=2, label="ghost DBs if thrown to the actual target"),
        Line2D([], [], color=ALT_COLOR, lw=2, ls="--", label="ghost DBs if thrown to the best alternative"),
        Line2D([], [], color="#8b4513", ls="--", lw=1.8, label="ball path (tracked)"),
        Line2D([], [], marker="o", ls="", mfc=OFFENCE_COLOR, mec="black", label="offence at the throw"),
        Line2D([], [], marker="^", ls="", mfc=DEFENCE_COLOR, mec="black", label="defence at the throw"),
        Line2D([], [], color="gray", lw=0.7, label="tracked paths, throw to arrival"),
    ]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.01),
              ncol=3 if field_w_in >= 6.0 else 2, fontsize=7, frameon=False)
    ax.set_title(f"{play.game_id}/{play.play_id}: quarterback decision at frame {frame_id} "
                 f"(ghosts to frame {int(play.frame_ids[t1])})", fontsize=9)
    fig.savefig(out_png, bbox_inches="tight")
    plt.close(fig)

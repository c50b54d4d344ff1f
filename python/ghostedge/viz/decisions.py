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
    dbs = play.defensive_backs()
    is_def = play.is_defense()
    here = play.present[t0]

    # Frame the action: every player at the throw and every ghost, plus a margin.
    pts = [play.xy[t0, here]] + [g.reshape(-1, 2) for g in ghosts.values()]
    pts = np.concatenate(pts)
    pts = pts[np.isfinite(pts).all(axis=1)]
    x_lo = max(0.0, float(pts[:, 0].min()) - 5.0)
    x_hi = min(FIELD_LENGTH_YD, float(pts[:, 0].max()) + 5.0)

    field_h_in = 5.0  # the field's height on the page; its width follows the shown x range
    field_w_in = field_h_in * (x_hi - x_lo) / FIELD_WIDTH_YD
    fig = plt.figure(figsize=(max(field_w_in, 8.0) + 0.4, field_h_in + 1.4), dpi=110)
    ax = fig.add_axes([0.2 / (max(field_w_in, 8.0) + 0.4), 1.0 / (field_h_in + 1.4),
                       field_w_in / (max(field_w_in, 8.0) + 0.4), field_h_in / (field_h_in + 1.4)])
    draw_field(ax, (x_lo, x_hi), (0.0, FIELD_WIDTH_YD))
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
        ax.annotate("ball at arrival", ball[-1], xytext=(4, -10), textcoords="offset points",
                    color="#ffe4c4", fontsize=7, zorder=7)

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
    for option, color, what in shown:
        p = play.player_index(option.nfl_id)
        if np.isfinite(play.xy[t0, p]).all():
            sep = option.separation_at_arrival
            text = f"{option.name} ({option.position}) - {what}, rank {option.rank}"
            if np.isfinite(sep):
                text += f"\nghost separation at arrival {sep:.1f} yd"
            ax.annotate(text, play.xy[t0, p], xytext=(8, 8), textcoords="offset points",
                        fontsize=7.5, color="white", zorder=8,
                        bbox={"boxstyle": "round", "fc": color, "alpha": 0.85})
    for d in dbs:
        if here[d]:
            ax.annotate(f"{play.position[d]} {play.name[d].split(' ')[-1]}", play.xy[t0, d],
                        xytext=(-6, -12), textcoords="offset points", fontsize=6.5, color="#dddddd",
                        zorder=8)

    handles = [
        Line2D([], [], color=ACTUAL_COLOR, lw=2, label="ghost DBs if thrown to the actual target"),
        Line2D([], [], color=ALT_COLOR, lw=2, ls="--", label="ghost DBs if thrown to the best alternative"),
        Line2D([], [], color="#8b4513", ls="--", lw=1.8, label="ball path (tracked)"),
        Line2D([], [], marker="o", ls="", mfc=OFFENCE_COLOR, mec="black", label="offence at the throw"),
        Line2D([], [], marker="^", ls="", mfc=DEFENCE_COLOR, mec="black", label="defence at the throw"),
        Line2D([], [], color="gray", lw=0.7, label="tracked paths, throw to arrival"),
    ]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.01), ncol=3, fontsize=7,
              frameon=False)
    ax.set_title(f"{play.game_id}/{play.play_id}: quarterback decision at frame {frame_id} "
                 f"(ghosts to frame {int(play.frame_ids[t1])})", fontsize=9)
    fig.savefig(out_png, bbox_inches="tight")
    plt.close(fig)

"""Ghosts vs actual trajectories of one play (matplotlib, Agg backend)."""

from __future__ import annotations

import numpy as np

from ..data.play import Play
from ..model.frames import CHI2_2DOF
from ..model.inference import GhostModel
from ..model.windows import is_pass_play


def plot_play_ghosts(play: Play, model: GhostModel, out_path, frame_id: int | None = None) -> str:
    """Draw, from ``frame_id`` (default: the pass) to the arrival, each defensive back's actual
    path and his ghost for the actual target with its 90 % band; the target and ball too."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Ellipse

    if not is_pass_play(play):
        raise ValueError(f"play {play.game_id}/{play.play_id} has no forward pass with a known target")
    frame_id = int(frame_id if frame_id is not None else play.pass_forward_frame)
    g = model.ghost_play(play, frame_id, target_nfl_id=play.target_nfl_id)
    t0, t1 = play.frame_index(frame_id), play.frame_index(min(play.pass_arrived_frame, int(play.frame_ids[-1])))
    fig, ax = plt.subplots(figsize=(10, 6))
    r90 = np.sqrt(CHI2_2DOF[90])
    for i, d in enumerate(g.defenders):
        actual = play.xy[t0 : t1 + 1, d]
        (line,) = ax.plot(actual[:, 0], actual[:, 1], "-", lw=2, label=f"DB {play.jersey[d]} actual")
        if not g.valid[i, 0]:
            continue
        ghost = np.vstack([play.xy[t0, d], g.mean[i, 0, : t1 - t0]])
        ax.plot(ghost[:, 0], ghost[:, 1], "--", lw=2, color=line.get_color())
        for k in range(4, t1 - t0, 5):
            m, s = g.mean[i, 0, k], g.sigma[i, 0, k]
            ax.add_patch(Ellipse(m, 2 * r90 * s[0], 2 * r90 * s[1], alpha=0.15, color=line.get_color()))
    tgt = play.player_index(play.target_nfl_id)
    ax.plot(*play.xy[t0 : t1 + 1, tgt].T, "k-", lw=2.5, label="target receiver")
    ax.plot(*play.ball_xy[t0 : t1 + 1].T, ":", color="saddlebrown", lw=1.5, label="ball")
    ax.set_aspect("equal")
    ax.set_xlabel("x (yd)")
    ax.set_ylabel("y (yd)")
    ax.set_title(f"{play.game_id}/{play.play_id}: ghosts (dashed, 90 % bands) vs actual, frames {frame_id}..{frame_id + t1 - t0}")
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    fig.savefig(out_path, dpi=100)
    plt.close(fig)
    return str(out_path)

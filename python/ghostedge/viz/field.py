"""Field drawings of a play with its ghosts: a PNG at the catch and an animated GIF.

matplotlib with the Agg backend (no display needed) and pillow for the GIF. Coordinates are raw
NGS field coordinates (x 0-120 yd with end zones 0-10 and 110-120, y 0-53.3 yd).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..constants import FIELD_LENGTH_YD, FIELD_WIDTH_YD, FRAME_RATE_HZ
from ..data.play import Play, jersey_text

OFFENCE_COLOUR = "#1f5fbf"
DEFENCE_COLOUR = "#c8202f"
DB_EDGE = "#ffd400"
BALL_COLOUR = "#7a3b10"
GHOST_COLOUR = "#ff7f0e"
CONE_FILL = (1.0, 0.6, 0.1, 0.35)
CONE_EDGE = (1.0, 0.6, 0.1, 0.9)
TARGET_COLOUR = "#00d0ff"
TURF = "#2e7d32"
END_ZONE = "#1b5e20"


@dataclass
class GhostSet:
    """Ghosts to draw: defenders (player indices of the play), mean/sigma [D, H, 2] from the
    defenders' positions at ``start_frame``, for the receiver ``target_nfl_id``."""

    defenders: np.ndarray
    mean: np.ndarray
    sigma: np.ndarray
    start_frame: int
    target_nfl_id: int | None
    label: str


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def draw_field(ax, x_range: tuple[float, float] = (0.0, FIELD_LENGTH_YD),
               y_range: tuple[float, float] = (-1.5, FIELD_WIDTH_YD + 1.5)) -> None:
    """Turf, end zones, yard lines every 5 yd, yard numbers every 10, hash marks."""
    from matplotlib.collections import LineCollection
    from matplotlib.patches import Rectangle

    ax.set_facecolor(TURF)
    ax.add_patch(Rectangle((0, 0), 10, FIELD_WIDTH_YD, color=END_ZONE, zorder=0))
    ax.add_patch(Rectangle((110, 0), 10, FIELD_WIDTH_YD, color=END_ZONE, zorder=0))
    # Collections, not one Line2D per mark: hundreds of artists make every redraw slow.
    xs = np.arange(10, 111, 5)
    ax.add_collection(LineCollection(
        [[(x, 0), (x, FIELD_WIDTH_YD)] for x in xs], colors="white", alpha=0.75, zorder=1,
        linewidths=[2.4 if x in (10, 110) else 1.5 if x % 10 == 0 else 0.7 for x in xs]))
    for x in range(20, 101, 10):
        n = x - 10 if x <= 60 else 110 - x
        for y, rot in ((5.0, 0), (FIELD_WIDTH_YD - 5.0, 180)):
            ax.text(x, y, str(n), color="white", ha="center", va="center", fontsize=9,
                    alpha=0.8, rotation=rot, zorder=1, fontweight="bold")
    hash_y = (FIELD_WIDTH_YD - 18.5 / 3) / 2  # NFL hashes: 70 ft 9 in from each sideline
    ax.add_collection(LineCollection(
        [[(x, y - 0.35), (x, y + 0.35)] for x in range(11, 110)
         for y in (hash_y, FIELD_WIDTH_YD - hash_y, 0.4, FIELD_WIDTH_YD - 0.4)],
        colors="white", linewidths=0.6, alpha=0.55, zorder=1))
    for x, text in ((5.0, "END ZONE"), (115.0, "END ZONE")):
        if x_range[0] < x < x_range[1]:
            ax.text(x, FIELD_WIDTH_YD / 2, text, color="white", alpha=0.35, rotation=90,
                    ha="center", va="center", fontsize=14, fontweight="bold", zorder=1)
    ax.plot([0, 120, 120, 0, 0], [0, 0, FIELD_WIDTH_YD, FIELD_WIDTH_YD, 0], color="white", lw=2, zorder=1)
    ax.set_xlim(*x_range)
    ax.set_ylim(*y_range)
    ax.set_aspect("equal")
    ax.set_xlabel("x (yd)")
    ax.set_ylabel("y (yd)")


def _x_window(xs: np.ndarray, min_width: float = 80.0) -> tuple[float, float]:
    """A window along x around the action (finite xs), at least min_width wide, on the field."""
    xs = xs[np.isfinite(xs)]
    if xs.size == 0:
        return 0.0, FIELD_LENGTH_YD
    lo, hi = float(xs.min()) - 6.0, float(xs.max()) + 6.0
    if hi - lo < min_width:
        mid = (lo + hi) / 2
        lo, hi = mid - min_width / 2, mid + min_width / 2
    if lo < -2.0:
        lo, hi = -2.0, hi - lo - 2.0
    if hi > FIELD_LENGTH_YD + 2.0:
        lo, hi = lo - (hi - FIELD_LENGTH_YD - 2.0), FIELD_LENGTH_YD + 2.0
    return max(lo, -2.0), hi


def _cone(mean: np.ndarray, sigma: np.ndarray, start: np.ndarray, k: float = 1.0) -> np.ndarray:
    """Polygon [M, 2] of the band mean ± k·sigma across the direction of travel (the per-axis
    sigma projected on that cross direction)."""
    pts = np.vstack([start[None], mean])
    sig = np.vstack([[0.0, 0.0], sigma])
    # Offsets across the overall heading (start -> end), not the local one: a wiggly short
    # path would otherwise give a self-crossing band.
    heading = pts[-1] - pts[0]
    if np.hypot(*heading) < 0.5:  # (nearly) standing: any fixed direction will do
        heading = np.array([1.0, 0.0])
    d = np.broadcast_to(heading, pts.shape)
    norm = np.hypot(d[:, 0], d[:, 1])
    nrm = np.stack([-d[:, 1], d[:, 0]], axis=1) / norm[:, None]
    half = k * np.hypot(sig[:, 0] * nrm[:, 0], sig[:, 1] * nrm[:, 1])
    left, right = pts + nrm * half[:, None], pts - nrm * half[:, None]
    return np.vstack([left, right[::-1]])


def _player_styles(play: Play, defender_idx: np.ndarray):
    is_def = play.is_defense()
    colours = np.where(is_def, DEFENCE_COLOUR, OFFENCE_COLOUR)
    is_db = np.zeros(play.n_players, dtype=bool)
    is_db[defender_idx] = True
    return colours, is_db


def plot_catch_png(play: Play, out_png: str | Path, ghosts: GhostSet, release_frame: int,
                   arrival_frame: int, title: str = "", note: str = "") -> Path:
    """The field at the catch: every player where he was at the arrival, the actual paths of the
    defensive backs and of the target from the throw, the ball's path, and the ghosts (mean and
    ±1σ cone) for ``ghosts.target_nfl_id``."""
    plt = _pyplot()
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    t0, t1 = play.frame_index(release_frame), play.frame_index(arrival_frame)
    dbs = np.asarray(ghosts.defenders, dtype=np.int64)
    colours, is_db = _player_styles(play, dbs)
    target = None
    if ghosts.target_nfl_id is not None and ghosts.target_nfl_id in play.nfl_ids:
        target = play.player_index(ghosts.target_nfl_id)

    focus = [play.xy[t0:t1 + 1, dbs, 0].ravel(), play.ball_xy[t0:t1 + 1, 0],
             ghosts.mean[..., 0].ravel()]
    if target is not None:
        focus.append(play.xy[t0:t1 + 1, target, 0])
    x_range = _x_window(np.concatenate(focus))

    fig, ax = plt.subplots(figsize=(12, 6.4), dpi=100)
    draw_field(ax, x_range)
    # Actual paths from the throw to the catch.
    for i in dbs:
        ax.plot(play.xy[t0:t1 + 1, i, 0], play.xy[t0:t1 + 1, i, 1], color=DEFENCE_COLOUR, lw=2.2, zorder=3)
    if target is not None:
        ax.plot(play.xy[t0:t1 + 1, target, 0], play.xy[t0:t1 + 1, target, 1], color=TARGET_COLOUR,
                lw=2.4, zorder=3)
    ax.plot(play.ball_xy[t0:t1 + 1, 0], play.ball_xy[t0:t1 + 1, 1], color="white", lw=1.5,
            ls=(0, (2, 2)), zorder=3)
    # Ghosts: mean path and ±1σ cone from each DB's position at the ghosts' start frame.
    ts = play.frame_index(ghosts.start_frame)
    for k, i in enumerate(dbs):
        start = play.xy[ts, i]
        m, s = ghosts.mean[k], ghosts.sigma[k]
        if not (np.isfinite(start).all() and np.isfinite(m).all()):
            continue
        poly = _cone(m, np.where(np.isfinite(s), s, 0.0), start)
        ax.fill(poly[:, 0], poly[:, 1], facecolor=CONE_FILL, edgecolor=CONE_EDGE, lw=0.8, zorder=4)
        ax.plot(np.r_[start[0], m[:, 0]], np.r_[start[1], m[:, 1]], color=GHOST_COLOUR, lw=2.0,
                ls="--", zorder=5)
        ax.plot(m[-1, 0], m[-1, 1], marker="o", ms=5, mfc="none", mec=GHOST_COLOUR, mew=1.5, zorder=5)
    # Players at the catch.
    xy = play.xy[t1]
    ok = np.isfinite(xy).all(axis=1)
    ax.scatter(xy[ok & ~is_db, 0], xy[ok & ~is_db, 1], s=70, c=colours[ok & ~is_db],
               edgecolors="white", linewidths=0.8, zorder=6)
    ax.scatter(xy[ok & is_db, 0], xy[ok & is_db, 1], s=150, c=DEFENCE_COLOUR, edgecolors=DB_EDGE,
               linewidths=2.0, zorder=7)
    for i in np.flatnonzero(ok):
        ax.text(xy[i, 0], xy[i, 1], jersey_text(play.jersey[i]), color="white", fontsize=6.5,
                ha="center", va="center", zorder=8, fontweight="bold")
    if target is not None and ok[target]:
        ax.scatter([xy[target, 0]], [xy[target, 1]], s=360, facecolors="none",
                   edgecolors=TARGET_COLOUR, linewidths=2.2, zorder=7)
    bx = play.ball_xy[t1]
    if np.isfinite(bx).all():
        ax.scatter([bx[0]], [bx[1]], s=60, marker="D", c=BALL_COLOUR, edgecolors="white", zorder=9)
    handles = [
        Line2D([], [], marker="o", ls="", mfc=OFFENCE_COLOUR, mec="white", ms=8, label=f"offence ({play.possession_team or '?'})"),
        Line2D([], [], marker="o", ls="", mfc=DEFENCE_COLOUR, mec="white", ms=8, label=f"defence ({play.defensive_team or '?'})"),
        Line2D([], [], marker="o", ls="", mfc=DEFENCE_COLOUR, mec=DB_EDGE, mew=2, ms=10, label="defensive back (CB/S)"),
        Line2D([], [], marker="o", ls="", mfc="none", mec=TARGET_COLOUR, mew=2, ms=12, label="actual target"),
        Line2D([], [], marker="D", ls="", mfc=BALL_COLOUR, mec="white", ms=7, label="ball"),
        Line2D([], [], color=DEFENCE_COLOUR, lw=2.2, label="DB actual path (throw to catch)"),
        Line2D([], [], color=TARGET_COLOUR, lw=2.4, label="target actual path"),
        Line2D([], [], color="white", lw=1.5, ls=(0, (2, 2)), label="ball path"),
        Line2D([], [], color=GHOST_COLOUR, lw=2, ls="--", label=ghosts.label),
        Patch(facecolor=CONE_FILL, edgecolor=CONE_EDGE, label="ghost ±1σ cone"),
    ]
    leg = ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8.5,
                    frameon=True, facecolor=TURF, labelcolor="white", framealpha=1.0)
    leg.set_zorder(20)
    ax.set_title(title, fontsize=11)
    if note:  # below the x axis label
        ax.text(0.0, -0.11, note, transform=ax.transAxes, fontsize=8, ha="left", va="top")
    fig.tight_layout()
    out = Path(out_png)
    fig.savefig(out, bbox_inches="tight")
    plt.close(fig)
    return out


def animate_play_gif(play: Play, out_gif: str | Path, frame_ids: list[int],
                     ghosts_by_frame: dict[int, GhostSet], defender_idx: np.ndarray,
                     target_nfl_id: int | None, title: str = "", fps: float = FRAME_RATE_HZ,
                     dpi: int = 72) -> Path:
    """An animated GIF: players, ball and the live ghosts of each frame (the engine's output)."""
    plt = _pyplot()
    from matplotlib.collections import PolyCollection
    from matplotlib.lines import Line2D
    from PIL import Image

    idx = [play.frame_index(f) for f in frame_ids]
    dbs = np.asarray(defender_idx, dtype=np.int64)
    colours, is_db = _player_styles(play, dbs)
    focus = [play.xy[idx][:, dbs, 0].ravel(), play.ball_xy[idx, 0]]
    focus += [g.mean[..., 0].ravel() for g in ghosts_by_frame.values()]
    x_range = _x_window(np.concatenate(focus), min_width=96.0)
    fig, ax = plt.subplots(figsize=(11.5, 5.4), dpi=dpi)
    draw_field(ax, x_range)
    ax.set_xlabel("")
    ax.set_ylabel("")
    target = play.player_index(target_nfl_id) if target_nfl_id in play.nfl_ids else None
    trail, = ax.plot([], [], color="white", lw=1.2, ls=(0, (2, 2)), zorder=3)
    cones = PolyCollection([], facecolors=[CONE_FILL], edgecolors=[CONE_EDGE], linewidths=0.6, zorder=4)
    ax.add_collection(cones)
    ghost_lines = [ax.plot([], [], color=GHOST_COLOUR, lw=1.8, ls="--", zorder=5)[0] for _ in dbs]
    others = ax.scatter([], [], s=55, edgecolors="white", linewidths=0.6, zorder=6)
    db_pts = ax.scatter([], [], s=110, c=DEFENCE_COLOUR, edgecolors=DB_EDGE, linewidths=1.8, zorder=7)
    tgt = ax.scatter([], [], s=300, facecolors="none", edgecolors=TARGET_COLOUR, linewidths=2, zorder=7)
    ball = ax.scatter([], [], s=50, marker="D", c=BALL_COLOUR, edgecolors="white", zorder=9)
    label = ax.text(0.01, 0.98, "", transform=ax.transAxes, ha="left", va="top", fontsize=10,
                    color="white", zorder=20, bbox=dict(facecolor="black", alpha=0.55, lw=0))
    handles = [
        Line2D([], [], marker="o", ls="", mfc=OFFENCE_COLOUR, mec="white", ms=7, label="offence"),
        Line2D([], [], marker="o", ls="", mfc=DEFENCE_COLOUR, mec="white", ms=7, label="defence"),
        Line2D([], [], marker="o", ls="", mfc=DEFENCE_COLOUR, mec=DB_EDGE, mew=2, ms=9, label="defensive back"),
        Line2D([], [], marker="o", ls="", mfc="none", mec=TARGET_COLOUR, mew=2, ms=11, label="actual target"),
        Line2D([], [], marker="D", ls="", mfc=BALL_COLOUR, mec="white", ms=6, label="ball"),
        Line2D([], [], color=GHOST_COLOUR, lw=2, ls="--", label="ghost (next 1 s) ±1σ"),
    ]
    # Outside the field, so it is drawn once with the background and nothing moves over it.
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8,
              facecolor=TURF, labelcolor="white", framealpha=1.0)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    moving = [trail, cones, *ghost_lines, others, db_pts, tgt, ball, label]
    for artist in moving:
        artist.set_animated(True)
    # Blitting: the field is rendered once; each frame restores it and draws the moving parts.
    fig.canvas.draw()
    background = fig.canvas.copy_from_bbox(fig.bbox)
    images = []
    for fid, t in zip(frame_ids, idx):
        xy = play.xy[t]
        ok = np.isfinite(xy).all(axis=1)
        others.set_offsets(xy[ok & ~is_db])
        others.set_facecolors(colours[ok & ~is_db])
        db_pts.set_offsets(xy[ok & is_db])
        tgt.set_offsets(xy[[target]] if target is not None and ok[target] else np.empty((0, 2)))
        b = play.ball_xy[t]
        ball.set_offsets(b[None] if np.isfinite(b).all() else np.empty((0, 2)))
        t_start = max(0, t - 30)
        trail.set_data(play.ball_xy[t_start:t + 1, 0], play.ball_xy[t_start:t + 1, 1])
        g = ghosts_by_frame.get(fid)
        polys = []
        for line in ghost_lines:
            line.set_data([], [])
        text = f"frame {fid}"
        if play.events[t]:
            text += f"  {play.events[t]}"
        if g is not None:
            for k, i in enumerate(g.defenders):
                start = xy[i]
                m, s = g.mean[k], g.sigma[k]
                if not (np.isfinite(start).all() and np.isfinite(m).all()):
                    continue
                polys.append(_cone(m, np.where(np.isfinite(s), s, 0.0), start))
                if k < len(ghost_lines):
                    ghost_lines[k].set_data(np.r_[start[0], m[:, 0]], np.r_[start[1], m[:, 1]])
            text += f"\n{g.label}"
        cones.set_verts(polys)
        label.set_text(text)
        fig.canvas.restore_region(background)
        for artist in moving:
            ax.draw_artist(artist)
        rgba = np.asarray(fig.canvas.buffer_rgba())
        # Fast octree quantisation: the default median cut costs ~60 ms a frame at this size.
        images.append(Image.fromarray(rgba[..., :3]).quantize(
            colors=64, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE))
    plt.close(fig)
    out = Path(out_gif)
    if not images:
        raise ValueError("no frames to animate")
    images[0].save(out, save_all=True, append_images=images[1:], duration=int(1000 / fps), loop=0,
                   optimize=False)
    return out

"""``ghostedge bench`` for people: a short table (text) and one plot (PNG) of a result of
:func:`ghostedge.sim.bench.run_bench`. Matplotlib is imported only to draw."""

from __future__ import annotations

from pathlib import Path

from .bench import PACINGS, STAGES, WORST_CASE

BUDGET_MS = 1.0  # the per-frame aim at 35 pairs on a small CPU (issue 14)
VIDEO_FRAME_MS = 1e3 / 59.94


def fmt_number(v, digits: int = 3) -> str:
    """A number for a table: thousands separated, millions as M, 3 significant digits, n/a."""
    if v is None or (isinstance(v, float) and v != v):
        return "n/a"
    if isinstance(v, int):
        return f"{v:,}"
    if abs(v) >= 1e6:
        return f"{v / 1e6:,.1f} M"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:.{digits}g}"


def _runs(result: dict, label: str, provider: str) -> list[dict]:
    return [r for r in result["frames"] if r["model"] == label and r["provider"] == provider]


def render_table(result: dict) -> str:
    """Headline, per-stage p50 / p99 per shape and pacing, inference alone, throughput."""
    m = result["machine"]
    gpus = ", ".join(f"{g['name']} (driver {g['driver']})" for g in m["gpus"] or []) or "no GPU"
    lines = [f"ghostedge bench ({result['mode']}, {result['wall_s']} s): {m['cpu']}, {m['cores']} "
             f"cores, {gpus}; onnxruntime {m['onnxruntime']} ({', '.join(m['onnxruntime_providers'])}); "
             f"load average {fmt_number(m['load_avg_1m'])} at the start, "
             f"{fmt_number(m.get('load_avg_1m_end'))} at the end"]
    lines += [f"{label}: {model['path']} (md5 {model['md5'][:12]}, horizon {model['horizon']}, "
              f"{model['network']})" for label, model in result["models"].items()]
    if result["providers"]["missing"]:
        lines.append(f"NOT AVAILABLE: {', '.join(result['providers']['missing'])} (measured "
                     f"{', '.join(result['providers']['used'])})")
    lines += [f"FAILED: {part}: {error}" for part, error in result.get("errors", {}).items()]
    lines.append("")
    for label in result["models"]:
        head = result if label == "model" else result["compare"]
        lines.append(f"[{label}] {head['pairs_per_frame']} pairs ({result['shape']}), {head['provider']}: "
                     f"frame p50 {fmt_number(head['frame_latency_p50_ms'])} / p99 "
                     f"{fmt_number(head['frame_latency_p99_ms'])} / max {fmt_number(head['frame_latency_max_ms'])} ms "
                     f"back to back; p99 {fmt_number(head['paced_frame_latency_p99_ms'])} ms at 10 Hz; "
                     f"model call p50 {fmt_number(head['model_call_p50_ms'])} ms; worst case "
                     f"{WORST_CASE.name} p99 {fmt_number(head['worst_case_frame_latency_p99_ms'])} ms")
    for label in result["models"]:
        for provider in result["providers"]["used"]:
            runs = _runs(result, label, provider)
            cols = [f"{r['shape']} {r['pacing']}" for r in runs]
            lines += ["", f"per-frame stages, ms p50 / p99 ({label}, {provider}; frames: "
                      + ", ".join(f"{c} {r['frames']}" for c, r in zip(cols, runs)) + ")",
                      f"{'stage':<12}" + "".join(f"{c:>22}" for c in cols)]
            for stage in STAGES:
                cells = [f"{fmt_number(r['stages'][stage]['p50_ms'])} / {fmt_number(r['stages'][stage]['p99_ms'])}"
                         for r in runs]
                lines.append(f"{stage:<12}" + "".join(f"{c:>22}" for c in cells))
    lines += ["", "inference alone (IO-bound call, one thread on CPU): batch, p50 ms, p99 ms, pairs/s"]
    for row in result["inference"]["rows"]:
        copies = (f", with copies {fmt_number(row['with_copies_p50_ms'])} ms"
                  if row["with_copies_p50_ms"] is not None else "")
        lines.append(f"  {row['model']:<8}{row['provider']:<9}{row['batch']:>7}  {fmt_number(row['p50_ms']):>8}"
                     f"  {fmt_number(row['p99_ms']):>8}  {fmt_number(row['pairs_per_s']):>10}{copies}")
    t = result["throughput"]
    lines += ["", f"throughput (one core): decode {fmt_number(t['decode']['reads_per_s'])} reads/s "
                  f"({fmt_number(t['decode']['bytes_per_s'] / 2**20)} MiB/s); batch filter "
                  f"{fmt_number(t['batch_filter']['player_frames_per_s'])} player-frames/s"]
    if result.get("compare"):
        ratios = result["compare"]["ratio_compare_to_model"]
        lines += ["", "compare / model: " + ", ".join(
            f"{k} {v:.3g}" for k, v in ratios.items() if "latency" in k or "model_call" in k)]
    return "\n".join(lines)


def plot(result: dict, path: Path) -> Path:
    """Frame-latency distributions (every shape and pacing, each model), the per-stage p50 / p99
    of the main shape back to back, and inference time by batch size per provider."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker  # noqa: F401  (matplotlib.ticker.* below)
    import numpy as np

    provider = result["provider"]
    fig, ax = plt.subplots(1, 3, figsize=(16, 4.6))
    styles = {"back_to_back": "-", "10hz": "--"}
    for label in result["models"]:
        for run in _runs(result, label, provider):
            v = np.sort(run["frame_ms"])
            if v.size:
                ax[0].plot(v, np.arange(1, v.size + 1) / v.size, styles[run["pacing"]],
                           label=f"{label} {run['shape']} {run['pacing']} (n={v.size})")
    ax[0].axvline(BUDGET_MS, color="red", ls=":", lw=1, label=f"{BUDGET_MS:g} ms aim")
    ax[0].axvline(VIDEO_FRAME_MS, color="grey", ls="--", lw=1, label="one video frame")
    ax[0].set_xscale("log")
    ticks = [0.2, 0.5, 1, 2, 5, 10, 20, 50]
    ax[0].xaxis.set_major_locator(matplotlib.ticker.FixedLocator(ticks))
    ax[0].xaxis.set_major_formatter(matplotlib.ticker.FixedFormatter([f"{t:g}" for t in ticks]))
    ax[0].xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax[0].set_xlabel("per-frame latency, ms (log)")
    ax[0].set_ylabel("fraction of frames")
    ax[0].set_title(f"frame latency ({provider})")
    ax[0].legend(fontsize=6, loc="lower right")
    main = [r for r in _runs(result, "model", provider)
            if r["shape"] == result["shape"] and r["pacing"] == PACINGS[0]]
    stages = [s for s in STAGES if s not in ("host", "worker", "frame", "frame_cpu")]
    if main:
        y = np.arange(len(stages))
        ax[1].barh(y - 0.2, [main[0]["stages"][s]["p50_ms"] for s in stages], 0.4, label="p50")
        ax[1].barh(y + 0.2, [main[0]["stages"][s]["p99_ms"] for s in stages], 0.4, label="p99")
        ax[1].set_yticks(y, stages)
        ax[1].legend()
    ax[1].set_xlabel("ms per frame")
    ax[1].set_title(f"stages, {result['shape']} back to back")
    for label in result["models"]:
        for prov in result["providers"]["used"]:
            rows = [r for r in result["inference"]["rows"] if r["model"] == label and r["provider"] == prov]
            ax[2].loglog([r["batch"] for r in rows], [r["p50_ms"] for r in rows], "o-",
                         label=f"{label} {prov}")
    ax[2].set_xlabel("batch (defender x receiver pairs)")
    ax[2].set_ylabel("ms per call (p50)")
    ax[2].set_title("inference alone")
    ax[2].legend(fontsize=7)
    for a in ax:
        a.grid(True, which="both", alpha=0.3)
    m = result["machine"]
    fig.suptitle(f"ghostedge bench on {m['cpu']} ({m['cores']} cores), onnxruntime {m['onnxruntime']}",
                 fontsize=10)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path

#!/usr/bin/env python3
"""Render the tables of bench/RESULTS.md from a saved run (bench/results.json), so that every
number in the document is the one measured:

    python bench/report.py bench/results.json > /tmp/tables.md
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ghostedge.sim.bench_report import fmt_number as _f


def render(res: dict) -> str:
    m = res["machine"]
    sec = res["sections"]
    out = [f"Machine: {m['cpu']}, {m['cores']} cores, {m['platform']}; Python {m['python']}, "
           f"numpy {m['numpy']}, pandas {m['pandas']}, onnxruntime {m['onnxruntime']}, "
           f"torch {m['torch']}; ghostedge {m['ghostedge']} (git {m.get('git_commit')}"
           f"{', uncommitted changes' if m.get('git_dirty') else ''}); load average at start "
           f"{m['load_avg_1m']:.2f}; mode `{res['mode']}`, run time {res['wall_s']} s.", ""]
    out += ["| headline | value |", "|---|---|"]
    for k in ("frame_latency_p50_ms", "frame_latency_p99_ms", "frame_latency_max_ms",
              "frame_cpu_p50_ms", "frame_cpu_p99_ms", "pairs_per_frame", "pipeline_speedup_vs_reference",
              "pipeline_speedup_vs_reference_cpu", "decode_reads_per_s",
              "decode_speedup_vs_reference", "filter_player_frames_per_s",
              "inference_speedup_vs_torch", "season_points_per_s", "peak_rss_mb", "rss_growth_mb"):
        out.append(f"| `{k}` | {_f(res.get(k))} |")
    out.append("")

    p = sec.get("pipeline", {})
    if p.get("status") == "ok":
        out += [f"#### End-to-end per frame ({p['frames']} frames of {len(p['plays'])} plays, "
                f"{_f(p['pairs_per_frame'])} pairs per frame (max {p['pairs_per_frame_max']}))", "",
                f"Method: {p['method']}.", "",
                "| stage | p50 ms | p99 ms | max ms |", "|---|---|---|---|"]
        for name, st in list(p["stages"].items()) + [("**frame (sum)**", p["frame"]),
                                                     ("frame, process CPU time", p["frame_cpu"])]:
            out.append(f"| {name} | {_f(st['p50_ms'])} | {_f(st['p99_ms'])} | {_f(st['max_ms'])} |")
        out.append("")
        if p.get("reference", {}).get("status") == "skipped":
            out += [f"Reference Python pipeline: skipped ({p['reference']['reason']}).", ""]
        elif "reference" in p:
            r = p["reference"]
            out += [f"Reference Python pipeline on the same {r['frames']} frames "
                    f"(torch threads {r['torch_threads']}):", "",
                    "| reference stage | p50 ms | p99 ms |", "|---|---|---|"]
            for name, st in r["stages"].items():
                out.append(f"| {name} | {_f(st['p50_ms'])} | {_f(st['p99_ms'])} |")
            out += [f"| **frame** | {_f(r['frame']['p50_ms'])} | {_f(r['frame']['p99_ms'])} |",
                    f"| engine, same frames | {_f(r['engine_on_same_frames']['p50_ms'])} | "
                    f"{_f(r['engine_on_same_frames']['p99_ms'])} |",
                    f"| reference, process CPU time | {_f(r['frame_cpu']['p50_ms'])} | "
                    f"{_f(r['frame_cpu']['p99_ms'])} |",
                    f"| engine, same frames, process CPU time | "
                    f"{_f(r['engine_cpu_on_same_frames']['p50_ms'])} | "
                    f"{_f(r['engine_cpu_on_same_frames']['p99_ms'])} |", "",
                    f"Speedup (ratio of wall-clock medians): {_f(p['speedup_vs_reference'])}x; "
                    f"ratio of means: {_f(p.get('speedup_vs_reference_mean'))}x; ratio of "
                    f"CPU-time medians: {_f(p.get('speedup_vs_reference_cpu'))}x.", ""]
        out += ["| pairs per frame | frames | p50 ms | p99 ms |", "|---|---|---|---|"]
        for row in p["by_pairs"]:
            out.append(f"| {row['pairs']} | {row['n']} | {_f(row['p50_ms'])} | {_f(row['p99_ms'])} |")
        out.append("")

    d = sec.get("decode", {})
    if d.get("status") == "ok":
        out += ["#### Decode (one core)", "", "| reads/packet | C++ reads/s | C++ bytes/s | "
                "reference reads/s | speedup |", "|---|---|---|---|---|"]
        for row in d["by_packet_size"]:
            out.append(f"| {row['reads_per_packet']} | {_f(row['cpp_reads_per_s'])} | "
                       f"{_f(row['cpp_bytes_per_s'])} | {_f(row['reference_reads_per_s'])} | "
                       f"{_f(row['speedup_vs_reference'])}x |")
        out.append("")

    i = sec.get("inference", {})
    if i.get("status") == "ok":
        torch_note = (f"max |ORT - torch| = {i['max_abs_diff_ort_vs_torch']:.2g}"
                      if i.get("max_abs_diff_ort_vs_torch") is not None
                      else f"torch skipped: {i.get('torch', {}).get('reason')}")
        out += [f"#### Inference alone ({', '.join(i['providers'])}; threads {i['threads']}; "
                f"{torch_note})", "",
                "| batch (pairs) | ORT ms | torch ms | ORT pairs/s | speedup |", "|---|---|---|---|---|"]
        for row in i["batches"]:
            out.append(f"| {row['batch']} | {_f(row['ort_ms'])} | {_f(row['torch_ms'])} | "
                       f"{_f(row['ort_pairs_per_s'])} | {_f(row['speedup'])}x |")
        out.append("")

    s = sec.get("scale", {})
    if s.get("status") == "ok":
        se = s["season"]
        out += ["#### Batch scale", "",
                f"Batch filter: {_f(se['points_per_s'])} player-frames/s at "
                f"{_f(se['curve'][-1]['points'])} points ({se['measured_fraction_of_season']:.1%} "
                f"of a 300 M-point season); a season extrapolates to "
                f"{_f(se['season_seconds_extrapolated'])} s on one core. Whole play "
                f"{s['whole_play']['play']} ({s['whole_play']['frames']} frames x "
                f"{s['whole_play']['players']} players): {_f(s['whole_play']['filter_ms'])} ms.", "",
                "| points | seconds | points/s |", "|---|---|---|"]
        for row in se["curve"]:
            out.append(f"| {_f(row['points'])} | {_f(row['seconds'])} | {_f(row['points_per_s'])} |")
        out += ["", "| defenders | receivers | pairs | features + inference ms |", "|---|---|---|---|"]
        for row in s["inference_curves"]["rows"]:
            out.append(f"| {row['defenders']} | {row['receivers']} | {row['pairs']} | {_f(row['ms'])} |")
        out.append("")

    mem = sec.get("memory", {})
    if mem.get("status") == "ok":
        out += ["#### Memory", "",
                f"{mem['frames']} frames ({mem['game_minutes_equivalent']:.0f} game minutes at 10 Hz) "
                f"through one Engine: RSS after warm-up {_f(mem['rss_after_warmup_mb'])} MB, at the end "
                f"{_f(mem['rss_end_mb'])} MB (growth {_f(mem['rss_growth_after_warmup_mb'])} MB); "
                f"peak RSS of that process {_f(mem['peak_rss_mb'])} MB. (The benchmark process "
                f"itself, which holds the shared data set and the 65k-pair batches, peaked at "
                f"{_f(res.get('bench_process_peak_rss_mb'))} MB.)", ""]
    bad = [f"{n}: {v.get('error')}" for n, v in sec.items() if v.get("status") != "ok"]
    if bad:
        out += ["Sections that did not run:", ""] + [f"- {b}" for b in bad] + [""]
    return "\n".join(out)


def main() -> int:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).with_name("results.json"))
    print(render(json.loads(path.read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main())

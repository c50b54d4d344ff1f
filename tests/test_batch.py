"""`ghostedge batch` (docs/batch.md): tables and their documented columns, resumability, bad
input recorded in the errors table while the rest is written, and the local and Ray engines
writing the same rows."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ghostedge.analysis.batch import SCHEMAS, TABLES, score_partition, score_pass_play
from ghostedge.analysis.batch_engines import BatchOptions, run_batch
from ghostedge.analysis.batch_store import read_table
from ghostedge.cli import main
from ghostedge.data import load_dataset, sample_data_dir
from ghostedge.model import GhostModel

REPO = Path(__file__).resolve().parents[1]
HAVE_RAY = importlib.util.find_spec("ray") is not None


@pytest.fixture(scope="module")
def model():
    return GhostModel()


@pytest.fixture(scope="module")
def samples():
    d = sample_data_dir()
    return pd.read_csv(d / "tracking.csv.gz"), pd.read_csv(d / "plays.csv.gz")


def _write(folder: Path, tracking: pd.DataFrame, plays: pd.DataFrame, name="tracking.csv.gz") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    tracking.to_csv(folder / name, index=False)
    plays.to_csv(folder / "plays.csv.gz", index=False)
    return folder


@pytest.fixture
def one_file(tmp_path, samples) -> Path:
    """Three sample pass plays (three games) in one tracking file: split by game."""
    tracking, plays = samples
    games = sorted(plays["gameId"])[:3]
    return _write(tmp_path / "one_file", tracking[tracking["gameId"].isin(games)],
                  plays[plays["gameId"].isin(games)])


@pytest.fixture
def weekly(tmp_path, samples) -> Path:
    """Per-week tracking files (one partition each) sharing a plays table; week 3 is corrupt."""
    tracking, plays = samples
    games = sorted(plays["gameId"])
    folder = _write(tmp_path / "weekly", tracking[tracking["gameId"].isin(games[3:4])], plays,
                    name="week1.csv.gz")
    tracking[tracking["gameId"].isin(games[4:])].to_csv(folder / "week2.csv.gz", index=False)
    good = (folder / "week2.csv.gz").read_bytes()
    (folder / "week3.csv.gz").write_bytes(good[: len(good) // 2])  # cut short: a truncated gzip
    return folder


def _run(tmp_path, data, out="out", **kw) -> tuple[dict, Path]:
    options = BatchOptions(data=[str(d) for d in data], out=str(tmp_path / out), workers=kw.pop("workers", 1),
                           progress=False, **kw)
    return run_batch(options, log=lambda s: None), tmp_path / out


def _doc_columns() -> dict[str, list[tuple[str, str, str]]]:
    """(column, type, unit) of each table as docs/batch.md lists them."""
    tables, current = {}, None
    for line in (REPO / "docs" / "batch.md").read_text().splitlines():
        heading = re.match(r"^### `?(\w+)`? table", line)
        if heading:
            current = tables.setdefault(heading.group(1), [])
            continue
        row = re.match(r"^\| `(\w+)` \| (\w+) \| ([^|]+) \|", line)
        if row and current is not None:
            current.append((row.group(1), row.group(2), row.group(3).strip()))
    return tables


def test_docs_list_every_column_with_type_and_unit():
    documented = _doc_columns()
    assert set(documented) == set(TABLES)
    for name, cols in TABLES.items():
        assert documented[name] == [(c.name, str(c.type), c.unit or "-") for c in cols], name


def test_local_tables_have_the_documented_schema(tmp_path, one_file, samples):
    summary, out = _run(tmp_path, [one_file])
    assert summary["partitions"] == {"to_run": 3, "run": 3, "already_complete": 0, "failed_to_load": 0}
    assert summary["plays"] == {"seen": 3, "scored": 3, "skipped": 0, "errors": 0}
    tables = {name: read_table(out, name) for name in TABLES}
    for name, table in tables.items():
        assert table.schema.equals(SCHEMAS[name], check_metadata=False), name
        # one file per partition and table with rows
        assert len(list((out / name).glob("*.parquet"))) == (3 if table.num_rows else 0), name
    plays = tables["plays"].to_pandas()
    expected = samples[1].set_index(["gameId", "playId"]).loc[list(zip(plays["game_id"], plays["play_id"]))]
    assert plays["target_nfl_id"].tolist() == expected["targetNflId"].astype(int).tolist()
    assert (plays["flight_s"] > 0).all() and plays["completion_probability"].isna().all()
    assert plays["metric_actual"].notna().all() and plays["ghost_rmse_yd"].between(0, 10).all()
    defenders, receivers = tables["defenders"].to_pandas(), tables["receivers"].to_pandas()
    assert len(defenders) == plays["n_defenders"].sum()
    assert len(receivers) == plays["n_receivers"].sum()
    for (_, play), (_, group) in zip(plays.iterrows(), receivers.groupby(["game_id", "play_id"], sort=True)):
        assert sorted(group["rank"]) == list(range(1, len(group) + 1))
        target = group[group["is_target"]]
        assert target["nfl_id"].tolist() == [play["target_nfl_id"]]
        assert target["rank"].item() == play["target_rank"]
    # the rows are sorted by their keys, whatever order the engine finished in
    keys = plays[["partition", "game_id", "play_id"]].to_records(index=False).tolist()
    assert keys == sorted(keys)


def test_second_run_does_no_work_and_a_lost_partition_is_redone(tmp_path, one_file):
    _, out = _run(tmp_path, [one_file])
    first = read_table(out, "defenders")
    summary, _ = _run(tmp_path, [one_file])
    assert summary["partitions"]["run"] == 0 and summary["partitions"]["already_complete"] == 3
    assert summary["sources_loaded_by_driver"] == 0  # the source index spared loading the data
    assert summary["plays"]["seen"] == 0
    victim = sorted((out / "_manifests").glob("*.json"))[1]
    victim.unlink()  # as if the run had died before this partition was complete
    summary, _ = _run(tmp_path, [one_file])
    assert summary["partitions"]["run"] == 1 and summary["partitions"]["already_complete"] == 2
    assert victim.is_file() and read_table(out, "defenders").equals(first)


def test_output_written_with_another_seed_is_refused(tmp_path, one_file):
    _run(tmp_path, [one_file])
    with pytest.raises(ValueError, match="other settings"):
        _run(tmp_path, [one_file], seed=1)


def test_corrupt_file_is_an_error_row_and_the_rest_is_written(tmp_path, weekly):
    summary, out = _run(tmp_path, [weekly], workers=2)
    assert summary["partitions"]["run"] == 3 and summary["partitions"]["failed_to_load"] == 1
    errors = read_table(out, "errors").to_pylist()
    assert len(errors) == 1
    assert errors[0]["stage"] == "load" and errors[0]["partition"].endswith(".week3")
    assert errors[0]["game_id"] is None and "week3.csv.gz" in errors[0]["message"]
    plays = read_table(out, "plays").to_pandas()
    assert sorted(p.split(".")[-1] for p in plays["partition"]) == ["week1", "week2"]
    # the failed partition is not complete: a rerun retries it alone
    summary, _ = _run(tmp_path, [weekly], workers=2)
    assert summary["partitions"]["run"] == 1 and summary["partitions"]["already_complete"] == 2


def test_unreadable_single_file_source_is_an_error_row(tmp_path, one_file):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "tracking.csv").write_text("gameId,playId,nflId,frameId,x,y\n1,2,3,4,not-a-number,5\n")
    summary, out = _run(tmp_path, [one_file, bad])
    assert summary["plays"]["scored"] == 3 and summary["partitions"]["failed_to_load"] == 1
    (error,) = read_table(out, "errors").to_pylist()
    assert error["partition"].endswith(".source") and error["stage"] == "load"
    # fixed, the source loads and its error row goes
    tracking = pd.read_csv(one_file / "tracking.csv.gz")
    (bad / "tracking.csv").write_text(tracking[tracking["gameId"] == tracking["gameId"].iloc[0]].to_csv(index=False))
    summary, _ = _run(tmp_path, [one_file, bad])
    assert summary["partitions"]["failed_to_load"] == 0 and summary["partitions"]["run"] == 1
    assert read_table(out, "errors").num_rows == 0


class FailingModel:
    """The real model, except for one play where it raises."""

    def __init__(self, model, fail_x: float):
        self.model, self.fail_x = model, fail_x

    def predict_frame(self, xy_hist, *args, **kwargs):
        if np.nanmax(np.asarray(xy_hist)[..., 0]) == self.fail_x:
            raise RuntimeError("inference failed")
        return self.model.predict_frame(xy_hist, *args, **kwargs)


def test_a_play_that_fails_is_recorded_and_the_others_are_scored(model):
    dataset = load_dataset(sample_data_dir())
    victim = next(dataset.iter_plays())
    t0 = victim.frame_index(victim.pass_forward_frame)
    fail_x = float(np.nanmax(victim.xy[t0 - 2 : t0 + 1, :, 0]))
    result = score_partition("p", dataset, FailingModel(model, fail_x))
    errors = result.tables["errors"].to_pylist()
    assert [(e["game_id"], e["play_id"], e["stage"]) for e in errors] == [(victim.game_id, victim.play_id, "metric")]
    assert "RuntimeError: inference failed" in errors[0]["message"]
    assert result.counts == {"plays": 5, "scored": 4, "skipped": 0, "errors": 1}
    assert victim.play_id not in result.tables["plays"].column("play_id").to_pylist()


def test_skip_reasons(model):
    play = next(load_dataset(sample_data_dir()).iter_plays())
    assert score_pass_play(dataclasses.replace(play, pass_forward_frame=None), model) == "not_a_pass"
    assert score_pass_play(dataclasses.replace(play, target_nfl_id=None), model) == "no_target"
    assert score_pass_play(dataclasses.replace(play, pass_arrived_frame=None), model) == "no_flight"
    no_dbs = np.array(["LB" if p in ("CB", "FS", "SS", "S", "DB") else p for p in play.position], dtype=object)
    assert score_pass_play(dataclasses.replace(play, position=no_dbs), model) == "no_defensive_backs"
    xy = play.xy.copy()
    xy[play.frame_index(play.pass_forward_frame) + 2, play.player_index(play.target_nfl_id)] = np.nan
    assert score_pass_play(dataclasses.replace(play, xy=xy), model) == "target_track_gap"
    assert score_pass_play(play, model).play["target_nfl_id"] == play.target_nfl_id


def test_cli_json_summary(tmp_path, one_file, capsys):
    assert main(["batch", "--data", str(one_file), "--out", str(tmp_path / "o"), "--workers", "1",
                 "--no-progress", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["plays"]["scored"] == 3 and (tmp_path / "o" / "_run.json").is_file()
    assert main(["batch", "--data", str(tmp_path / "missing"), "--out", str(tmp_path / "o2")]) == 2
    assert main(["batch", "--data", str(one_file), "--out", str(tmp_path / "o3"), "--address", "auto"]) == 2


@pytest.mark.skipif(not HAVE_RAY, reason="ray is not installed (pip install 'ghostedge[distributed]')")
def test_local_and_ray_write_the_same_rows(tmp_path, one_file, weekly):
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        _, ray_out = _run(tmp_path, [one_file, weekly], out="ray", engine="ray", workers=2)
    finally:
        ray.shutdown()
    _, local_out = _run(tmp_path, [one_file, weekly], out="local", workers=2)
    for name in TABLES:
        local, remote = read_table(local_out, name), read_table(ray_out, name)
        assert local.num_rows > 0 or name == "skipped", name
        assert local.equals(remote), name


def test_archived_captures_are_scored_and_a_bad_one_is_an_error(tmp_path, model):
    from ghostedge.ingest import wire
    from ghostedge.ingest.captures import CAPTURE_SUFFIX, capture_dataset
    from ghostedge.sim.simulator import SimConfig, simulate_play

    play = next(load_dataset(sample_data_dir()).iter_plays())
    sim = simulate_play(play, SimConfig(), seed=3)
    folder = tmp_path / "captures"
    folder.mkdir()
    wire.write_capture(folder / "p1.getr", sim.packets)
    sim.registry.to_csv(folder / "p1.registry.csv")
    facts = {"gameId": play.game_id, "playId": play.play_id, "firstFrameId": int(play.frame_ids[0]),
             "firstFrameTimeUs": int(sim.frame_times_us[0]), "passForwardFrameId": play.pass_forward_frame,
             "passArrivedFrameId": play.pass_arrived_frame, "targetNflId": play.target_nfl_id,
             "possessionTeam": play.possession_team, "defensiveTeam": play.defensive_team,
             "playDirection": play.play_direction}
    (folder / "p1.play.json").write_text(json.dumps(facts))
    wire.write_capture(folder / "p2.getr", sim.packets[:50])  # no registry beside it
    summary, out = _run(tmp_path, [], captures=[folder], capture_loader=capture_dataset,
                        capture_suffix=CAPTURE_SUFFIX)
    assert summary["plays"]["scored"] == 1 and summary["plays"]["errors"] == 1
    (error,) = read_table(out, "errors").to_pylist()
    assert error["stage"] == "build" and "p2.registry.csv" in error["message"]
    # the filtered reads give the play of the tracking it was simulated from, within the noise
    from_capture = read_table(out, "defenders").to_pandas().set_index("nfl_id")
    tracked = pd.DataFrame(score_pass_play(play, model).defenders).set_index("nfl_id")
    assert sorted(from_capture.index) == sorted(tracked.index)
    gap = (from_capture["metric_actual"] - tracked["metric_actual"]).abs()
    assert gap.max() < 0.02, gap


@pytest.mark.slow
@pytest.mark.skipif(not HAVE_RAY, reason="ray is not installed (pip install 'ghostedge[distributed]')")
def test_shared_data_same_tables_from_both_engines_and_a_rerun_does_nothing(tmp_path, ngs_dir):
    """The issue's acceptance run: the highlights and (once the loader reads Sportradar JSON) the
    complete games, through the local pool and a local Ray."""
    import ray

    data = [ngs_dir]
    games = REPO.parent / "shared" / "data" / "ngs_games_2018"
    if games.is_dir() and importlib.util.find_spec("ghostedge.data.sportradar") is not None:
        data.append(games)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        _, ray_out = _run(tmp_path, data, out="ray", engine="ray", workers=2)
    finally:
        ray.shutdown()
    summary, local_out = _run(tmp_path, data, out="local", workers=2)
    assert summary["plays"]["errors"] == 0 and summary["partitions"]["failed_to_load"] == 0
    for name in TABLES:
        assert read_table(local_out, name).equals(read_table(ray_out, name)), name
    plays = read_table(local_out, "plays").to_pandas()
    for source in data:  # every source gave scored plays
        key = Path(source).resolve().name
        assert plays["partition"].str.startswith(key).sum() > 0, key
    rerun, _ = _run(tmp_path, data, out="local", workers=2)
    assert rerun["partitions"]["run"] == 0 and rerun["sources_loaded_by_driver"] == 0


@pytest.mark.skipif(importlib.util.find_spec("ghostedge.data.sportradar") is None,
                    reason="the Sportradar JSON loader is not in this tree yet (branch loader)")
def test_corrupt_json_play_file_is_an_error_row_and_its_game_is_written(tmp_path):
    games = REPO.parent / "shared" / "data" / "ngs_games_2018"
    if not games.is_dir():
        pytest.skip("shared NGS games data not found")
    folder = tmp_path / "games" / "LA_at_OAK"
    folder.mkdir(parents=True)
    for f in sorted((games / "LA_at_OAK").glob("*.json.gz"))[:12]:
        (folder / f.name).write_bytes(f.read_bytes())
    victim = sorted(folder.iterdir())[3]
    victim.write_bytes(victim.read_bytes()[:200])  # cut short
    summary, out = _run(tmp_path, [tmp_path / "games"])
    (error,) = read_table(out, "errors").to_pylist()
    assert error["stage"] == "load" and victim.name in error["message"] and error["game_id"] is None
    assert summary["plays"]["seen"] == 11 and summary["partitions"]["failed_to_load"] == 0
    assert read_table(out, "plays").num_rows + read_table(out, "skipped").num_rows == 11


def test_ray_is_imported_only_by_the_ray_engine(tmp_path, one_file):
    import subprocess
    import sys

    code = ("import sys\n"
            "from ghostedge.analysis.batch_engines import BatchOptions, run_batch\n"
            f"run_batch(BatchOptions(data=[{str(one_file)!r}], out={str(tmp_path / 'o')!r}, workers=1, "
            "progress=False), log=lambda s: None)\n"
            "assert 'ray' not in sys.modules, 'the local engine imported ray'\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300)

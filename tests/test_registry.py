"""Tag registry: CSV round trip, derivation from a play, and every error path."""

from __future__ import annotations

import numpy as np
import pytest

from ghostedge.ingest.registry import BALL_TAG_ID, Registry, RegistryError


def write(tmp_path, text: str):
    p = tmp_path / "roster.csv"
    p.write_text(text)
    return p


def test_derived_ids_and_lookup():
    reg = Registry.from_players([2552, 47], ball=True)
    assert reg.n_players == 2
    assert list(reg.slot_nfl_ids) == [2552, 47]
    assert reg.lookup(2552 * 2) == (0, "left_shoulder")
    assert reg.lookup(47 * 2 + 1) == (1, "right_shoulder")
    assert reg.lookup(BALL_TAG_ID) == (-1, "ball")
    assert reg.lookup(12345) is None
    assert reg.warnings == []


def test_csv_round_trip(tmp_path):
    reg = Registry.from_players([10, 11], info={10: {"club": "KC", "position": "CB", "jersey": "24"}})
    path = tmp_path / "r.csv"
    reg.to_csv(path)
    back = Registry.from_csv(path)
    assert np.array_equal(back.tag_ids, reg.tag_ids)
    assert back.info[10]["club"] == "KC"


def test_single_tag_player_is_flagged_not_fatal(tmp_path):
    reg = Registry.from_csv(write(tmp_path, "tag_id,nfl_id,role\n20,10,left_shoulder\n21,10,right_shoulder\n30,15,right_shoulder\n"))
    assert reg.n_players == 2
    assert any("15" in w and "one shoulder tag" in w for w in reg.warnings)


@pytest.mark.parametrize(
    "body, message",
    [
        ("20,10,left_shoulder\n20,11,left_shoulder\n", "duplicate tag id 20"),
        ("20,10,left_shoulder\n22,10,left_shoulder\n", "two left_shoulder tags"),
        ("20,10,elbow\n", "unknown role 'elbow'"),
        ("0,10,left_shoulder\n", "tag_id 0 outside"),
        ("abc,10,left_shoulder\n", "tag_id 'abc' is not an integer"),
        ("20,-4,left_shoulder\n", "nfl_id -4 must be positive"),
        ("20,,right_shoulder\n", "nfl_id '' is not an integer"),
        ("99999999999,10,left_shoulder\n", "outside 1..4294967295"),
        ("20,99999999999999999999,left_shoulder\n", "nfl_id '99999999999999999999' is outside the 64-bit"),
        ("20,-99999999999999999999,left_shoulder\n", "outside the 64-bit integer range"),
        ("99999999999999999999,10,left_shoulder\n", "tag_id '99999999999999999999' is outside the 64-bit"),
        ("20,1e30,left_shoulder\n", "nfl_id '1e30' is outside the 64-bit"),
        ("20,inf,left_shoulder\n", "nfl_id 'inf' is not an integer"),
    ],
)
def test_registry_errors_name_the_problem(tmp_path, body, message):
    with pytest.raises(RegistryError, match=message.replace("(", r"\(")):
        Registry.from_csv(write(tmp_path, "tag_id,nfl_id,role\n" + body))


def test_missing_columns(tmp_path):
    with pytest.raises(RegistryError, match="missing columns"):
        Registry.from_csv(write(tmp_path, "tag,nfl_id\n1,2\n"))


def test_bad_nfl_id_for_derivation():
    with pytest.raises(RegistryError, match="cannot be turned into a tag id"):
        Registry.from_players([0])


def test_large_ids_are_read_exactly(tmp_path):
    """Ids are parsed as integers, not through float (which rounds above 2^53)."""
    big = 2**62 + 1
    reg = Registry.from_csv(write(tmp_path, f"tag_id,nfl_id,role\n20,{big},left_shoulder\n21,{big}.0,right_shoulder\n"))
    assert list(reg.slot_nfl_ids) == [big]

"""Ghost paths over a flight, rolled out in blocks (ghostedge.rollout)."""

from __future__ import annotations

import numpy as np
import pytest
from test_decisions import PursuitModel, constructed_play

from ghostedge.analysis import ghosts, metric
from ghostedge.analysis.rollout import ROLLOUT_BLOCK, rollout_paths
from ghostedge.model.baselines import ConstantVelocityModel

THROW_ROW = 5  # constructed_play(throw=5): pass_forward_frame 6 = row 5


def test_constant_velocity_rollout_equals_one_call():
    # A model that only extrapolates the ghost's own last step gives the same path whether it
    # is asked once or block by block from its own output: the rollout feeds ghosts their own
    # positions, not the tracked ones.
    play = constructed_play(receiver_gap=False)
    dbs = play.defensive_backs()
    model = ConstantVelocityModel()
    rolled = rollout_paths(model, play, THROW_ROW, dbs, 1, 15)
    once = metric.ghost_paths(play.xy[THROW_ROW, dbs],
                              ghosts.predict_ghosts(model, play, THROW_ROW, dbs, [1], 15)[:, 0])
    assert rolled.shape == (dbs.size, 16, 2)
    np.testing.assert_allclose(rolled, once, atol=1e-9)


def test_tracked_defender_positions_after_the_throw_do_not_leak_in():
    play = constructed_play(receiver_gap=False)
    dbs = play.defensive_backs()
    before = rollout_paths(PursuitModel(), play, THROW_ROW, dbs, 2, 15)
    play.xy[THROW_ROW + 1 :, dbs] += 100.0  # what the real defenders did must not matter
    after = rollout_paths(PursuitModel(), play, THROW_ROW, dbs, 2, 15)
    np.testing.assert_array_equal(before, after)


def test_ghost_reacts_to_the_receivers_cut():
    # WR 102 cuts upfield (+y) 0.6 s after the throw. A single call aims at his spot at the
    # throw; the rollout re-aims every block and ends near his tracked position.
    play = constructed_play(receiver_gap=False)
    cut = THROW_ROW + 6
    play.xy[cut:, 2, 0] = play.xy[cut, 2, 0]
    play.xy[cut:, 2, 1] = 40.0 + 8.0 * 0.1 * np.arange(play.n_frames - cut)
    fs = np.array([5])
    n = 15
    rolled = rollout_paths(PursuitModel(), play, THROW_ROW, fs, 2, n)
    once = metric.ghost_paths(play.xy[THROW_ROW, fs],
                              ghosts.predict_ghosts(PursuitModel(), play, THROW_ROW, fs, [2], n)[:, 0])
    wr_end = play.xy[THROW_ROW + n, 2]
    gap_rolled = np.linalg.norm(rolled[0, -1] - wr_end)
    gap_once = np.linalg.norm(once[0, -1] - wr_end)
    assert gap_rolled <= ROLLOUT_BLOCK * 0.8 + 1e-9  # at most one block of the WR's running behind
    assert gap_once > 5.0


def test_perturbed_inputs_are_used_for_the_first_block():
    play = constructed_play(receiver_gap=False)
    dbs = play.defensive_backs()
    model = ConstantVelocityModel()
    inputs = ghosts.model_inputs(play, THROW_ROW)
    ghosts.perturb_history(inputs["xy_hist"], inputs["o_hist"], dbs[:1], np.random.default_rng(0))
    plain = rollout_paths(model, play, THROW_ROW, dbs, 1, 9)
    perturbed = rollout_paths(model, play, THROW_ROW, dbs, 1, 9, inputs)
    assert not np.allclose(plain[0], perturbed[0])
    np.testing.assert_allclose(plain[1], perturbed[1])  # the other defender is untouched


def test_bad_arguments_raise():
    play = constructed_play(receiver_gap=False)
    dbs = play.defensive_backs()
    model = ConstantVelocityModel()
    with pytest.raises(ValueError, match="block"):
        rollout_paths(model, play, THROW_ROW, dbs, 1, 5, block=0)
    with pytest.raises(ValueError, match="n_steps"):
        rollout_paths(model, play, THROW_ROW, dbs, 1, 0)
    with pytest.raises(ValueError, match="not all in the play"):
        rollout_paths(model, play, THROW_ROW, dbs, 1, play.n_frames)
    with pytest.raises(ValueError, match="not all in the play"):
        rollout_paths(model, play, 1, dbs, 1, 5)

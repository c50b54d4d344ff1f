"""Each physical constant is written once in Python (ghostedge.constants) and once in C++
(cpp/include/ghostedge/constants.hpp); the two must agree, and the C++ defaults built from them
must be the values the Python layer assumes."""

from __future__ import annotations

import pytest

from ghostedge import _core, constants


@pytest.mark.parametrize("name", sorted(_core.CONSTANTS))
def test_python_and_cpp_constants_agree(name):
    assert getattr(constants, name) == pytest.approx(_core.CONSTANTS[name], rel=0, abs=1e-12)


def test_frame_constants_are_consistent():
    assert constants.DT_S == pytest.approx(1.0 / constants.FRAME_RATE_HZ)
    assert constants.FRAME_US == round(1e6 / constants.FRAME_RATE_HZ)


def test_cpp_defaults_use_the_constants():
    # the compiled metric's own defaults (MetricParams{} in C++), not the Python aliases
    params = _core.MetricParams()
    assert params.speed_limit == constants.MAX_SPEED_YPS
    assert params.top_speed == constants.TOP_SPEED_YPS
    assert params.dt == pytest.approx(constants.DT_S)
    # the filter's default cap: a straight track at 20 yd/s comes out at the cap
    import numpy as np

    from ghostedge.ingest.pipeline import filter_tracks

    t = np.arange(40, dtype=np.int64) * constants.FRAME_US
    x = 10.0 + 2.0 * np.arange(40)
    out = filter_tracks(t, x[:, None], np.full((40, 1), 20.0))
    assert np.nanmax(out["s"]) <= constants.MAX_SPEED_YPS + 1e-9

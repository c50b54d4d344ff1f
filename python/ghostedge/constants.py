"""Physical and format constants: the one place each number is written in Python.

Imports nothing (not even numpy), so any layer may use it, the plugin path included. The C++
core has its own copies in ``cpp/include/ghostedge/constants.hpp`` (exposed as
``ghostedge._core.CONSTANTS``); ``tests/test_constants.py`` checks that the two agree.
"""

from __future__ import annotations

# Field (NGS / Big Data Bowl coordinates: x 0-120 yd along the field, y 0-53.3 yd across).
FIELD_LENGTH_YD = 120.0
FIELD_WIDTH_YD = 160.0 / 3.0  # 53.33 yd

# Tracking frame rate: the published NGS feed is 10 Hz.
FRAME_RATE_HZ = 10.0
FRAME_US = 100_000  # microseconds per frame (1e6 / FRAME_RATE_HZ)
DT_S = 0.1  # seconds per frame (1 / FRAME_RATE_HZ)

# Speeds (yd/s). The NGS ghosting study drops points implying more than 12.5 yd/s; the fastest
# measured NFL players reach about 11 yd/s.
MAX_SPEED_YPS = 12.5
TOP_SPEED_YPS = 11.0

# Positions (the Big Data Bowl's position codes).
DEFENSIVE_BACK_POSITIONS = frozenset({"CB", "SS", "FS", "S", "DB"})
# Offensive players who can be the target of a pass (the line and the passer are not).
# 'H-B' is the Sportradar JSON's code for an H-back.
ELIGIBLE_RECEIVER_POSITIONS = frozenset({"WR", "TE", "RB", "FB", "HB", "H-B"})
# Positions that never throw a forward pass: the snap leaves the centre at passing speed, and
# the pass detector must not call that a pass.
OFFENSIVE_LINE_POSITIONS = frozenset({"C", "G", "T", "OG", "OT", "OL"})

BALL_NFL_ID = -1  # nflId used for the football in the canonical tables

YD_PER_IN = 1.0 / 36.0

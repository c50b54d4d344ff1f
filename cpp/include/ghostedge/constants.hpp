#pragma once
// Physical constants of the core, one place each. The Python package writes the same values in
// python/ghostedge/constants.py; tests/test_constants.py checks the two against each other
// (the module exposes these as ghostedge._core.CONSTANTS).

namespace ghostedge {

constexpr double kFrameDt = 0.1;                // s between tracking frames (10 Hz)
constexpr double kFieldLength = 120.0;          // yd, end line to end line
constexpr double kFieldWidth = 160.0 / 3.0;     // yd, 53.33
constexpr double kMaxSpeedYps = 12.5;           // yd/s: no human step is faster (NGS cleaning limit)
constexpr double kTopSpeedYps = 11.0;           // yd/s: fastest measured NFL players

}  // namespace ghostedge

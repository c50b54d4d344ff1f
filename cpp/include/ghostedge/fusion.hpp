// Fusion of one player's shoulder-tag reads in one output tick into a position measurement
// (midpoint of the two shoulders, orientation from the shoulder line), with per-read rejection
// of gross errors. Pure functions over caller-owned buffers: nothing allocates.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ghostedge/kalman_filter.hpp"
#include "ghostedge/wire.hpp"

namespace ghostedge {

// Most reads of one tag (or of the ball) fusion looks at in one tick; the pipeline drops and
// counts any beyond it (a tag blinks ~2.5 times per 10 Hz tick).
constexpr std::size_t kMaxReadsPerTagPerTick = 64;

struct FusionConfig {
    double shoulder_half_width_yd = 0.25;  // centre to each shoulder tag
    double read_sigma_yd = 2.0 / 36.0;     // per-axis noise of one read (2 in)
    double read_gate_yd = 0.6;             // read farther than this from its predicted spot: rejected
    double read_gate_max_extra_yd = 3.0;   // cap on the gate's growth while a track is uncertain
    double acquire_gate_yd = 0.8;          // no track yet: reads this far from the median rejected
    double field_margin_yd = 10.0;         // player reads beyond field + margin: rejected
    double min_shoulder_sep_yd = 0.2;      // shoulder pair outside [min, max]: no o measurement
    double max_shoulder_sep_yd = 1.0;
    double single_tag_extra_sigma_yd = 0.1;   // offset error of the single-tag fallback
};

enum class ReadVerdict : uint8_t { kAccepted = 0, kOffField = 1, kGated = 2 };

struct FusedPlayer {
    bool valid = false;      // at least one accepted read
    bool single_tag = false; // only one shoulder had accepted reads
    Measurement m{};         // at the mean blink time of the accepted reads
    uint16_t n_accepted = 0, n_rejected = 0;
};

// Unit vector from a player's centre to his right shoulder for orientation o (NGS convention:
// o = 0 faces +y, clockwise). Facing (sin o, cos o) turned 90 deg clockwise: (cos o, -sin o).
void right_shoulder_unit(double o_deg, double& ux, double& uy) noexcept;
// Orientation (deg, NGS) of a player whose left->right shoulder vector is (dx, dy).
double orientation_from_shoulders(double dx, double dy) noexcept;

// Fuses one player's reads of one tick. left/right hold that player's reads of each shoulder
// (any order); verdict_left/right receive one ReadVerdict per read. `track` supplies the
// prediction used for gating and for the single-tag offset.
FusedPlayer fuse_player(const TagRead* left, std::size_t n_left, const TagRead* right,
                        std::size_t n_right, const TrackFilter& track, const FusionConfig& cfg,
                        ReadVerdict* verdict_left, ReadVerdict* verdict_right) noexcept;

// Fuses the ball's reads of one tick (all ball tags are one point; no field limit).
FusedPlayer fuse_ball(const TagRead* reads, std::size_t n, const TrackFilter& track,
                      const FusionConfig& cfg, double ball_read_gate_yd,
                      ReadVerdict* verdict) noexcept;

}  // namespace ghostedge

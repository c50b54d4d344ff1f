// Causal noise filter for one tracked object (player or ball): gating of gross errors, a
// constant-acceleration Kalman filter for position, a constant-rate filter for orientation,
// and the bounded hold/lost logic. Used per tick by the live pipeline and over whole arrays by
// filter_tracks() for offline work - one implementation for both. See docs/filtering.md.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ghostedge/constants.hpp"

namespace ghostedge {

// Per-slot output flags (bit mask), shared by the filter, the fusion and the pipeline.
enum FrameFlag : uint16_t {
    kFlagSingleTag = 1u << 0,     // position from one shoulder tag (offset along last known o)
    kFlagHeld = 1u << 1,          // no accepted measurement this tick: extrapolated
    kFlagLost = 1u << 2,          // held longer than hold_time_s: outputs are NaN
    kFlagNeverSeen = 1u << 3,     // no measurement since construction/reset: outputs are NaN
    kFlagSpeedCapped = 1u << 4,   // estimated speed clamped to max_speed_yps
    kFlagRejected = 1u << 5,      // a read or the fused position was rejected this tick
    kFlagReset = 1u << 6,         // the track was re-initialised this tick
    kFlagNoOrientation = 1u << 7, // o not known yet (never saw both shoulder tags)
};

struct FilterConfig {
    bool is_ball = false;            // ball: no field limit, no jump test
    double max_speed_yps = kMaxSpeedYps;  // estimates never exceed it; (players) jumps beyond it rejected
    double jerk_psd = 25.0;          // process noise: white jerk, yd^2/s^5
    double orientation_rate_psd = 2.0e5;  // white angular acceleration, deg^2/s^3
    double gate_floor_yd = 0.75;     // fused position always accepted within this of the prediction
    double gate_sigmas = 5.0;        // ... or within this many innovation sigmas
    double jump_margin_yd = 0.5;     // allowed on top of max_speed * dt in the jump test
    double hold_time_s = 1.0;        // extrapolate this long without data, then flag lost
    int reset_after_rejections = 3;  // consecutive rejected ticks with data -> re-initialise
    double field_margin_yd = 10.0;   // players beyond field + margin are rejected
};

// The ball: no field limit and no jump test; throws, catches and kicks are near-instant
// changes of velocity, hence a much larger process noise and a wider gate. Its speed is capped
// at 35 yd/s (the hardest throws and kicks reach ~30) so that the acceleration built up while
// following a throw cannot carry the track past it. See docs/filtering.md.
inline FilterConfig ball_filter_config() {
    FilterConfig c;
    c.is_ball = true;
    c.max_speed_yps = 35.0;
    c.jerk_psd = 20000.0;
    c.gate_floor_yd = 3.0;
    return c;
}

struct Measurement {
    int64_t time_us;    // when the fused position holds (mean blink time), <= the tick time
    double x, y;        // yards
    double var_yd2;     // per-axis variance of x, y
    bool has_o;
    double o_deg;       // orientation measurement (NGS: 0 = +y, clockwise)
    double o_var_deg2;
};

struct FilterOutput {
    double x, y, s, a, dir, o;  // NaN when lost / never seen (o NaN until known)
    uint16_t flags;
};

class TrackFilter {
public:
    explicit TrackFilter(const FilterConfig& config = FilterConfig{});
    void reset() noexcept;

    // Estimate at tick_time_us (ticks in increasing time), using the measurement m when given.
    // m may hold before the tick (it is then extrapolated) or after it (the pipeline's delay:
    // the estimate is then smoothed back to the tick with one Rauch-Tung-Striebel step).
    // Measurements must come in increasing time. Never throws.
    FilterOutput step(int64_t tick_time_us, const Measurement* m) noexcept;

    // For read gating: state predicted to t (no change to the filter).
    bool tracking() const noexcept { return initialised_ && !lost_ && !reacquire_; }
    // The track no longer fits the data (every read disagrees with it): the next measurement
    // re-initialises it, keeping the velocity estimate. Counted in resets().
    void force_reacquire() noexcept { reacquire_ = initialised_ && !lost_; }
    void predict_position(int64_t t_us, double& x, double& y) const noexcept;
    double position_sigma_at(int64_t t_us) const noexcept;
    double vx() const noexcept { return px_[1]; }
    double vy() const noexcept { return py_[1]; }
    bool has_orientation() const noexcept { return has_o_; }
    double orientation_deg() const noexcept { return o_[0]; }
    double orientation_var_at(int64_t t_us) const noexcept;  // deg^2, predicted to t
    int64_t last_update_us() const noexcept { return last_update_us_; }

    uint64_t rejected() const noexcept { return rejected_; }
    uint64_t resets() const noexcept { return resets_; }

private:
    bool accept(const Measurement& m) const noexcept;
    void initialise(const Measurement& m, bool keep_velocity = false) noexcept;
    void predict_to(int64_t t_us) noexcept;
    void update(const Measurement& m) noexcept;
    bool cap_speed() noexcept;
    void predicted(int64_t t_us, double x[3], double y[3]) const noexcept;  // mean only

    FilterConfig cfg_;
    bool initialised_ = false, lost_ = false, has_o_ = false, reacquire_ = false;
    int64_t time_us_ = 0, last_update_us_ = 0;
    double last_x_ = 0, last_y_ = 0;  // last accepted measurement, for the jump test
    int rejected_in_row_ = 0;
    double px_[3] = {0, 0, 0}, py_[3] = {0, 0, 0};  // position, velocity, acceleration per axis
    double P_[3][3] = {};                          // shared covariance (same noise on x and y)
    double o_[2] = {0, 0};                         // orientation deg (unwrapped), rate deg/s
    double Po_[2][2] = {};
    uint64_t rejected_ = 0, resets_ = 0;
};

// Batch/offline: filters T frames of N tracks. x, y, o are [T*N] row-major (frame, track);
// NaN x or y = no measurement; o may be null (orientation then left NaN). meas_sigma_yd is the
// per-axis noise of the inputs, o_sigma_deg that of o. Outputs [T*N]. Frames must be in
// increasing time. Returns the number of rejected measurements.
uint64_t filter_tracks(const int64_t* time_us, std::size_t n_frames, std::size_t n_tracks,
                       const double* x, const double* y, const double* o, double meas_sigma_yd,
                       double o_sigma_deg, const FilterConfig& config, double* out_x,
                       double* out_y, double* out_s, double* out_a, double* out_dir,
                       double* out_o, uint16_t* out_flags);

// Angle helpers in the NGS convention (degrees, 0 = +y, clockwise).
double wrap_deg_180(double deg) noexcept;  // to [-180, 180)
double wrap_deg_360(double deg) noexcept;  // to [0, 360)

}  // namespace ghostedge

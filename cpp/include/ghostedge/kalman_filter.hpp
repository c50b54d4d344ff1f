// Causal noise filter for one tracked object (player or ball): gating of gross errors, a
// constant-acceleration Kalman filter for position, a constant-rate filter for orientation,
// and the bounded hold/lost logic. Used per tick by the live pipeline and over whole arrays by
// filter_tracks() for offline work - one implementation for both. See docs/filtering.md.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

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

// The filter's state for one track: per axis position, velocity, acceleration (yd, yd/s,
// yd/s^2) with one covariance shared by x and y (same noise on both axes); orientation (deg)
// and its rate (deg/s) with their covariance. Shared by TrackFilter and the offline smoother.
struct TrackState {
    int64_t time_us = 0;
    double x[3] = {0, 0, 0}, y[3] = {0, 0, 0};
    double P[3][3] = {};
    bool has_o = false;
    double o[2] = {0, 0};
    double Po[2][2] = {};
};

// Process noise over one time step of the white-jerk (position) and white angular acceleration
// (orientation) models, with the last step's values cached: at a fixed frame rate every step
// has the same length, so the divisions are done once.
class ProcessNoise {
public:
    ProcessNoise(double jerk_psd, double orientation_rate_psd) noexcept
        : q_(jerk_psd), qo_(orientation_rate_psd) {}
    struct Step {
        int64_t dt_us = -1;
        double dt = 0, dt2 = 0, half_dt2 = 0;
        double Q00 = 0, Q01 = 0, Q02 = 0, Q11 = 0, Q12 = 0, Q22 = 0;  // symmetric Q
        double Qo00 = 0, Qo01 = 0, Qo11 = 0;
    };
    const Step& over(int64_t dt_us) noexcept {
        if (dt_us != step_.dt_us) compute(dt_us);
        return step_;
    }
    double jerk_psd() const noexcept { return q_; }

private:
    void compute(int64_t dt_us) noexcept;
    double q_, qo_;
    Step step_;
};

// Pieces of the constant-acceleration / constant-rate Kalman filter, one implementation for the
// causal filter (TrackFilter) and the two-sided smoother (smoother.hpp).
// Mean and covariance predicted to t_us (no-op unless t_us is after s.time_us).
void predict_state(TrackState& s, int64_t t_us, ProcessNoise& noise) noexcept;
// Mean only, to any time (also before s.time_us), into x[3], y[3].
void predict_mean(const TrackState& s, int64_t t_us, double x[3], double y[3]) noexcept;
// Position measurement (x, y) with per-axis variance var_yd2 at s.time_us.
void update_position(TrackState& s, double x, double y, double var_yd2) noexcept;
// Orientation: first measurement, or an update by a (wrapped) innovation.
void start_orientation(TrackState& s, double o_deg, double var_deg2) noexcept;
void update_orientation(TrackState& s, double innovation_deg, double var_deg2) noexcept;
// Inverse of a symmetric positive-definite 3x3 matrix (cofactors); false if singular.
bool invert3(const double A[3][3], double out[3][3]) noexcept;
// Rauch-Tung-Striebel gain C = P_t F(dt)' P_next^-1 from the covariance P_t at a time t, the
// step dt to the next node and the inverse of the prior covariance at that node.
void rts_gain(const double P_t[3][3], double dt, const double P_next_prior_inv[3][3],
              double C[3][3]) noexcept;

// Output x, y, s, a, dir of a state (position, velocity, acceleration per axis; NGS
// conventions), the speed capped at max_speed_yps (velocity scaled, kFlagSpeedCapped set in
// out.flags). speed: |v| when the caller already knows it, < 0 to compute it.
void write_kinematics(double sx[3], double sy[3], double max_speed_yps, double speed,
                      FilterOutput& out) noexcept;

// What the last TrackFilter::step() did with its measurement (for the offline smoother).
struct StepRecord {
    bool started = false;    // the track was (re-)initialised from the measurement
    bool updated = false;    // the measurement's position was used (update or initialisation)
    bool o_updated = false;  // ... and its orientation (first one, or passed the orientation gate)
    Measurement m{};         // the measurement as used (time moved up to the track's, var > 0)
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
    double vx() const noexcept { return s_.x[1]; }
    double vy() const noexcept { return s_.y[1]; }
    bool has_orientation() const noexcept { return s_.has_o; }
    double orientation_deg() const noexcept { return s_.o[0]; }
    double orientation_var_at(int64_t t_us) const noexcept;  // deg^2, predicted to t
    int64_t last_update_us() const noexcept { return last_update_us_; }

    uint64_t rejected() const noexcept { return rejected_; }
    uint64_t resets() const noexcept { return resets_; }

    // For the offline smoother: the state after the last step and what that step did.
    const TrackState& state() const noexcept { return s_; }
    const StepRecord& last_step() const noexcept { return last_step_; }
    const FilterConfig& config() const noexcept { return cfg_; }

private:
    bool accept(const Measurement& m) const noexcept;
    void initialise(const Measurement& m, bool keep_velocity = false) noexcept;
    void predict_to(int64_t t_us) noexcept { predict_state(s_, t_us, noise_); }
    void update(const Measurement& m) noexcept;
    bool cap_speed(double& speed_before) noexcept;

    FilterConfig cfg_;
    ProcessNoise noise_;
    double below_cap2_;  // squared speeds certainly under max_speed_yps (see cap_speed)
    bool initialised_ = false, lost_ = false, reacquire_ = false;
    int64_t last_update_us_ = 0;
    double last_x_ = 0, last_y_ = 0;  // last accepted measurement, for the jump test
    int rejected_in_row_ = 0;
    TrackState s_;
    StepRecord last_step_;
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

// Measurement i of [T*N] batch arrays (NaN o: none); false when x or y is not finite.
inline bool batch_measurement(int64_t time_us, const double* x, const double* y, const double* o,
                              std::size_t i, double var, double o_var, Measurement& m) noexcept {
    m = Measurement{time_us, x[i], y[i], var, false, 0.0, o_var};
    if (o != nullptr && std::isfinite(o[i])) {
        m.has_o = true;
        m.o_deg = o[i];
    }
    return std::isfinite(x[i]) && std::isfinite(y[i]);
}

// The loop of filter_tracks (and of the smoother's batch form): one TrackFilter per track,
// stepped frame by frame over the [T*N] arrays; on_step(i, track, filter, output) after each
// step, i = frame * n_tracks + track. Returns the number of rejected measurements.
template <class OnStep>
uint64_t for_each_track_step(const int64_t* time_us, std::size_t n_frames, std::size_t n_tracks,
                             const double* x, const double* y, const double* o,
                             double meas_sigma_yd, double o_sigma_deg, const FilterConfig& config,
                             OnStep&& on_step) {
    const double var = meas_sigma_yd * meas_sigma_yd;
    const double o_var = o_sigma_deg * o_sigma_deg;
    // Frame by frame, all tracks side by side: the [T*N] arrays are then read and written in
    // memory order (a track at a time strides through every array, N values apart). A frame's
    // measurements are built before any is filtered: a measurement read back right after its
    // fields were stored stalls on store-to-load forwarding.
    std::vector<TrackFilter> filters(n_tracks, TrackFilter(config));
    std::vector<Measurement> row_meas(n_tracks);
    std::vector<uint8_t> row_has(n_tracks);
    for (std::size_t t = 0; t < n_frames; ++t) {
        const std::size_t row = t * n_tracks;
        for (std::size_t n = 0; n < n_tracks; ++n)
            row_has[n] = batch_measurement(time_us[t], x, y, o, row + n, var, o_var, row_meas[n]);
        for (std::size_t n = 0; n < n_tracks; ++n) {
            const FilterOutput f = filters[n].step(time_us[t], row_has[n] ? &row_meas[n] : nullptr);
            on_step(row + n, n, filters[n], f);
        }
    }
    uint64_t rejected = 0;
    for (const TrackFilter& f : filters) rejected += f.rejected();
    return rejected;
}

// Angle helpers in the NGS convention (degrees, 0 = +y, clockwise). Inline: the filter calls
// them on every step. fmod is exact and returns its argument when |argument| < 360, so the call
// is skipped then (same value); the selects compile without branches (adding -0.0 leaves every
// value, -0 included, unchanged), as an angle's sign is a coin toss.
inline double wrap_deg_180(double deg) noexcept {  // to [-180, 180)
    const double shifted = deg + 180.0;
    double w = std::fabs(shifted) < 360.0 ? shifted : std::fmod(shifted, 360.0);
    w += w < 0 ? 360.0 : -0.0;
    return w - 180.0;
}
inline double wrap_deg_360(double deg) noexcept {  // to [0, 360)
    double w = std::fabs(deg) < 360.0 ? deg : std::fmod(deg, 360.0);
    w += w < 0 ? 360.0 : -0.0;
    return w >= 360.0 ? 0.0 : w;
}
// Direction of motion (NGS: 0 = +y, clockwise) of velocity (vx, vy) in [0, 360): the value of
// wrap_deg_360(atan2(vx, vy) in degrees) to within 1e-12 deg, several times faster than
// std::atan2 (a table and a polynomial; cpp/tests/test_filter.cpp checks the bound).
double direction_deg(double vx, double vy) noexcept;

}  // namespace ghostedge

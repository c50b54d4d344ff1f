// The composite ghosting metric (docs/metric.md): how quickly a defender closes on the scored
// receiver, normalised by the distance a defender could close at top NFL speed over the
// flight, plus an effort term and a penalty for superhuman steps. Negative = closing.
#pragma once
#include <cstddef>
#include <cstdint>

#include "ghostedge/constants.hpp"

namespace ghostedge {

struct MetricParams {
    double dt = kFrameDt;              // s per frame (NGS 10 Hz)
    double top_speed = kTopSpeedYps;   // yd/s: fastest measured NFL players
    double speed_limit = kMaxSpeedYps; // yd/s: no human step is faster
    double effort_weight = 0.25;       // charge for not moving at all
    double speed_penalty_weight = 2.0; // a step over the limit always costs more than it gains
};

// Returns an empty string when the parameters are usable, else what is wrong.
const char* metric_params_error(const MetricParams& params);

struct MetricValue {
    double value;          // closing + effort + speed (NaN when undefined)
    double closing;        // (sep_end - sep_start) / (top_speed * T)
    double effort;         // effort_weight * (1 - min(1, path / (top_speed * T)))
    double speed_penalty;  // speed_penalty_weight * excess distance / (top_speed * T)
};

// Per-frame form for the live path: push the defender's and the receiver's positions once per
// frame from the throw on. No allocation; never throws. A non-finite coordinate makes the
// accumulator invalid (value NaN) until reset(), exactly as the batch form reports NaN.
class MetricAccumulator {
public:
    explicit MetricAccumulator(const MetricParams& params = MetricParams{}) noexcept;

    void reset() noexcept;
    // Adds one frame; returns the metric of the flight so far (NaN before the second frame).
    double push(double defender_x, double defender_y, double receiver_x, double receiver_y) noexcept;
    MetricValue current() const noexcept;

    std::int64_t frames() const noexcept { return frames_; }
    bool valid() const noexcept { return valid_; }

private:
    MetricParams params_;
    std::int64_t frames_ = 0;
    bool valid_ = true;
    double first_sep_ = 0.0;
    double last_sep_ = 0.0;
    double prev_dx_ = 0.0, prev_dy_ = 0.0;
    double path_ = 0.0;    // sum of step lengths, in push order
    double excess_ = 0.0;  // sum of step lengths beyond speed_limit * dt, in push order
};

// Batch form: k trajectories of up to n_frames points each, row-major [k, n_frames, 2] for the
// defender and the receiver. lengths (may be null) gives the number of frames used from the
// start of each row (clamped to n_frames; < 2 gives NaN). out receives k values. Runs the
// accumulator over each row, so results equal the incremental form bit for bit.
void metric_batch(const double* defender_xy, const double* receiver_xy, std::size_t k,
                  std::size_t n_frames, const std::int64_t* lengths, const MetricParams& params,
                  MetricValue* out) noexcept;

// Live form (the engine, every frame): the metric of each ghost of a D x R frame against its
// receiver's constant-velocity extrapolation. Ghost (d, r) is start_xy[d] followed by
// mean[d, r, 0..horizon-1] ([D, R, horizon, 2], raw field yards); receiver r's path is
// receiver_xy[r] + k * step_dt * receiver_vel[r] for k = 0..horizon. out [D, R]. Equal bit
// for bit to metric_batch on those paths built in double precision. Never allocates.
void metric_ghosts(const double* start_xy, const double* mean, std::size_t n_defenders,
                   std::size_t n_receivers, std::size_t horizon, const double* receiver_xy,
                   const double* receiver_vel, double step_dt, const MetricParams& params,
                   double* out) noexcept;

}  // namespace ghostedge

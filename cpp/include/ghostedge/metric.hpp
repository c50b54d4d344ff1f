// The composite ghosting metric (docs/metric.md): how quickly a defender closes on the scored
// receiver after the throw, how much of his motion relative to the receiver goes the wrong
// way, how close he stays (all weighted toward the first reaction, time constant
// reaction_time), plus the effort term and a penalty for superhuman steps. Distances are in
// units of the most a defender can cover at top NFL speed over the flight. Negative closing =
// closing on him; the total is lower for better defending.
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
    double reaction_time = 0.3;        // s: frame k after the throw weighs exp(-k dt / reaction_time)
    double misdirection_weight = 1.0;  // relative motion that does not close, per unit of closing
    double proximity_weight = 1.0;     // separation, in units of the top-speed distance of the flight
    double relevance_range = 0.5;      // relevance = exp(-sep0 / (relevance_range * top-speed distance))
};

// Returns an empty string when the parameters are usable, else what is wrong.
const char* metric_params_error(const MetricParams& params);

// The metric of one trajectory and its parts (value = closing + misdirection_weight *
// misdirection + proximity_weight * proximity + effort + speed_penalty; the weights of effort
// and speed_penalty are inside them). relevance is not part of value: it is the weight of this
// defender when the defenders of a play are averaged (1 next to the receiver at the throw).
struct MetricValue {
    double value;          // NaN when undefined
    double closing;        // discounted mean of (sep_k - sep_0) / (top_speed * k * dt), k >= 1
    double misdirection;   // discounted mean of (|step_rel| + step_rel . u) / (2 top_speed dt)
    double proximity;      // discounted mean of sep_k / D, k >= 0 (D = top_speed * T)
    double effort;         // effort_weight * (1 - min(1, path / D))
    double speed_penalty;  // speed_penalty_weight * excess distance / D
    double relevance;      // exp(-sep_0 / (relevance_range * D))
};
constexpr std::size_t kMetricFields = 7;

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
    double decay_;  // exp(-dt / reaction_time): the weight of frame k is decay_^k
    std::int64_t frames_ = 0;
    bool valid_ = true;
    double first_sep_ = 0.0;
    double prev_dx_ = 0.0, prev_dy_ = 0.0;  // defender at the previous frame
    double prev_rx_ = 0.0, prev_ry_ = 0.0;  // defender - receiver at the previous frame
    double prev_sep_ = 0.0;
    double weight_ = 1.0;         // decay_^k of the latest frame k
    double weight_sum_ = 0.0;     // sum of decay_^k, k = 1.. (the step terms)
    double closing_sum_ = 0.0;    // sum of decay_^k (sep_k - sep_0) / k
    double misdir_sum_ = 0.0;     // sum of decay_^k (|step_rel| + step_rel . u_{k-1}) / 2
    double prox_sum_ = 0.0;       // sum of decay_^k sep_k, k = 0..
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

#include "ghostedge/metric.hpp"

#include <cmath>
#include <limits>

namespace ghostedge {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool finite_positive(double v) { return std::isfinite(v) && v > 0.0; }
}  // namespace

const char* metric_params_error(const MetricParams& p) {
    if (!finite_positive(p.dt)) return "dt must be a finite positive number of seconds";
    if (!finite_positive(p.top_speed)) return "top_speed must be finite and positive";
    if (!finite_positive(p.speed_limit)) return "speed_limit must be finite and positive";
    if (!std::isfinite(p.effort_weight) || p.effort_weight < 0.0)
        return "effort_weight must be finite and >= 0";
    if (!std::isfinite(p.speed_penalty_weight) || p.speed_penalty_weight < 0.0)
        return "speed_penalty_weight must be finite and >= 0";
    if (!finite_positive(p.reaction_time)) return "reaction_time must be finite and positive";
    if (!std::isfinite(p.misdirection_weight) || p.misdirection_weight < 0.0)
        return "misdirection_weight must be finite and >= 0";
    if (!std::isfinite(p.proximity_weight) || p.proximity_weight < 0.0)
        return "proximity_weight must be finite and >= 0";
    if (!finite_positive(p.relevance_range)) return "relevance_range must be finite and positive";
    return "";
}

MetricAccumulator::MetricAccumulator(const MetricParams& params) noexcept
    : params_(params), decay_(std::exp(-params.dt / params.reaction_time)) {}

void MetricAccumulator::reset() noexcept {
    frames_ = 0;
    valid_ = true;
    first_sep_ = prev_sep_ = 0.0;
    prev_dx_ = prev_dy_ = prev_rx_ = prev_ry_ = 0.0;
    weight_ = 1.0;
    weight_sum_ = closing_sum_ = misdir_sum_ = prox_sum_ = 0.0;
    path_ = excess_ = 0.0;
}

double MetricAccumulator::push(double defender_x, double defender_y, double receiver_x,
                               double receiver_y) noexcept {
    if (!(std::isfinite(defender_x) && std::isfinite(defender_y) && std::isfinite(receiver_x) &&
          std::isfinite(receiver_y))) {
        valid_ = false;
    }
    if (valid_) {
        const double rel_x = defender_x - receiver_x, rel_y = defender_y - receiver_y;
        const double sep = std::hypot(rel_x, rel_y);
        if (frames_ == 0) {
            first_sep_ = sep;
            prox_sum_ = sep;  // weight 1 at the throw
        } else {
            const double step = std::hypot(defender_x - prev_dx_, defender_y - prev_dy_);
            path_ += step;
            const double over = step - params_.speed_limit * params_.dt;
            if (over > 0.0) excess_ += over;
            weight_ *= decay_;
            weight_sum_ += weight_;
            closing_sum_ += weight_ * (sep - first_sep_) / static_cast<double>(frames_);
            // The change of the separation vector, split against the line of sight of the
            // previous frame: (|s| + s.u) / 2 is 0 when it only closes, |s| when it only opens,
            // |s| / 2 when it only turns. In contact (no line of sight) every motion counts half.
            const double sx = rel_x - prev_rx_, sy = rel_y - prev_ry_;
            const double along = prev_sep_ > 0.0 ? (sx * prev_rx_ + sy * prev_ry_) / prev_sep_ : 0.0;
            misdir_sum_ += weight_ * 0.5 * (std::hypot(sx, sy) + along);
            prox_sum_ += weight_ * sep;
        }
        prev_dx_ = defender_x;
        prev_dy_ = defender_y;
        prev_rx_ = rel_x;
        prev_ry_ = rel_y;
        prev_sep_ = sep;
    }
    ++frames_;
    return current().value;
}

MetricValue MetricAccumulator::current() const noexcept {
    if (!valid_ || frames_ < 2) return MetricValue{kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN};
    const double step_distance = params_.top_speed * params_.dt;  // most a defender runs per frame
    const double max_distance = step_distance * static_cast<double>(frames_ - 1);
    MetricValue v{};
    v.closing = closing_sum_ / (step_distance * weight_sum_);
    v.misdirection = misdir_sum_ / (step_distance * weight_sum_);
    v.proximity = prox_sum_ / (max_distance * (1.0 + weight_sum_));
    const double covered = path_ / max_distance;
    v.effort = params_.effort_weight * (1.0 - (covered < 1.0 ? covered : 1.0));
    v.speed_penalty = params_.speed_penalty_weight * excess_ / max_distance;
    v.relevance = std::exp(-first_sep_ / (params_.relevance_range * max_distance));
    v.value = v.closing + params_.misdirection_weight * v.misdirection +
              params_.proximity_weight * v.proximity + v.effort + v.speed_penalty;
    return v;
}

void metric_batch(const double* defender_xy, const double* receiver_xy, std::size_t k,
                  std::size_t n_frames, const std::int64_t* lengths, const MetricParams& params,
                  MetricValue* out) noexcept {
    MetricAccumulator acc(params);
    for (std::size_t i = 0; i < k; ++i) {
        std::size_t used = n_frames;
        if (lengths != nullptr) {
            const std::int64_t len = lengths[i];
            used = len <= 0 ? 0 : (static_cast<std::size_t>(len) < n_frames ? static_cast<std::size_t>(len) : n_frames);
        }
        acc.reset();
        const double* d = defender_xy + i * n_frames * 2;
        const double* r = receiver_xy + i * n_frames * 2;
        for (std::size_t t = 0; t < used; ++t) acc.push(d[2 * t], d[2 * t + 1], r[2 * t], r[2 * t + 1]);
        out[i] = acc.current();
    }
}

void metric_ghosts(const double* start_xy, const double* mean, std::size_t n_defenders,
                   std::size_t n_receivers, std::size_t horizon, const double* receiver_xy,
                   const double* receiver_vel, double step_dt, const MetricParams& params,
                   double* out) noexcept {
    MetricAccumulator acc(params);
    for (std::size_t d = 0; d < n_defenders; ++d) {
        for (std::size_t r = 0; r < n_receivers; ++r) {
            const double* ghost = mean + (d * n_receivers + r) * horizon * 2;
            const double rx = receiver_xy[2 * r], ry = receiver_xy[2 * r + 1];
            const double vx = receiver_vel[2 * r], vy = receiver_vel[2 * r + 1];
            acc.reset();
            for (std::size_t k = 0; k <= horizon; ++k) {
                // Same operations as numpy's rx + (k * dt) * vx, for identical results.
                const double s = static_cast<double>(k) * step_dt;
                const double* p = k == 0 ? start_xy + 2 * d : ghost + 2 * (k - 1);
                acc.push(p[0], p[1], rx + s * vx, ry + s * vy);
            }
            out[d * n_receivers + r] = acc.current().value;
        }
    }
}

}  // namespace ghostedge

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
    return "";
}

MetricAccumulator::MetricAccumulator(const MetricParams& params) noexcept : params_(params) {}

void MetricAccumulator::reset() noexcept {
    frames_ = 0;
    valid_ = true;
    first_sep_ = last_sep_ = 0.0;
    prev_dx_ = prev_dy_ = 0.0;
    path_ = excess_ = 0.0;
}

double MetricAccumulator::push(double defender_x, double defender_y, double receiver_x,
                               double receiver_y) noexcept {
    if (!(std::isfinite(defender_x) && std::isfinite(defender_y) && std::isfinite(receiver_x) &&
          std::isfinite(receiver_y))) {
        valid_ = false;
    }
    if (valid_) {
        const double sep = std::hypot(defender_x - receiver_x, defender_y - receiver_y);
        if (frames_ == 0) {
            first_sep_ = sep;
        } else {
            const double step = std::hypot(defender_x - prev_dx_, defender_y - prev_dy_);
            path_ += step;
            const double over = step - params_.speed_limit * params_.dt;
            if (over > 0.0) excess_ += over;
        }
        last_sep_ = sep;
        prev_dx_ = defender_x;
        prev_dy_ = defender_y;
    }
    ++frames_;
    return current().value;
}

MetricValue MetricAccumulator::current() const noexcept {
    if (!valid_ || frames_ < 2) return MetricValue{kNaN, kNaN, kNaN, kNaN};
    const double max_distance =
        params_.top_speed * params_.dt * static_cast<double>(frames_ - 1);
    MetricValue v{};
    v.closing = (last_sep_ - first_sep_) / max_distance;
    const double covered = path_ / max_distance;
    v.effort = params_.effort_weight * (1.0 - (covered < 1.0 ? covered : 1.0));
    v.speed_penalty = params_.speed_penalty_weight * excess_ / max_distance;
    v.value = v.closing + v.effort + v.speed_penalty;
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

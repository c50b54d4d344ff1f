#include "ghostedge/kalman_filter.hpp"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <limits>

namespace ghostedge {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kPi = 3.14159265358979323846;
constexpr double kRadToDeg = 180.0 / kPi;
constexpr double kFieldLengthYd = kFieldLength;
constexpr double kFieldWidthYd = kFieldWidth;
// Initial uncertainty of velocity (yd/s) and acceleration (yd/s^2) of a new track: a player
// can be anywhere in his speed range when first seen.
constexpr double kInitVelVar = 25.0;
constexpr double kInitAccVar = 25.0;
constexpr double kInitRateVar = 200.0 * 200.0;  // deg^2/s^2
// Orientation kept through a re-acquisition without a shoulder pair: a guess, not a measurement.
constexpr double kReacquiredOrientationVar = 180.0 * 180.0;  // deg^2
// The ball: thrown at up to ~25 yd/s, so a new ball track knows next to nothing of its velocity.
constexpr double kBallInitVelVar = 20.0 * 20.0;
constexpr double kBallInitAccVar = 100.0 * 100.0;
// A re-acquired ball takes its velocity from the last accepted measurement to the new one when
// that one is this recent; the track's own velocity is what went wrong (a throw, a catch).
constexpr double kBallReacquireVelWindowS = 0.5;
// While held, the acceleration estimate is halved every tick: extrapolating a stale
// acceleration for a full second would throw the player far off.
constexpr double kHeldAccelDecay = 0.5;
// An orientation measurement this far (and this many sigmas) from the prediction is skipped:
// one bad shoulder pair must not spin the player.
constexpr double kOrientationGateDeg = 45.0;
constexpr double kOrientationGateSigmas = 5.0;
}  // namespace

double wrap_deg_180(double deg) noexcept {
    double w = std::fmod(deg + 180.0, 360.0);
    if (w < 0) w += 360.0;
    return w - 180.0;
}

double wrap_deg_360(double deg) noexcept {
    double w = std::fmod(deg, 360.0);
    if (w < 0) w += 360.0;
    return w >= 360.0 ? 0.0 : w;
}

TrackFilter::TrackFilter(const FilterConfig& config) : cfg_(config) {}

void TrackFilter::reset() noexcept {
    const FilterConfig cfg = cfg_;
    *this = TrackFilter(cfg);
}

void TrackFilter::initialise(const Measurement& m, bool keep_velocity) noexcept {
    double vx = keep_velocity ? px_[1] : 0.0, vy = keep_velocity ? py_[1] : 0.0;
    if (keep_velocity && cfg_.is_ball) {
        const double since = static_cast<double>(m.time_us - last_update_us_) * 1e-6;
        const bool recent = since > 1e-3 && since <= kBallReacquireVelWindowS;
        vx = recent ? (m.x - last_x_) / since : 0.0;
        vy = recent ? (m.y - last_y_) / since : 0.0;
    }
    initialised_ = true;
    reacquire_ = false;
    lost_ = false;
    time_us_ = last_update_us_ = m.time_us;
    last_x_ = m.x;
    last_y_ = m.y;
    rejected_in_row_ = 0;
    px_[0] = m.x; px_[1] = vx; px_[2] = 0;
    py_[0] = m.y; py_[1] = vy; py_[2] = 0;
    for (auto& row : P_) for (double& v : row) v = 0;
    P_[0][0] = m.var_yd2;
    P_[1][1] = cfg_.is_ball ? kBallInitVelVar : kInitVelVar;
    P_[2][2] = cfg_.is_ball ? kBallInitAccVar : kInitAccVar;
    if (m.has_o && std::isfinite(m.o_deg)) {
        has_o_ = true;
        o_[0] = m.o_deg; o_[1] = 0;
        Po_[0][0] = m.o_var_deg2; Po_[0][1] = Po_[1][0] = 0; Po_[1][1] = kInitRateVar;
    } else if (has_o_) {
        // Re-acquired on one shoulder: keep the last orientation for the single-tag offset, as
        // a track that never lost the player holds it while a shoulder is silent, but know
        // nothing of it (the next shoulder pair is taken whatever it says).
        o_[1] = 0;
        Po_[0][0] = kReacquiredOrientationVar; Po_[0][1] = Po_[1][0] = 0; Po_[1][1] = kInitRateVar;
    }
}

void TrackFilter::predict_to(int64_t t_us) noexcept {
    if (t_us <= time_us_) return;
    const double dt = static_cast<double>(t_us - time_us_) * 1e-6;
    time_us_ = t_us;
    const double dt2 = dt * dt, dt3 = dt2 * dt;
    for (double* p : {px_, py_}) {
        p[0] += p[1] * dt + 0.5 * p[2] * dt2;
        p[1] += p[2] * dt;
    }
    // P <- F P F' + Q for F = [[1, dt, dt^2/2], [0, 1, dt], [0, 0, 1]], white jerk.
    const double F[3][3] = {{1, dt, 0.5 * dt2}, {0, 1, dt}, {0, 0, 1}};
    double FP[3][3];
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) {
            double acc = 0;
            for (int k = 0; k < 3; ++k) acc += F[i][k] * P_[k][j];
            FP[i][j] = acc;
        }
    const double q = cfg_.jerk_psd;
    const double Q[3][3] = {{q * dt3 * dt2 / 20, q * dt2 * dt2 / 8, q * dt3 / 6},
                            {q * dt2 * dt2 / 8, q * dt3 / 3, q * dt2 / 2},
                            {q * dt3 / 6, q * dt2 / 2, q * dt}};
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) {
            double acc = 0;
            for (int k = 0; k < 3; ++k) acc += FP[i][k] * F[j][k];
            P_[i][j] = acc + Q[i][j];
        }
    if (has_o_) {
        o_[0] += o_[1] * dt;
        const double qo = cfg_.orientation_rate_psd;
        const double p00 = Po_[0][0] + 2 * dt * Po_[0][1] + dt2 * Po_[1][1] + qo * dt3 / 3;
        const double p01 = Po_[0][1] + dt * Po_[1][1] + qo * dt2 / 2;
        const double p11 = Po_[1][1] + qo * dt;
        Po_[0][0] = p00; Po_[0][1] = Po_[1][0] = p01; Po_[1][1] = p11;
    }
}

void TrackFilter::predict_position(int64_t t_us, double& x, double& y) const noexcept {
    const double dt = static_cast<double>(t_us - time_us_) * 1e-6;
    x = px_[0] + px_[1] * dt + 0.5 * px_[2] * dt * dt;
    y = py_[0] + py_[1] * dt + 0.5 * py_[2] * dt * dt;
}

double TrackFilter::position_sigma_at(int64_t t_us) const noexcept {
    const double dt = std::max(0.0, static_cast<double>(t_us - time_us_) * 1e-6);
    const double var = P_[0][0] + 2 * dt * P_[0][1] + dt * dt * P_[1][1] +
                       cfg_.jerk_psd * dt * dt * dt * dt * dt / 20;
    return std::sqrt(std::max(0.0, var));
}

double TrackFilter::orientation_var_at(int64_t t_us) const noexcept {
    const double dt = std::max(0.0, static_cast<double>(t_us - time_us_) * 1e-6);
    return Po_[0][0] + 2 * dt * Po_[0][1] + dt * dt * Po_[1][1] +
           cfg_.orientation_rate_psd * dt * dt * dt / 3;
}

bool TrackFilter::accept(const Measurement& m) const noexcept {
    const double dx = m.x - px_[0], dy = m.y - py_[0];
    const double S = P_[0][0] + m.var_yd2;
    const double gate = std::max(cfg_.gate_floor_yd, cfg_.gate_sigmas * std::sqrt(S));
    if (dx * dx + dy * dy > gate * gate) return false;
    if (!cfg_.is_ball) {
        const double since = static_cast<double>(m.time_us - last_update_us_) * 1e-6;
        const double reach = cfg_.max_speed_yps * since + cfg_.jump_margin_yd;
        const double jx = m.x - last_x_, jy = m.y - last_y_;
        if (jx * jx + jy * jy > reach * reach) return false;
    }
    return true;
}

void TrackFilter::update(const Measurement& m) noexcept {
    const double S = P_[0][0] + m.var_yd2;
    const double K[3] = {P_[0][0] / S, P_[1][0] / S, P_[2][0] / S};
    const double ix = m.x - px_[0], iy = m.y - py_[0];
    for (int i = 0; i < 3; ++i) {
        px_[i] += K[i] * ix;
        py_[i] += K[i] * iy;
    }
    const double row0[3] = {P_[0][0], P_[0][1], P_[0][2]};
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) P_[i][j] -= K[i] * row0[j];
    last_update_us_ = m.time_us;
    last_x_ = m.x;
    last_y_ = m.y;

    if (m.has_o && std::isfinite(m.o_deg)) {
        if (!has_o_) {
            has_o_ = true;
            o_[0] = m.o_deg; o_[1] = 0;
            Po_[0][0] = m.o_var_deg2; Po_[0][1] = Po_[1][0] = 0; Po_[1][1] = kInitRateVar;
        } else {
            const double innov = wrap_deg_180(m.o_deg - o_[0]);
            const double So = Po_[0][0] + m.o_var_deg2;
            const double gate = std::max(kOrientationGateDeg, kOrientationGateSigmas * std::sqrt(So));
            if (std::fabs(innov) <= gate) {
                const double k0 = Po_[0][0] / So, k1 = Po_[1][0] / So;
                o_[0] += k0 * innov;
                o_[1] += k1 * innov;
                const double p00 = Po_[0][0], p01 = Po_[0][1];
                Po_[0][0] -= k0 * p00;
                Po_[0][1] -= k0 * p01;
                Po_[1][0] -= k1 * p00;
                Po_[1][1] -= k1 * p01;
            }
        }
        o_[0] = wrap_deg_360(o_[0]);
    } else if (has_o_) {
        // No shoulder pair: hold the last orientation rather than spin on at a stale rate
        // (the single-tag fallback offsets along it).
        o_[1] = 0.0;
    }
}

bool TrackFilter::cap_speed() noexcept {
    const double s = std::hypot(px_[1], py_[1]);
    if (s <= cfg_.max_speed_yps) return false;
    const double k = cfg_.max_speed_yps / s;
    px_[1] *= k;
    py_[1] *= k;
    if (cfg_.is_ball) {
        // The acceleration that drove the ball past any real throw speed is what overshoots
        // after a throw (a step in velocity): drop its component along the motion.
        const double ux = px_[1] / cfg_.max_speed_yps, uy = py_[1] / cfg_.max_speed_yps;
        const double along = px_[2] * ux + py_[2] * uy;
        if (along > 0) {
            px_[2] -= along * ux;
            py_[2] -= along * uy;
        }
    }
    return true;
}

void TrackFilter::predicted(int64_t t_us, double x[3], double y[3]) const noexcept {
    const double dt = static_cast<double>(t_us - time_us_) * 1e-6;
    x[0] = px_[0] + px_[1] * dt + 0.5 * px_[2] * dt * dt;
    x[1] = px_[1] + px_[2] * dt;
    x[2] = px_[2];
    y[0] = py_[0] + py_[1] * dt + 0.5 * py_[2] * dt * dt;
    y[1] = py_[1] + py_[2] * dt;
    y[2] = py_[2];
}

namespace {
// Inverse of a symmetric positive-definite 3x3 matrix (cofactors); false if singular.
bool invert3(const double A[3][3], double out[3][3]) {
    const double c00 = A[1][1] * A[2][2] - A[1][2] * A[2][1];
    const double c01 = A[1][2] * A[2][0] - A[1][0] * A[2][2];
    const double c02 = A[1][0] * A[2][1] - A[1][1] * A[2][0];
    const double det = A[0][0] * c00 + A[0][1] * c01 + A[0][2] * c02;
    if (!(std::fabs(det) > 1e-300)) return false;
    const double inv = 1.0 / det;
    out[0][0] = c00 * inv;
    out[0][1] = (A[0][2] * A[2][1] - A[0][1] * A[2][2]) * inv;
    out[0][2] = (A[0][1] * A[1][2] - A[0][2] * A[1][1]) * inv;
    out[1][0] = c01 * inv;
    out[1][1] = (A[0][0] * A[2][2] - A[0][2] * A[2][0]) * inv;
    out[1][2] = (A[0][2] * A[1][0] - A[0][0] * A[1][2]) * inv;
    out[2][0] = c02 * inv;
    out[2][1] = (A[0][1] * A[2][0] - A[0][0] * A[2][1]) * inv;
    out[2][2] = (A[0][0] * A[1][1] - A[0][1] * A[1][0]) * inv;
    return true;
}
}  // namespace

FilterOutput TrackFilter::step(int64_t tick_time_us, const Measurement* m) noexcept {
    uint16_t flags = 0;
    bool used = false;
    // Rauch-Tung-Striebel step back to the tick from a measurement made after it (the
    // pipeline's delay): prior at the tick, then prior and posterior at the measurement.
    bool smooth = false;
    double sx[3], sy[3];
    if (m != nullptr && std::isfinite(m->x) && std::isfinite(m->y)) {
        Measurement meas = *m;
        if (!(meas.var_yd2 > 0)) meas.var_yd2 = 1e-4;
        bool on_field = true;
        if (!cfg_.is_ball) {
            const double mg = cfg_.field_margin_yd;
            on_field = meas.x >= -mg && meas.x <= kFieldLengthYd + mg && meas.y >= -mg &&
                       meas.y <= kFieldWidthYd + mg;
        }
        if (!on_field) {
            ++rejected_;
            flags |= kFlagRejected;
        } else if (!initialised_ || lost_ || reacquire_) {
            if (reacquire_) {
                ++resets_;
                flags |= kFlagReset;
            }
            initialise(meas, reacquire_);
            used = true;
        } else {
            if (meas.time_us < time_us_) meas.time_us = time_us_;
            const bool after_tick = meas.time_us > tick_time_us && tick_time_us > time_us_;
            double xT[3], yT[3], PT[3][3];
            if (after_tick) {
                predicted(tick_time_us, xT, yT);
                predict_to(tick_time_us);  // covariance at the tick (the mean matches xT)
                for (int i = 0; i < 3; ++i)
                    for (int j = 0; j < 3; ++j) PT[i][j] = P_[i][j];
            }
            predict_to(meas.time_us);
            double xp[3], yp[3], Pp[3][3];
            for (int i = 0; i < 3; ++i) {
                xp[i] = px_[i];
                yp[i] = py_[i];
                for (int j = 0; j < 3; ++j) Pp[i][j] = P_[i][j];
            }
            if (accept(meas)) {
                update(meas);
                rejected_in_row_ = 0;
                used = true;
                double Pinv[3][3];
                if (after_tick && invert3(Pp, Pinv)) {
                    // C = P_T F' Pp^-1, F = F(meas - tick); smoothed = xT + C (x_f - x_p).
                    const double dt = static_cast<double>(meas.time_us - tick_time_us) * 1e-6;
                    const double F[3][3] = {{1, dt, 0.5 * dt * dt}, {0, 1, dt}, {0, 0, 1}};
                    double PFt[3][3], C[3][3];
                    for (int i = 0; i < 3; ++i)
                        for (int j = 0; j < 3; ++j) {
                            double acc = 0;
                            for (int k = 0; k < 3; ++k) acc += PT[i][k] * F[j][k];
                            PFt[i][j] = acc;
                        }
                    for (int i = 0; i < 3; ++i)
                        for (int j = 0; j < 3; ++j) {
                            double acc = 0;
                            for (int k = 0; k < 3; ++k) acc += PFt[i][k] * Pinv[k][j];
                            C[i][j] = acc;
                        }
                    for (int i = 0; i < 3; ++i) {
                        double ax = 0, ay = 0;
                        for (int k = 0; k < 3; ++k) {
                            ax += C[i][k] * (px_[k] - xp[k]);
                            ay += C[i][k] * (py_[k] - yp[k]);
                        }
                        sx[i] = xT[i] + ax;
                        sy[i] = yT[i] + ay;
                    }
                    smooth = true;
                }
            } else {
                ++rejected_;
                flags |= kFlagRejected;
                // Consistent data the track keeps refusing means the track is wrong.
                if (++rejected_in_row_ >= cfg_.reset_after_rejections) {
                    initialise(meas, true);
                    ++resets_;
                    flags |= kFlagReset;
                    used = true;
                }
            }
        }
    }
    FilterOutput out{kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, flags};
    if (!initialised_) {
        out.flags |= kFlagNeverSeen | kFlagNoOrientation;
        return out;
    }
    if (!used) {
        out.flags |= kFlagHeld;
        px_[2] *= kHeldAccelDecay;
        py_[2] *= kHeldAccelDecay;
        o_[1] = 0.0;
        if (static_cast<double>(tick_time_us - last_update_us_) * 1e-6 > cfg_.hold_time_s) lost_ = true;
    }
    if (cap_speed()) out.flags |= kFlagSpeedCapped;
    if (lost_) {
        out.flags |= kFlagLost;
        return out;
    }
    if (!smooth) predicted(tick_time_us, sx, sy);
    {
        const double s = std::hypot(sx[1], sy[1]);
        if (s > cfg_.max_speed_yps) {
            sx[1] *= cfg_.max_speed_yps / s;
            sy[1] *= cfg_.max_speed_yps / s;
            out.flags |= kFlagSpeedCapped;
        }
    }
    out.x = sx[0];
    out.y = sy[0];
    out.s = std::min(std::hypot(sx[1], sy[1]), cfg_.max_speed_yps);
    out.a = std::hypot(sx[2], sy[2]);
    out.dir = wrap_deg_360(std::atan2(sx[1], sy[1]) * kRadToDeg);
    if (has_o_) {
        const double dt = static_cast<double>(tick_time_us - time_us_) * 1e-6;
        out.o = wrap_deg_360(o_[0] + o_[1] * dt);
    } else {
        out.flags |= kFlagNoOrientation;
    }
    return out;
}

uint64_t filter_tracks(const int64_t* time_us, std::size_t n_frames, std::size_t n_tracks,
                       const double* x, const double* y, const double* o, double meas_sigma_yd,
                       double o_sigma_deg, const FilterConfig& config, double* out_x,
                       double* out_y, double* out_s, double* out_a, double* out_dir,
                       double* out_o, uint16_t* out_flags) {
    uint64_t rejected = 0;
    const double var = meas_sigma_yd * meas_sigma_yd;
    const double o_var = o_sigma_deg * o_sigma_deg;
    for (std::size_t n = 0; n < n_tracks; ++n) {
        TrackFilter filter(config);
        for (std::size_t t = 0; t < n_frames; ++t) {
            const std::size_t i = t * n_tracks + n;
            Measurement m{time_us[t], x[i], y[i], var, false, kNaN, o_var};
            if (o != nullptr && std::isfinite(o[i])) {
                m.has_o = true;
                m.o_deg = o[i];
            }
            const bool has_m = std::isfinite(x[i]) && std::isfinite(y[i]);
            const FilterOutput f = filter.step(time_us[t], has_m ? &m : nullptr);
            out_x[i] = f.x; out_y[i] = f.y; out_s[i] = f.s; out_a[i] = f.a;
            out_dir[i] = f.dir; out_o[i] = f.o; out_flags[i] = f.flags;
        }
        rejected += filter.rejected();
    }
    return rejected;
}

}  // namespace ghostedge

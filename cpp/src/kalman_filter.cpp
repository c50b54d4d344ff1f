#include "ghostedge/kalman_filter.hpp"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <vector>

namespace ghostedge {

namespace {
// Length of (x, y) as sqrt(x^2 + y^2): within 2 ulp of std::hypot, which is several times slower
// (range scaling and a correction step with a division). std::hypot where x^2 + y^2 would
// leave the range where that holds (subnormal, near overflow, not finite).
inline double norm2(double x, double y) noexcept {
    const double r2 = x * x + y * y;
    return (r2 > 1e-290 && r2 < 1e290) || r2 == 0.0 ? std::sqrt(r2) : std::hypot(x, y);
}
// Squared speeds below this are certainly under the cap, whichever way sqrt/hypot round
// (their relative errors are ~1e-16), so the cap decisions match std::hypot's exactly.
double surely_below_cap2(double max_speed) noexcept {
    return max_speed > 0.0 ? max_speed * max_speed * (1.0 - 1e-12) : -1.0;
}
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

// ---------------------------------------------------------------- direction of a velocity

namespace {
// atan(t) in degrees for t in [0, 1] from a table: around each centre c_k = k/128 a degree-7
// Taylor polynomial in d = t - c_k (|d| <= 1/256), coefficients computed once in long double
// from the series of atan' = 1/(1 + x^2). The first omitted term is below 2^-60 of the result.
struct AtanTable {
    static constexpr int kIntervals = 128;
    static constexpr int kTerms = 8;  // d^0 .. d^7
    double c[kIntervals + 1][kTerms];
    AtanTable() noexcept {
        const long double rad_to_deg = 180.0L / 3.141592653589793238462643383279502884L;
        for (int k = 0; k <= kIntervals; ++k) {
            const long double x = static_cast<long double>(k) / kIntervals;
            const long double q = 1.0L + x * x;
            // 1/(1 + (x+d)^2) = sum b_n d^n with b_n q + 2 x b_{n-1} + b_{n-2} = 0.
            long double b[kTerms] = {};
            b[0] = 1.0L / q;
            b[1] = -2.0L * x * b[0] / q;
            for (int n = 2; n < kTerms; ++n) b[n] = -(2.0L * x * b[n - 1] + b[n - 2]) / q;
            c[k][0] = static_cast<double>(std::atan(x) * rad_to_deg);
            for (int n = 1; n < kTerms; ++n)
                c[k][n] = static_cast<double>(b[n - 1] / n * rad_to_deg);
        }
    }
};
const AtanTable kAtanTable;
}  // namespace

double direction_deg(double vx, double vy) noexcept {
    const double ax = std::fabs(vx), ay = std::fabs(vy);
    const double big = std::max(ax, ay), small = std::min(ax, ay);
    // Zeros, infinities and NaN: the library's rules (signed zeros and all).
    if (!(big > 0.0 && big <= std::numeric_limits<double>::max()) || std::isnan(ax + ay))
        return wrap_deg_360(std::atan2(vx, vy) * kRadToDeg);
    const double t = small / big;  // in [0, 1]
    const int k = static_cast<int>(t * AtanTable::kIntervals + 0.5);
    const double* c = kAtanTable.c[k];
    const double d = t - static_cast<double>(k) * (1.0 / AtanTable::kIntervals);  // exact (Sterbenz)
    const double d2 = d * d, d4 = d2 * d2;
    const double lo = (c[0] + c[1] * d) + (c[2] + c[3] * d) * d2;
    const double hi = (c[4] + c[5] * d) + (c[6] + c[7] * d) * d2;
    double a = lo + hi * d4;  // atan(small / big), degrees, in [0, 45]
    // Octant, then quadrant (dir = atan2(vx, vy): 0 = +y, clockwise), in exact degrees.
    a = ax > ay ? 90.0 - a : a;
    a = std::signbit(vy) ? 180.0 - a : a;
    a = std::signbit(vx) ? -a : a;
    return wrap_deg_360(a);
}

// ---------------------------------------------------------------- shared Kalman filter pieces

void ProcessNoise::compute(int64_t dt_us) noexcept {
    Step& n = step_;
    n.dt_us = dt_us;
    const double dt = static_cast<double>(dt_us) * 1e-6;
    const double dt2 = dt * dt, dt3 = dt2 * dt;
    n.dt = dt;
    n.dt2 = dt2;
    n.half_dt2 = 0.5 * dt2;
    const double q = q_;
    n.Q00 = q * dt3 * dt2 / 20;
    n.Q01 = q * dt2 * dt2 / 8;
    n.Q02 = q * dt3 / 6;
    n.Q11 = q * dt3 / 3;
    n.Q12 = q * dt2 / 2;
    n.Q22 = q * dt;
    const double qo = qo_;
    n.Qo00 = qo * dt3 / 3;
    n.Qo01 = qo * dt2 / 2;
    n.Qo11 = qo * dt;
}

void predict_state(TrackState& s, int64_t t_us, ProcessNoise& noise) noexcept {
    if (t_us <= s.time_us) return;
    const ProcessNoise::Step& n = noise.over(t_us - s.time_us);
    s.time_us = t_us;
    const double dt = n.dt, dt2 = n.dt2, h = n.half_dt2;
    for (double* p : {s.x, s.y}) {
        p[0] += p[1] * dt + 0.5 * p[2] * dt2;
        p[1] += p[2] * dt;
    }
    // P <- F P F' + Q for F = [[1, dt, dt^2/2], [0, 1, dt], [0, 0, 1]], white jerk. Written
    // out term by term in the order of the plain triple loop (the terms it multiplies by 0 or 1
    // dropped), so the result is the loop's.
    double (&P)[3][3] = s.P;
    double FP[3][3];
    for (int j = 0; j < 3; ++j) {
        FP[0][j] = (P[0][j] + dt * P[1][j]) + h * P[2][j];
        FP[1][j] = P[1][j] + dt * P[2][j];
        FP[2][j] = P[2][j];
    }
    const double Q[3][3] = {{n.Q00, n.Q01, n.Q02}, {n.Q01, n.Q11, n.Q12}, {n.Q02, n.Q12, n.Q22}};
    for (int i = 0; i < 3; ++i) {
        P[i][0] = ((FP[i][0] + FP[i][1] * dt) + FP[i][2] * h) + Q[i][0];
        P[i][1] = (FP[i][1] + FP[i][2] * dt) + Q[i][1];
        P[i][2] = FP[i][2] + Q[i][2];
    }
    if (s.has_o) {
        s.o[0] += s.o[1] * dt;
        double (&Po)[2][2] = s.Po;
        const double p00 = Po[0][0] + 2 * dt * Po[0][1] + dt2 * Po[1][1] + n.Qo00;
        const double p01 = Po[0][1] + dt * Po[1][1] + n.Qo01;
        const double p11 = Po[1][1] + n.Qo11;
        Po[0][0] = p00; Po[0][1] = Po[1][0] = p01; Po[1][1] = p11;
    }
}

void predict_mean(const TrackState& s, int64_t t_us, double x[3], double y[3]) noexcept {
    const double dt = static_cast<double>(t_us - s.time_us) * 1e-6;
    x[0] = s.x[0] + s.x[1] * dt + 0.5 * s.x[2] * dt * dt;
    x[1] = s.x[1] + s.x[2] * dt;
    x[2] = s.x[2];
    y[0] = s.y[0] + s.y[1] * dt + 0.5 * s.y[2] * dt * dt;
    y[1] = s.y[1] + s.y[2] * dt;
    y[2] = s.y[2];
}

void update_position(TrackState& s, double x, double y, double var_yd2) noexcept {
    double (&P)[3][3] = s.P;
    const double S = P[0][0] + var_yd2;
    const double K[3] = {P[0][0] / S, P[1][0] / S, P[2][0] / S};
    const double ix = x - s.x[0], iy = y - s.y[0];
    for (int i = 0; i < 3; ++i) {
        s.x[i] += K[i] * ix;
        s.y[i] += K[i] * iy;
    }
    const double row0[3] = {P[0][0], P[0][1], P[0][2]};
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) P[i][j] -= K[i] * row0[j];
}

void start_orientation(TrackState& s, double o_deg, double var_deg2) noexcept {
    s.has_o = true;
    s.o[0] = o_deg; s.o[1] = 0;
    s.Po[0][0] = var_deg2; s.Po[0][1] = s.Po[1][0] = 0; s.Po[1][1] = kInitRateVar;
}

void update_orientation(TrackState& s, double innov, double var_deg2) noexcept {
    double (&Po)[2][2] = s.Po;
    const double So = Po[0][0] + var_deg2;
    const double k0 = Po[0][0] / So, k1 = Po[1][0] / So;
    s.o[0] += k0 * innov;
    s.o[1] += k1 * innov;
    const double p00 = Po[0][0], p01 = Po[0][1];
    Po[0][0] -= k0 * p00;
    Po[0][1] -= k0 * p01;
    Po[1][0] -= k1 * p00;
    Po[1][1] -= k1 * p01;
}

bool invert3(const double A[3][3], double out[3][3]) noexcept {
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

void rts_gain(const double P_t[3][3], double dt, const double P_next_prior_inv[3][3],
              double C[3][3]) noexcept {
    const double F[3][3] = {{1, dt, 0.5 * dt * dt}, {0, 1, dt}, {0, 0, 1}};
    double PFt[3][3];
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) {
            double acc = 0;
            for (int k = 0; k < 3; ++k) acc += P_t[i][k] * F[j][k];
            PFt[i][j] = acc;
        }
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) {
            double acc = 0;
            for (int k = 0; k < 3; ++k) acc += PFt[i][k] * P_next_prior_inv[k][j];
            C[i][j] = acc;
        }
}

void write_kinematics(double sx[3], double sy[3], double max_speed_yps, double speed,
                      FilterOutput& out) noexcept {
    const double below_cap2 = surely_below_cap2(max_speed_yps);
    if (!(speed >= 0.0)) {
        speed = sx[1] * sx[1] + sy[1] * sy[1] < below_cap2 ? norm2(sx[1], sy[1])
                                                          : std::hypot(sx[1], sy[1]);
    }
    if (speed > max_speed_yps) {
        sx[1] *= max_speed_yps / speed;
        sy[1] *= max_speed_yps / speed;
        out.flags |= kFlagSpeedCapped;
        speed = std::hypot(sx[1], sy[1]);
    }
    out.x = sx[0];
    out.y = sy[0];
    out.s = std::min(speed, max_speed_yps);
    out.a = norm2(sx[2], sy[2]);
    out.dir = direction_deg(sx[1], sy[1]);
}

// ---------------------------------------------------------------- the causal filter

TrackFilter::TrackFilter(const FilterConfig& config)
    : cfg_(config),
      noise_(config.jerk_psd, config.orientation_rate_psd),
      below_cap2_(surely_below_cap2(config.max_speed_yps)) {}

void TrackFilter::reset() noexcept {
    const FilterConfig cfg = cfg_;
    *this = TrackFilter(cfg);
}

void TrackFilter::initialise(const Measurement& m, bool keep_velocity) noexcept {
    double vx = keep_velocity ? s_.x[1] : 0.0, vy = keep_velocity ? s_.y[1] : 0.0;
    if (keep_velocity && cfg_.is_ball) {
        const double since = static_cast<double>(m.time_us - last_update_us_) * 1e-6;
        const bool recent = since > 1e-3 && since <= kBallReacquireVelWindowS;
        vx = recent ? (m.x - last_x_) / since : 0.0;
        vy = recent ? (m.y - last_y_) / since : 0.0;
    }
    initialised_ = true;
    reacquire_ = false;
    lost_ = false;
    s_.time_us = last_update_us_ = m.time_us;
    last_x_ = m.x;
    last_y_ = m.y;
    rejected_in_row_ = 0;
    s_.x[0] = m.x; s_.x[1] = vx; s_.x[2] = 0;
    s_.y[0] = m.y; s_.y[1] = vy; s_.y[2] = 0;
    for (auto& row : s_.P) for (double& v : row) v = 0;
    s_.P[0][0] = m.var_yd2;
    s_.P[1][1] = cfg_.is_ball ? kBallInitVelVar : kInitVelVar;
    s_.P[2][2] = cfg_.is_ball ? kBallInitAccVar : kInitAccVar;
    last_step_.started = last_step_.updated = true;
    last_step_.m = m;
    if (m.has_o && std::isfinite(m.o_deg)) {
        start_orientation(s_, m.o_deg, m.o_var_deg2);
        last_step_.o_updated = true;
    } else if (s_.has_o) {
        // Re-acquired on one shoulder: keep the last orientation for the single-tag offset, as
        // a track that never lost the player holds it while a shoulder is silent, but know
        // nothing of it (the next shoulder pair is taken whatever it says).
        s_.o[1] = 0;
        s_.Po[0][0] = kReacquiredOrientationVar; s_.Po[0][1] = s_.Po[1][0] = 0; s_.Po[1][1] = kInitRateVar;
    }
}

void TrackFilter::predict_position(int64_t t_us, double& x, double& y) const noexcept {
    const double dt = static_cast<double>(t_us - s_.time_us) * 1e-6;
    x = s_.x[0] + s_.x[1] * dt + 0.5 * s_.x[2] * dt * dt;
    y = s_.y[0] + s_.y[1] * dt + 0.5 * s_.y[2] * dt * dt;
}

double TrackFilter::position_sigma_at(int64_t t_us) const noexcept {
    const double dt = std::max(0.0, static_cast<double>(t_us - s_.time_us) * 1e-6);
    const double var = s_.P[0][0] + 2 * dt * s_.P[0][1] + dt * dt * s_.P[1][1] +
                       cfg_.jerk_psd * dt * dt * dt * dt * dt / 20;
    return std::sqrt(std::max(0.0, var));
}

double TrackFilter::orientation_var_at(int64_t t_us) const noexcept {
    const double dt = std::max(0.0, static_cast<double>(t_us - s_.time_us) * 1e-6);
    return s_.Po[0][0] + 2 * dt * s_.Po[0][1] + dt * dt * s_.Po[1][1] +
           cfg_.orientation_rate_psd * dt * dt * dt / 3;
}

bool TrackFilter::accept(const Measurement& m) const noexcept {
    const double dx = m.x - s_.x[0], dy = m.y - s_.y[0];
    const double d2 = dx * dx + dy * dy;
    // gate >= gate_floor_yd, so within the floor the measurement passes whatever sqrt(S) is.
    const double floor = cfg_.gate_floor_yd;
    if (!(floor >= 0.0 && d2 <= floor * floor)) {
        const double S = s_.P[0][0] + m.var_yd2;
        const double gate = std::max(cfg_.gate_floor_yd, cfg_.gate_sigmas * std::sqrt(S));
        if (d2 > gate * gate) return false;
    }
    if (!cfg_.is_ball) {
        const double since = static_cast<double>(m.time_us - last_update_us_) * 1e-6;
        const double reach = cfg_.max_speed_yps * since + cfg_.jump_margin_yd;
        const double jx = m.x - last_x_, jy = m.y - last_y_;
        if (jx * jx + jy * jy > reach * reach) return false;
    }
    return true;
}

void TrackFilter::update(const Measurement& m) noexcept {
    update_position(s_, m.x, m.y, m.var_yd2);
    last_update_us_ = m.time_us;
    last_x_ = m.x;
    last_y_ = m.y;
    last_step_.updated = true;
    last_step_.m = m;

    if (m.has_o && std::isfinite(m.o_deg)) {
        if (!s_.has_o) {
            start_orientation(s_, m.o_deg, m.o_var_deg2);
            last_step_.o_updated = true;
        } else {
            const double innov = wrap_deg_180(m.o_deg - s_.o[0]);
            // The gate is at least kOrientationGateDeg: within it, no need for the sqrt.
            bool pass = std::fabs(innov) <= kOrientationGateDeg;
            if (!pass) {
                const double So = s_.Po[0][0] + m.o_var_deg2;
                const double gate = std::max(kOrientationGateDeg, kOrientationGateSigmas * std::sqrt(So));
                pass = std::fabs(innov) <= gate;
            }
            if (pass) {
                update_orientation(s_, innov, m.o_var_deg2);
                last_step_.o_updated = true;
            }
        }
        s_.o[0] = wrap_deg_360(s_.o[0]);
    } else if (s_.has_o) {
        // No shoulder pair: hold the last orientation rather than spin on at a stale rate
        // (the single-tag fallback offsets along it).
        s_.o[1] = 0.0;
    }
}

bool TrackFilter::cap_speed(double& speed_before) noexcept {
    if (s_.x[1] * s_.x[1] + s_.y[1] * s_.y[1] < below_cap2_) {
        speed_before = norm2(s_.x[1], s_.y[1]);
        return false;
    }
    const double s = std::hypot(s_.x[1], s_.y[1]);
    speed_before = s;
    if (s <= cfg_.max_speed_yps) return false;
    const double k = cfg_.max_speed_yps / s;
    s_.x[1] *= k;
    s_.y[1] *= k;
    if (cfg_.is_ball) {
        // The acceleration that drove the ball past any real throw speed is what overshoots
        // after a throw (a step in velocity): drop its component along the motion.
        const double ux = s_.x[1] / cfg_.max_speed_yps, uy = s_.y[1] / cfg_.max_speed_yps;
        const double along = s_.x[2] * ux + s_.y[2] * uy;
        if (along > 0) {
            s_.x[2] -= along * ux;
            s_.y[2] -= along * uy;
        }
    }
    return true;
}

FilterOutput TrackFilter::step(int64_t tick_time_us, const Measurement* m) noexcept {
    uint16_t flags = 0;
    bool used = false;
    last_step_ = StepRecord{};
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
            if (meas.time_us < s_.time_us) meas.time_us = s_.time_us;
            const bool after_tick = meas.time_us > tick_time_us && tick_time_us > s_.time_us;
            double xT[3], yT[3], PT[3][3];
            if (after_tick) {
                predict_mean(s_, tick_time_us, xT, yT);
                predict_to(tick_time_us);  // covariance at the tick (the mean matches xT)
                for (int i = 0; i < 3; ++i)
                    for (int j = 0; j < 3; ++j) PT[i][j] = s_.P[i][j];
            }
            predict_to(meas.time_us);
            double xp[3], yp[3], Pp[3][3];
            for (int i = 0; i < 3; ++i) {
                xp[i] = s_.x[i];
                yp[i] = s_.y[i];
                for (int j = 0; j < 3; ++j) Pp[i][j] = s_.P[i][j];
            }
            if (accept(meas)) {
                update(meas);
                rejected_in_row_ = 0;
                used = true;
                double Pinv[3][3];
                if (after_tick && invert3(Pp, Pinv)) {
                    // C = P_T F' Pp^-1, F = F(meas - tick); smoothed = xT + C (x_f - x_p).
                    const double dt = static_cast<double>(meas.time_us - tick_time_us) * 1e-6;
                    double C[3][3];
                    rts_gain(PT, dt, Pinv, C);
                    for (int i = 0; i < 3; ++i) {
                        double ax = 0, ay = 0;
                        for (int k = 0; k < 3; ++k) {
                            ax += C[i][k] * (s_.x[k] - xp[k]);
                            ay += C[i][k] * (s_.y[k] - yp[k]);
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
        s_.x[2] *= kHeldAccelDecay;
        s_.y[2] *= kHeldAccelDecay;
        s_.o[1] = 0.0;
        if (static_cast<double>(tick_time_us - last_update_us_) * 1e-6 > cfg_.hold_time_s) lost_ = true;
    }
    double state_speed;
    const bool state_capped = cap_speed(state_speed);
    if (state_capped) out.flags |= kFlagSpeedCapped;
    if (lost_) {
        out.flags |= kFlagLost;
        return out;
    }
    if (!smooth) predict_mean(s_, tick_time_us, sx, sy);
    // At the state's own time the output velocity is the state's (v + a * 0): its speed is
    // the one cap_speed just computed, when that did not change the velocity.
    const bool speed_known = !smooth && !state_capped && tick_time_us == s_.time_us;
    write_kinematics(sx, sy, cfg_.max_speed_yps, speed_known ? state_speed : -1.0, out);
    if (s_.has_o) {
        const double dt = static_cast<double>(tick_time_us - s_.time_us) * 1e-6;
        out.o = wrap_deg_360(s_.o[0] + s_.o[1] * dt);
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
    return for_each_track_step(
        time_us, n_frames, n_tracks, x, y, o, meas_sigma_yd, o_sigma_deg, config,
        [&](std::size_t i, std::size_t, const TrackFilter&, const FilterOutput& f) {
            out_x[i] = f.x; out_y[i] = f.y; out_s[i] = f.s; out_a[i] = f.a;
            out_dir[i] = f.dir; out_o[i] = f.o; out_flags[i] = f.flags;
        });
}

}  // namespace ghostedge

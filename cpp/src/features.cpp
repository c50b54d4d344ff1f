#include "ghostedge/features.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ghostedge::features {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kTiny = 1e-6;

const char* const kNames[kNumFeatures] = {
    // the defender himself
    "def_vx", "def_vy", "def_ax", "def_ay", "def_speed", "def_accel_along", "def_o_x", "def_o_y",
    "def_o_dot_motion", "def_y", "def_y_far", "def_goal_dist", "def_x_past_los",
    // the chosen target receiver
    "tgt_rel_x", "tgt_rel_y", "tgt_dist", "tgt_rel_vx", "tgt_rel_vy", "tgt_vx", "tgt_vy",
    "tgt_ax", "tgt_ay", "tgt_closing_speed", "tgt_y",
    // the ball
    "ball_rel_x", "ball_rel_y", "ball_dist", "ball_vx", "ball_vy", "ball_speed", "ball_to_tgt_x",
    "ball_to_tgt_y", "ball_to_tgt_dist", "ball_heading_to_tgt",
    // nearest other offensive player, nearest team-mate, help on the target
    "nopp_rel_x", "nopp_rel_y", "nopp_dist", "nopp_rel_vx", "nopp_rel_vy", "nmate_rel_x",
    "nmate_rel_y", "nmate_dist", "tgt_dist_minus_help",
    // play context
    "ctx_down", "ctx_yards_to_go", "ctx_los_x", "ctx_quarter", "ctx_clock_s", "ctx_score_margin",
    // 1 when the defender's orientation at t is known (the facing features are NaN when not)
    "def_o_known",
    // velocity of the defender's step ending j frames before t (j = 0 and 1 are def_v, def_a)
    "def_vx_m2", "def_vy_m2", "def_vx_m3", "def_vy_m3", "def_vx_m4", "def_vy_m4",
    "def_vx_m5", "def_vy_m5", "def_vx_m6", "def_vy_m6", "def_vx_m7", "def_vy_m7",
    "def_vx_m8", "def_vy_m8", "def_vx_m9", "def_vy_m9",
    // the same for the target receiver, j = 1 .. 4
    "tgt_vx_m1", "tgt_vy_m1", "tgt_vx_m2", "tgt_vy_m2", "tgt_vx_m3", "tgt_vy_m3",
    "tgt_vx_m4", "tgt_vy_m4",
    // the throw to this receiver as given: landing point relative to the defender and to the
    // receiver, its distance from the defender, seconds until it lands (all 0 when not given),
    // 1 when given; then the same six as the builder estimates them (always)
    "land_rel_x", "land_rel_y", "land_tgt_x", "land_tgt_y", "land_dist", "land_t_s", "land_given",
    "land_est_rel_x", "land_est_rel_y", "land_est_tgt_x", "land_est_tgt_y", "land_est_dist",
    "land_est_t_s",
};
constexpr int kFirstDefHistory = 50;  // index of def_vx_m2
constexpr int kFirstTgtHistory = kFirstDefHistory + 2 * kDefHistorySteps;
constexpr int kFirstLanding = kFirstTgtHistory + 2 * kTgtHistorySteps;
static_assert(kFirstLanding + kNumLandingFeatures == kNumFeatures, "feature layout");

struct Vec2 {
    double x = 0.0, y = 0.0;
};
inline Vec2 operator-(Vec2 a, Vec2 b) { return {a.x - b.x, a.y - b.y}; }
inline Vec2 operator+(Vec2 a, Vec2 b) { return {a.x + b.x, a.y + b.y}; }
inline Vec2 operator*(Vec2 a, double k) { return {a.x * k, a.y * k}; }
inline double dot(Vec2 a, Vec2 b) { return a.x * b.x + a.y * b.y; }
inline double norm(Vec2 a) { return std::sqrt(dot(a, a)); }
inline bool finite(Vec2 a) { return std::isfinite(a.x) && std::isfinite(a.y); }

// Reads positions in the model frame (offence toward +x, optional y mirror).
class ModelFrame {
   public:
    ModelFrame(const FrameView& f, Orientation o)
        : f_(f), first_(f.n_history - kHistory), sx_(o.play_left ? -1.0 : 1.0),
          sy_((o.play_left != o.mirror_y) ? -1.0 : 1.0) {}

    // history index k of the last kHistory frames: 0 = t-2, 1 = t-1, 2 = t
    Vec2 player(int k, std::int64_t n) const { return back(kHistory - 1 - k, n); }
    // j frames before t (0 = t); NaN when older than the history supplied
    Vec2 back(std::int64_t j, std::int64_t n) const {
        if (j >= f_.n_history) return {kNaN, kNaN};
        const double* p = f_.xy + ((f_.n_history - 1 - j) * f_.n_players + n) * 2;
        return map({p[0], p[1]});
    }
    Vec2 ball(int k) const {
        const double* b = f_.ball + (first_ + k) * 2;
        return map({b[0], b[1]});
    }
    // Unit vector of the orientation at t (0 = +y, clockwise); NaN when unknown.
    Vec2 facing(std::int64_t n) const {
        const double deg = f_.orientation[(f_.n_history - 1) * f_.n_players + n];
        if (!std::isfinite(deg)) return {kNaN, kNaN};
        const double rad = deg * kPi / 180.0;
        return {sx_ * std::sin(rad), sy_ * std::cos(rad)};
    }
    // A raw field point in the model frame.
    Vec2 map(Vec2 raw) const {
        return {sx_ < 0 ? kFieldLength - raw.x : raw.x, sy_ < 0 ? kFieldWidth - raw.y : raw.y};
    }
    bool present_all(std::int64_t n) const {
        for (int k = 0; k < kHistory; ++k)
            if (!finite(player(k, n))) return false;
        return true;
    }

   private:
    static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
    const FrameView& f_;
    std::int64_t first_;  // array row of t-2
    double sx_, sy_;
};

// Velocities (model frame, yd/s) of a player's steps ending j = 0 .. n_steps-1 frames before
// t. A step with a frame missing, or older than the history supplied, repeats the next newer
// one (the player kept his velocity), so the result is finite whenever t-1 and t are present.
void step_velocities(const ModelFrame& mf, std::int64_t n, int n_steps, Vec2* out) {
    Vec2 newer = mf.back(0, n);
    for (int j = 0; j < n_steps; ++j) {
        const Vec2 older = mf.back(j + 1, n);
        const bool ok = finite(newer) && finite(older);
        out[j] = ok ? (newer - older) * (1.0 / kFrameDt) : (j > 0 ? out[j - 1] : Vec2{});
        newer = older;
    }
}

struct Kinematics {
    Vec2 p, v, a;
};

Kinematics kinematics(const ModelFrame& mf, std::int64_t n) {
    const Vec2 p0 = mf.player(0, n), p1 = mf.player(1, n), p2 = mf.player(2, n);
    Kinematics k;
    k.p = p2;
    k.v = (p2 - p1) * (1.0 / kFrameDt);
    k.a = (p2 - p1 * 2.0 + p0) * (1.0 / (kFrameDt * kFrameDt));
    return k;
}

// Velocity from t-1, t when both exist, else zero (used for neighbours only).
Vec2 velocity_or_zero(const ModelFrame& mf, std::int64_t n) {
    const Vec2 p1 = mf.player(1, n), p2 = mf.player(2, n);
    if (!finite(p1)) return {};
    return (p2 - p1) * (1.0 / kFrameDt);
}

// The ball as the features see it. Live, the ball tag drops out: the position is the latest
// known one of t, t-1, t-2, the velocity the difference of the latest two consecutive known
// frames (zero when there are none), so a missing ball degrades the ball features instead of
// voiding every pair of the frame.
struct BallState {
    Vec2 p, v;
    bool known = false;
};

BallState ball_state(const ModelFrame& mf) {
    BallState b;
    for (int k = kHistory - 1; k >= 0; --k) {
        const Vec2 p = mf.ball(k);
        if (!finite(p)) continue;
        b.p = p;
        b.known = true;
        if (k > 0 && finite(mf.ball(k - 1))) b.v = (p - mf.ball(k - 1)) * (1.0 / kFrameDt);
        break;
    }
    return b;
}

// Where (model frame) and when (seconds after t) the ball thrown to a receiver lands.
struct Landing {
    Vec2 p;
    double t_s = 0.0;
};

// The caller's row, when it is given and finite.
bool given_landing(const ModelFrame& mf, const double* row, Landing* out) {
    if (row == nullptr || !std::isfinite(row[0]) || !std::isfinite(row[1]) || !std::isfinite(row[2]))
        return false;
    out->p = mf.map({row[0], row[1]});
    out->t_s = row[2] > 0.0 ? row[2] : 0.0;
    return true;
}

// The estimate of features.hpp: the ball reaches the receiver, who keeps his velocity.
Landing estimated_landing(Vec2 ball, const Kinematics& rk) {
    Landing l;
    l.t_s = std::clamp(kFlightStartS + norm(rk.p - ball) / kBallGroundSpeedYps, kMinFlightS, kMaxFlightS);
    l.p = rk.p + rk.v * l.t_s;
    return l;
}

}  // namespace

const char* const* feature_names() { return kNames; }

std::int64_t build_pair_features(const FrameView& frame, const std::int64_t* defenders,
                                 std::int64_t n_defenders, const std::int64_t* receivers,
                                 std::int64_t n_receivers, Orientation orient, float* out,
                                 const double* landing) noexcept {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const std::int64_t n_players = frame.n_players;
    if (frame.n_history < kHistory || frame.n_history > kMaxHistory) {
        for (std::int64_t k = 0; k < n_defenders * n_receivers * kNumFeatures; ++k) out[k] = nan;
        return 0;
    }
    const ModelFrame mf(frame, orient);
    const BallState ball = ball_state(mf);
    const double* ctx = frame.context;
    std::int64_t n_valid = 0;

    for (std::int64_t i = 0; i < n_defenders; ++i) {
        const std::int64_t d = defenders[i];
        const bool def_ok = d >= 0 && d < n_players && mf.present_all(d);
        for (std::int64_t j = 0; j < n_receivers; ++j) {
            float* row = out + (i * n_receivers + j) * kNumFeatures;
            const std::int64_t r = receivers[j];
            if (!def_ok || r < 0 || r >= n_players || r == d || !mf.present_all(r)) {
                for (int k = 0; k < kNumFeatures; ++k) row[k] = nan;
                continue;
            }
            const Kinematics dk = kinematics(mf, d), rk = kinematics(mf, r);
            const double speed = norm(dk.v);
            const Vec2 vhat = speed > kTiny ? dk.v * (1.0 / speed) : Vec2{};
            const Vec2 face = mf.facing(d);  // NaN when unknown: never read as a direction
            const Vec2 rel = rk.p - dk.p, rel_v = rk.v - dk.v;
            const double dist = norm(rel);
            // Ball tag lost for all of t-2..t: take the ball at the target it was thrown to
            // (zero velocity), the neutral value - ghosts still come out.
            const Vec2 ball_t = ball.known ? ball.p : rk.p;
            const Vec2 ball_v = ball.v;
            const double ball_speed = norm(ball_v);
            const Vec2 ball_rel = ball_t - dk.p, ball_to_tgt = rk.p - ball_t;
            const double ball_to_tgt_dist = norm(ball_to_tgt);

            // Neighbours: nearest offensive player other than the target, nearest team-mate,
            // and the nearest other defender to the target (his help).
            double opp_best = kNoNeighbourDist, mate_best = kNoNeighbourDist;
            double help_best = kNoNeighbourDist;
            std::int64_t opp = -1, mate = -1;
            for (std::int64_t n = 0; n < n_players; ++n) {
                if (n == d || n == r) continue;
                const Vec2 p = mf.player(2, n);
                if (!finite(p)) continue;
                const double dd = norm(p - dk.p);
                if (frame.is_offense[n]) {
                    if (dd < opp_best) opp_best = dd, opp = n;
                } else {
                    if (dd < mate_best) mate_best = dd, mate = n;
                    const double dr = norm(p - rk.p);
                    if (dr < help_best) help_best = dr;
                }
            }
            Vec2 opp_rel{}, opp_rel_v{}, mate_rel{};
            if (opp >= 0) {
                opp_rel = mf.player(2, opp) - dk.p;
                opp_rel_v = velocity_or_zero(mf, opp) - dk.v;
            }
            if (mate >= 0) mate_rel = mf.player(2, mate) - dk.p;

            const double f[kFirstDefHistory] = {
                dk.v.x, dk.v.y, dk.a.x, dk.a.y, speed, dot(dk.a, vhat), face.x, face.y,
                dot(face, vhat), dk.p.y, kFieldWidth - dk.p.y, kGoalLineX - dk.p.x,
                dk.p.x - ctx[kLineOfScrimmageX],
                rel.x, rel.y, dist, rel_v.x, rel_v.y, rk.v.x, rk.v.y, rk.a.x, rk.a.y,
                dist > kTiny ? -dot(rel, rel_v) / dist : 0.0, rk.p.y,
                ball_rel.x, ball_rel.y, norm(ball_rel), ball_v.x, ball_v.y, ball_speed,
                ball_to_tgt.x, ball_to_tgt.y, ball_to_tgt_dist,
                (ball_speed > kTiny && ball_to_tgt_dist > kTiny)
                    ? dot(ball_v, ball_to_tgt) / (ball_speed * ball_to_tgt_dist)
                    : 0.0,
                opp_rel.x, opp_rel.y, opp_best, opp_rel_v.x, opp_rel_v.y,
                mate_rel.x, mate_rel.y, mate_best, dist - help_best,
                ctx[kDown], ctx[kYardsToGo], ctx[kLineOfScrimmageX], ctx[kQuarter],
                ctx[kGameClockSeconds], ctx[kOffenseScoreMargin],
                finite(face) ? 1.0 : 0.0,
            };
            for (int k = 0; k < kFirstDefHistory; ++k) row[k] = static_cast<float>(f[k]);
            Vec2 steps[kDefHistorySteps + 2];
            step_velocities(mf, d, kDefHistorySteps + 2, steps);
            for (int s = 0; s < kDefHistorySteps; ++s) {
                row[kFirstDefHistory + 2 * s] = static_cast<float>(steps[s + 2].x);
                row[kFirstDefHistory + 2 * s + 1] = static_cast<float>(steps[s + 2].y);
            }
            step_velocities(mf, r, kTgtHistorySteps + 1, steps);
            for (int s = 0; s < kTgtHistorySteps; ++s) {
                row[kFirstTgtHistory + 2 * s] = static_cast<float>(steps[s + 1].x);
                row[kFirstTgtHistory + 2 * s + 1] = static_cast<float>(steps[s + 1].y);
            }
            Landing given{};
            const bool is_given = given_landing(
                mf, landing != nullptr ? landing + j * kLandingColumns : nullptr, &given);
            const Landing est = estimated_landing(ball_t, rk);
            const Vec2 g_rel = given.p - dk.p, g_tgt = given.p - rk.p;
            const Vec2 e_rel = est.p - dk.p, e_tgt = est.p - rk.p;
            const double lf[kNumLandingFeatures] = {
                is_given ? g_rel.x : 0.0, is_given ? g_rel.y : 0.0, is_given ? g_tgt.x : 0.0,
                is_given ? g_tgt.y : 0.0, is_given ? norm(g_rel) : 0.0, given.t_s,
                is_given ? 1.0 : 0.0,
                e_rel.x, e_rel.y, e_tgt.x, e_tgt.y, norm(e_rel), est.t_s,
            };
            for (int k = 0; k < kNumLandingFeatures; ++k)
                row[kFirstLanding + k] = static_cast<float>(lf[k]);
            ++n_valid;
        }
    }
    return n_valid;
}

std::int64_t select_model_inputs(const float* features, std::int64_t n_rows,
                                 const std::int64_t* columns, std::int64_t n_columns,
                                 float* inputs, std::uint8_t* valid) noexcept {
    bool columns_ok = true;
    for (std::int64_t j = 0; j < n_columns; ++j)
        columns_ok = columns_ok && columns[j] >= 0 && columns[j] < kNumFeatures;
    std::int64_t n_valid = 0;
    for (std::int64_t b = 0; b < n_rows; ++b) {
        const float* src = features + b * kNumFeatures;
        float* dst = inputs + b * n_columns;
        bool ok = columns_ok;
        for (std::int64_t j = 0; j < n_columns && ok; ++j) {
            dst[j] = src[columns[j]];
            ok = std::isfinite(dst[j]);
        }
        if (!ok)
            for (std::int64_t j = 0; j < n_columns; ++j) dst[j] = 0.0f;
        valid[b] = ok ? 1 : 0;
        n_valid += ok ? 1 : 0;
    }
    return n_valid;
}

void model_outputs_to_field(const float* mean_model, const float* sigma_model,
                            std::int64_t horizon_max, const std::uint8_t* valid,
                            const double* start_xy, std::int64_t n_defenders,
                            std::int64_t n_receivers, std::int64_t horizon, Orientation orient,
                            double* mean_out, double* sigma_out) noexcept {
    constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
    const double sx = orient.play_left ? -1.0 : 1.0;
    const double sy = (orient.play_left != orient.mirror_y) ? -1.0 : 1.0;
    for (std::int64_t d = 0; d < n_defenders; ++d) {
        const double x0 = start_xy[2 * d], y0 = start_xy[2 * d + 1];
        const bool start_ok = std::isfinite(x0) && std::isfinite(y0);
        for (std::int64_t r = 0; r < n_receivers; ++r) {
            const std::int64_t b = d * n_receivers + r;
            const float* m = mean_model + b * horizon_max * 2;
            const float* s = sigma_model + b * horizon_max * 2;
            double* mo = mean_out + b * horizon * 2;
            double* so = sigma_out + b * horizon * 2;
            if (!valid[b] || !start_ok) {
                for (std::int64_t k = 0; k < 2 * horizon; ++k) mo[k] = so[k] = kNaN;
                continue;
            }
            for (std::int64_t k = 0; k < horizon; ++k) {
                mo[2 * k] = static_cast<double>(m[2 * k]) * sx + x0;
                mo[2 * k + 1] = static_cast<double>(m[2 * k + 1]) * sy + y0;
                so[2 * k] = static_cast<double>(s[2 * k]);
                so[2 * k + 1] = static_cast<double>(s[2 * k + 1]);
            }
        }
    }
}

}  // namespace ghostedge::features

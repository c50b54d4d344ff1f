// The causal filter on known trajectories: straight line, turn, stop, outlier spikes, speed cap,
// hold then lost, the batch entry point, and a thrown ball through fuse_ball + the ball filter.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <vector>

#include "check.hpp"
#include "ghostedge/fusion.hpp"
#include "ghostedge/kalman_filter.hpp"

using namespace ghostedge;

namespace {
constexpr double kPi = 3.14159265358979323846;
constexpr int64_t kFrame = 100000;
const double kSigma = 0.03;  // yd, fused measurement noise

Measurement meas(int64_t t, double x, double y) { return Measurement{t, x, y, kSigma * kSigma, false, 0, 0}; }

}  // namespace

int main() {
    std::mt19937 rng(7);
    std::normal_distribution<double> noise(0.0, kSigma);

    // Straight line at 7 yd/s heading dir = 60 deg: speed, dir and position converge.
    {
        TrackFilter f;
        const double dir = 60.0 * kPi / 180.0, v = 7.0;
        double sq = 0, ssq = 0, dmax = 0;
        int n = 0;
        for (int k = 0; k < 100; ++k) {
            const double t = k * 0.1;
            const double x = 20 + v * std::sin(dir) * t, y = 10 + v * std::cos(dir) * t;
            const Measurement m = meas(k * kFrame, x + noise(rng), y + noise(rng));
            const FilterOutput out = f.step(k * kFrame, &m);
            if (k >= 20) {
                sq += std::pow(out.x - x, 2) + std::pow(out.y - y, 2);
                ssq += std::pow(out.s - v, 2);
                dmax = std::max(dmax, std::fabs(wrap_deg_180(out.dir - 60.0)));
                ++n;
            }
            CHECK((out.flags & ~kFlagNoOrientation) == 0);
        }
        std::printf("straight line: position rms %.4f yd, speed rms %.3f, dir max %.2f\n", std::sqrt(sq / n), std::sqrt(ssq / n), dmax);
        CHECK(std::sqrt(sq / n) < kSigma * std::sqrt(2.0));  // beats one measurement's 2-D error
        CHECK(std::sqrt(ssq / n) < 0.35);
        CHECK(dmax < 8.0);
    }

    // Stop: the player decelerates to a standstill; the estimated speed follows to ~0.
    {
        TrackFilter f;
        double x = 50;
        FilterOutput out{};
        for (int k = 0; k < 80; ++k) {
            const double v = k < 30 ? 6.0 : std::max(0.0, 6.0 - (k - 30) * 0.1 * 8.0);
            x += v * 0.1;
            const Measurement m = meas(k * kFrame, x + noise(rng), 20 + noise(rng));
            out = f.step(k * kFrame, &m);
        }
        CHECK(out.s < 0.5);
        CHECK_NEAR(out.x, x, 0.1);
    }

    // Turn: circle of radius 8 yd at 6 yd/s; dir follows the tangent within a few degrees.
    {
        TrackFilter f;
        const double r = 8.0, v = 6.0;
        double dmax = 0;
        for (int k = 0; k < 120; ++k) {
            const double th = v / r * k * 0.1;  // clockwise from +y around centre (60, 25)
            const double x = 60 + r * std::sin(th), y = 25 + r * std::cos(th) - r;
            const Measurement m = meas(k * kFrame, x + noise(rng), y + noise(rng));
            const FilterOutput out = f.step(k * kFrame, &m);
            // Moving clockwise on the circle: heading = th + 90 deg.
            if (k > 20) dmax = std::max(dmax, std::fabs(wrap_deg_180(out.dir - (th * 180 / kPi + 90))));
        }
        std::printf("turn: dir max err %.2f\n", dmax);
        CHECK(dmax < 10.0);
    }

    // Outlier spikes: a 3 yd jump in one frame is rejected and flagged; the track stays.
    {
        TrackFilter f;
        FilterOutput out{};
        int rejected_flags = 0;
        for (int k = 0; k < 50; ++k) {
            double x = 30 + 0.5 * k * 0.1;  // walking at 0.5 yd/s
            if (k == 25 || k == 40) x += 3.0;
            const Measurement m = meas(k * kFrame, x + noise(rng), 30 + noise(rng));
            out = f.step(k * kFrame, &m);
            if (out.flags & kFlagRejected) ++rejected_flags;
            if (k == 25 || k == 40) CHECK(std::fabs(out.x - (30 + 0.5 * k * 0.1)) < 0.2);
        }
        CHECK(rejected_flags == 2);
        CHECK(f.rejected() == 2);
        CHECK(f.resets() == 0);
    }

    // Speed cap: measurements moving at 20 yd/s (impossible for a player) never give s > 12.5.
    {
        TrackFilter f;
        double smax = 0;
        for (int k = 0; k < 60; ++k) {
            const Measurement m = meas(k * kFrame, 10 + 1.0 * k, 20);  // 10 yd/s ...
            const Measurement fast = meas(k * kFrame, 10 + 2.0 * k, 20);  // ... and 20 yd/s
            const FilterOutput out = f.step(k * kFrame, k < 30 ? &m : &fast);
            if (std::isfinite(out.s)) smax = std::max(smax, out.s);
        }
        CHECK(smax <= 12.5 + 1e-9);
        // The ball has no limit.
        TrackFilter ball(ball_filter_config());
        FilterOutput out{};
        for (int k = 0; k < 30; ++k) {
            const Measurement m = meas(k * kFrame, 10 + 2.0 * k, 20);
            out = ball.step(k * kFrame, &m);
        }
        CHECK_NEAR(out.s, 20.0, 0.5);
    }

    // Hold then lost: no data -> held (extrapolated) for hold_time_s, then lost with NaN outputs.
    {
        TrackFilter f;
        for (int k = 0; k < 10; ++k) {
            const Measurement m = meas(k * kFrame, 40 + 0.3 * k, 20);
            f.step(k * kFrame, &m);
        }
        const FilterOutput held = f.step(10 * kFrame, nullptr);
        CHECK((held.flags & kFlagHeld) && !(held.flags & kFlagLost));
        CHECK_NEAR(held.x, 43.0, 0.1);
        FilterOutput out{};
        for (int k = 11; k <= 21; ++k) out = f.step(k * kFrame, nullptr);
        CHECK(out.flags & kFlagLost);
        CHECK(std::isnan(out.x));
        CHECK(!f.tracking());
        const Measurement back = meas(22 * kFrame, 60, 20);
        out = f.step(22 * kFrame, &back);
        CHECK(!(out.flags & kFlagLost));
        CHECK_NEAR(out.x, 60.0, 1e-9);
    }

    // Never seen: NaN and flagged.
    {
        TrackFilter f;
        const FilterOutput out = f.step(0, nullptr);
        CHECK((out.flags & kFlagNeverSeen) && std::isnan(out.x));
    }

    // Off-field measurement for a player (beyond the 10 yd margin): rejected.
    {
        TrackFilter f;
        const Measurement m = meas(0, 140.0, 20.0);
        const FilterOutput out = f.step(0, &m);
        CHECK((out.flags & kFlagRejected) && (out.flags & kFlagNeverSeen));
    }

    // Orientation: measurements of o are smoothed across the 0/360 wrap.
    {
        TrackFilter f;
        FilterOutput out{};
        for (int k = 0; k < 20; ++k) {
            Measurement m = meas(k * kFrame, 50, 20);
            m.has_o = true;
            m.o_deg = (k % 2 == 0) ? 358.0 : 2.0;
            m.o_var_deg2 = 25;
            out = f.step(k * kFrame, &m);
        }
        CHECK(std::fabs(wrap_deg_180(out.o)) < 3.0);
    }

    // Batch: same results as stepping by hand; NaN inputs are holds.
    {
        const std::size_t T = 30, N = 2;
        std::vector<int64_t> t(T);
        std::vector<double> x(T * N), y(T * N);
        for (std::size_t k = 0; k < T; ++k) {
            t[k] = static_cast<int64_t>(k) * kFrame;
            x[k * N] = 10 + 0.5 * static_cast<double>(k);
            y[k * N] = 5;
            x[k * N + 1] = k == 12 ? std::numeric_limits<double>::quiet_NaN() : 70.0;
            y[k * N + 1] = 30;
        }
        std::vector<double> ox(T * N), oy(T * N), os(T * N), oa(T * N), od(T * N), oo(T * N);
        std::vector<uint16_t> fl(T * N);
        filter_tracks(t.data(), T, N, x.data(), y.data(), nullptr, kSigma, 5.0, FilterConfig{},
                      ox.data(), oy.data(), os.data(), oa.data(), od.data(), oo.data(), fl.data());
        CHECK_NEAR(os[(T - 1) * N], 5.0, 0.3);
        CHECK_NEAR(od[(T - 1) * N], 90.0, 3.0);
        CHECK(fl[12 * N + 1] & kFlagHeld);
        CHECK_NEAR(ox[12 * N + 1], 70.0, 0.05);
    }
    // A throw: the ball rests in the passer's hand for 1 s, then leaves at 25 yd/s (a step in
    // velocity between two ticks). Ball reads at 25 Hz, 2 in per axis, fused and filtered as
    // the pipeline does (one frame of delay: tick t uses the reads of (t, t + 0.1 s]). The
    // track must follow within 0.5 yd with no rejected, held or reset tick (the saw-tooth came
    // from those), and its speed must settle at 25 yd/s.
    {
        std::normal_distribution<double> read_noise(0.0, 2.0 / 36.0);
        const double x0 = 40.0, y0 = 26.0, vx = -24.0, vy = 7.0;  // |v| = 25 yd/s
        const int64_t throw_us = 1030000, read_period_us = 40000, read_phase_us = 13000;
        auto truth = [&](int64_t t_us, double& x, double& y) {
            const double fly = std::max(0.0, static_cast<double>(t_us - throw_us) * 1e-6);
            x = x0 + vx * fly;
            y = y0 + vy * fly;
        };
        TrackFilter ball(ball_filter_config());
        const FusionConfig fcfg;
        TagRead reads[8];
        ReadVerdict verdicts[8];
        double max_err = 0, max_err_before = 0;
        bool clean = true;
        FilterOutput out{};
        for (int k = 0; k < 25; ++k) {
            const int64_t tick = k * kFrame;
            std::size_t n = 0;
            for (int64_t t = read_phase_us; t <= tick + kFrame; t += read_period_us) {
                if (t <= tick) continue;
                double x, y;
                truth(t, x, y);
                reads[n++] = TagRead{t, 1u, static_cast<float>(x + read_noise(rng)),
                                     static_cast<float>(y + read_noise(rng)), 1.0f, 255};
            }
            const FusedPlayer fp = fuse_ball(reads, n, ball, fcfg, 2.5, verdicts);
            out = ball.step(tick, fp.valid ? &fp.m : nullptr);
            double tx, ty;
            truth(tick, tx, ty);
            const double err = std::hypot(out.x - tx, out.y - ty);
            double& worst = tick < throw_us ? max_err_before : max_err;
            worst = std::max(worst, err);
            if (out.flags & (kFlagRejected | kFlagHeld | kFlagReset)) clean = false;
        }
        CHECK(max_err_before < 0.3);  // the tick before the throw is smoothed with reads after it
        CHECK(max_err < 0.5);
        CHECK(clean);
        CHECK_NEAR(out.s, std::hypot(vx, vy), 1.0);
        CHECK(ball.resets() == 0 && ball.rejected() == 0);
    }

    // Re-acquisition after a gap longer than the hold time (a 2 s packet loss). A player runs at
    // 6 yd/s facing his direction of motion; one filter sees every tick, the other none for 2 s
    // (held, then lost) and then re-acquires him from a shoulder alone. Within 1 s of clean data
    // the two must agree (the ghosts are compared there): the re-acquired track keeps the last
    // orientation for the single-tag offset, as the uninterrupted one holds it, and its velocity
    // comes from the new measurements.
    {
        TrackFilter clean, gapped;
        std::mt19937 gap_rng(11);
        std::normal_distribution<double> gap_noise(0.0, kSigma);
        const double v = 6.0;
        FilterOutput oc{}, og{};
        double worst_after_1s = 0, worst_v_after_1s = 0;
        bool kept_orientation = false;
        for (int k = 0; k < 70; ++k) {
            const int64_t t = k * kFrame;
            const double x = 30 + v * 0.1 * k, y = 20;
            const bool pair = k < 20 || k >= 55;  // one shoulder silent from 2 s to 5.5 s
            Measurement m = meas(t, x + gap_noise(gap_rng), y + gap_noise(gap_rng));
            if (pair) {
                m.has_o = true;
                m.o_deg = 90.0 + 2.0 * gap_noise(gap_rng) / kSigma;
                m.o_var_deg2 = 4.0;
            }
            const bool in_gap = k >= 25 && k < 45;
            oc = clean.step(t, &m);
            og = gapped.step(t, in_gap ? nullptr : &m);
            if (k == 44) CHECK(og.flags & kFlagLost);
            if (k == 45) {
                CHECK(!(og.flags & (kFlagLost | kFlagNoOrientation)));
                kept_orientation = gapped.has_orientation() && std::fabs(wrap_deg_180(og.o - 90.0)) < 5.0;
            }
            if (k >= 45 + 8) {  // the check frame and the two before it
                worst_after_1s = std::max(worst_after_1s, std::hypot(og.x - oc.x, og.y - oc.y));
                worst_v_after_1s = std::max(worst_v_after_1s, std::fabs(og.s - oc.s));
                CHECK_NEAR(og.o, oc.o, 5.0);
            }
        }
        std::printf("re-acquired after 2 s: within %.4f yd / %.3f yd/s of the uninterrupted track after 0.8 s\n",
                    worst_after_1s, worst_v_after_1s);
        CHECK(kept_orientation);
        CHECK(worst_after_1s < 0.01);
        CHECK(worst_v_after_1s < 0.1);
    }

    // A shoulder that comes back after its orientation was held for 2 s: the player turned
    // about (o 0 -> 180) while only his left tag was read, so the held orientation offsets the
    // single-tag centre half a yard the wrong way and predicts the returning right shoulder a
    // yard from where it is. An orientation that uncertain must not gate the returning reads
    // out (that re-acquires the player late, and differently from a track re-acquired after a
    // gap): both shoulders are accepted and give the new orientation at once.
    {
        TrackFilter f;
        FusionConfig fcfg;
        fcfg.single_tag_extra_sigma_yd = 0.05;  // a confident track: its read gate stays under a yard
        TagRead left[3], right[3];
        ReadVerdict vl[3], vr[3];
        FusedPlayer fp{};
        const double cx = 50, cy = 20;
        for (int k = 0; k < 40; ++k) {
            const int64_t tick = k * kFrame;
            const double o = k < 10 ? 0.0 : 180.0;
            double ux, uy;
            right_shoulder_unit(o, ux, uy);
            for (int i = 0; i < 3; ++i) {
                const int64_t t = tick + 20000 + 30000 * i;
                left[i] = TagRead{t, 1u, static_cast<float>(cx - 0.25 * ux), static_cast<float>(cy - 0.25 * uy), 0.f, 255};
                right[i] = TagRead{t, 2u, static_cast<float>(cx + 0.25 * ux), static_cast<float>(cy + 0.25 * uy), 0.f, 255};
            }
            const bool right_silent = k >= 10 && k < 30;
            fp = fuse_player(left, 3, right, right_silent ? 0 : 3, f, fcfg, vl, vr);
            if (k == 30) {
                CHECK(vr[0] == ReadVerdict::kAccepted && vr[1] == ReadVerdict::kAccepted && vr[2] == ReadVerdict::kAccepted);
                CHECK(vl[0] == ReadVerdict::kAccepted);
                CHECK(fp.valid && !fp.single_tag && fp.m.has_o);
                CHECK(fp.m.has_o && std::fabs(wrap_deg_180(fp.m.o_deg - 180.0)) < 1.0);
                CHECK(std::hypot(fp.m.x - cx, fp.m.y - cy) < 0.01);
            }
            f.step(tick, fp.valid ? &fp.m : nullptr);
        }
    }
    // direction_deg (table + polynomial) against the library's atan2 over many magnitudes,
    // both signs, the axes and the diagonals; zeros, infinities and NaN follow the library.
    {
        std::mt19937_64 g(11);
        std::uniform_real_distribution<double> u(-1.0, 1.0), e(-12.0, 4.0);
        double worst = 0;
        auto ref = [](double vx, double vy) { return wrap_deg_360(std::atan2(vx, vy) * 180.0 / kPi); };
        auto diff = [](double a, double b) { const double d = std::fabs(a - b); return std::min(d, 360.0 - d); };
        for (int i = 0; i < 2000000; ++i) {
            double vx = u(g) * std::pow(10.0, e(g)), vy = u(g) * std::pow(10.0, e(g));
            if (i % 5 == 0) vy = vx * (1.0 + 1e-3 * u(g));  // near the diagonals
            if (i % 13 == 0) vx = 1e-9 * u(g) * vy;          // near the axes
            const double d = direction_deg(vx, vy);
            worst = std::max(worst, diff(d, ref(vx, vy)));
            CHECK(d >= 0.0 && d < 360.0);
        }
        std::printf("direction_deg: worst |difference| to atan2 %.3g deg\n", worst);
        CHECK(worst <= 1e-12);
        const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
        for (double vx : {0.0, -0.0, 1.0, -1.0, inf, -inf})
            for (double vy : {0.0, -0.0, 1.0, -1.0, inf, -inf}) {
                const double a = direction_deg(vx, vy), b = ref(vx, vy);
                CHECK(diff(a, b) <= 1e-12);
                CHECK(std::signbit(a) == std::signbit(b));
            }
        CHECK(std::isnan(direction_deg(nan, 1.0)) && std::isnan(direction_deg(1.0, nan)));
        CHECK(direction_deg(1.0, 0.0) == 90.0 && direction_deg(0.0, -1.0) == 180.0 && direction_deg(-1.0, 0.0) == 270.0);
    }

    // wrap_deg_360 / wrap_deg_180 skip fmod for |angle| < 360: the same values as with it.
    {
        for (double d : {-720.5, -360.0, -359.9, -180.0, -1e-300, -0.0, 0.0, 1e-300, 179.9, 180.0, 359.999999, 360.0, 725.25}) {
            double w = std::fmod(d, 360.0);
            if (w < 0) w += 360.0;
            w = w >= 360.0 ? 0.0 : w;
            const double r = wrap_deg_360(d);
            CHECK(r == w && std::signbit(r) == std::signbit(w));
            double v = std::fmod(d + 180.0, 360.0);
            if (v < 0) v += 360.0;
            CHECK(wrap_deg_180(d) == v - 180.0);
        }
        CHECK(std::isnan(wrap_deg_360(std::numeric_limits<double>::quiet_NaN())));
    }
    return check::finish();
}

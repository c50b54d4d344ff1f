// The offline two-sided smoother: it beats the causal filter on a noisy track with a known
// truth (position, speed, orientation across the 0/360 cut), keeps its rejections and flags,
// respects the speed cap, survives empty / one-sample / NaN input, and runs a whole encoded
// capture through decode -> fuse -> causal filter -> smoother.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include "check.hpp"
#include "ghostedge/smoother.hpp"

using namespace ghostedge;

namespace {
constexpr int64_t kFrame = 100000;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Batch {
    std::vector<double> x, y, s, a, dir, o;
    std::vector<uint16_t> flags;
    uint64_t rejected = 0;
    explicit Batch(std::size_t n) : x(n), y(n), s(n), a(n), dir(n), o(n), flags(n) {}
};

// filter_tracks (smoothed = false) or smooth_tracks over T frames of N tracks.
Batch run(bool smoothed, const std::vector<int64_t>& t, std::size_t N, const std::vector<double>& x,
          const std::vector<double>& y, const std::vector<double>* o, double sigma,
          const FilterConfig& cfg = FilterConfig{}) {
    const std::size_t T = t.size();
    Batch b(T * N);
    const double* op = o ? o->data() : nullptr;
    b.rejected = smoothed
        ? smooth_tracks(t.data(), T, N, x.data(), y.data(), op, sigma, 3.0, cfg, SmootherConfig{},
                        b.x.data(), b.y.data(), b.s.data(), b.a.data(), b.dir.data(), b.o.data(), b.flags.data())
        : filter_tracks(t.data(), T, N, x.data(), y.data(), op, sigma, 3.0, cfg,
                        b.x.data(), b.y.data(), b.s.data(), b.a.data(), b.dir.data(), b.o.data(), b.flags.data());
    return b;
}

std::vector<int64_t> frames(std::size_t T) {
    std::vector<int64_t> t(T);
    for (std::size_t k = 0; k < T; ++k) t[k] = 1'600'000'000'000'000 + static_cast<int64_t>(k) * kFrame;
    return t;
}
}  // namespace

int main() {
    std::mt19937 rng(5);

    // A weaving run that speeds up and slows down, with 3 in of noise on the positions and 3 deg
    // on the orientation (turning through the 0/360 cut): position, speed, direction and
    // orientation all closer to the truth than the causal filter's.
    {
        const std::size_t T = 160;
        const double sigma = 3.0 / 36.0;
        std::normal_distribution<double> noise(0.0, sigma), o_noise(0.0, 3.0);
        std::vector<double> tx(T), ty(T), ts(T), tdir(T), to(T), x(T), y(T), o(T);
        double px = 30, py = 20;
        for (std::size_t k = 0; k < T; ++k) {
            const double t = 0.1 * static_cast<double>(k);
            // speed 2 -> 8 yd/s and back to 3; heading weaving +-25 deg around 60 deg
            auto speed = [](double u) { return u < 8 ? 2 + 6 * (1 - std::exp(-u / 1.2)) : 3 + 5 * std::exp(-(u - 8) / 1.5); };
            auto heading = [](double u) { return (60.0 + 25.0 * std::sin(0.6 * u)) * 3.14159265358979 / 180.0; };
            if (k > 0) {
                for (int i = 0; i < 100; ++i) {  // integrate the last 0.1 s in 1 ms steps
                    const double u = t - 0.1 + 0.001 * (i + 0.5);
                    px += 0.001 * speed(u) * std::sin(heading(u));
                    py += 0.001 * speed(u) * std::cos(heading(u));
                }
            }
            tx[k] = px;
            ty[k] = py;
            ts[k] = speed(t);
            tdir[k] = heading(t) * 180.0 / 3.14159265358979;
            to[k] = std::fmod(300.0 + 10.0 * t, 360.0);
            x[k] = tx[k] + noise(rng);
            y[k] = ty[k] + noise(rng);
            o[k] = std::fmod(to[k] + o_noise(rng) + 360.0, 360.0);
        }
        const auto t = frames(T);
        const Batch c = run(false, t, 1, x, y, &o, sigma), s = run(true, t, 1, x, y, &o, sigma);
        double pc = 0, ps = 0, vc = 0, vs = 0, dc = 0, ds = 0, oc = 0, os = 0, raw = 0;
        int n = 0;
        for (std::size_t k = 10; k + 10 < T; ++k) {
            raw += std::pow(x[k] - tx[k], 2) + std::pow(y[k] - ty[k], 2);
            pc += std::pow(c.x[k] - tx[k], 2) + std::pow(c.y[k] - ty[k], 2);
            ps += std::pow(s.x[k] - tx[k], 2) + std::pow(s.y[k] - ty[k], 2);
            vc += std::pow(c.s[k] - ts[k], 2);
            vs += std::pow(s.s[k] - ts[k], 2);
            dc += std::pow(wrap_deg_180(c.dir[k] - tdir[k]), 2);
            ds += std::pow(wrap_deg_180(s.dir[k] - tdir[k]), 2);
            oc += std::pow(wrap_deg_180(c.o[k] - to[k]), 2);
            os += std::pow(wrap_deg_180(s.o[k] - to[k]), 2);
            ++n;
        }
        auto rms = [n](double v) { return std::sqrt(v / n); };
        std::printf("curving run: position rms raw %.4f causal %.4f smoothed %.4f yd; speed %.3f / %.3f yd/s; "
                    "dir %.2f / %.2f deg; o %.2f / %.2f deg\n",
                    rms(raw), rms(pc), rms(ps), rms(vc), rms(vs), rms(dc), rms(ds), rms(oc), rms(os));
        CHECK(rms(ps) < 0.8 * rms(pc));
        CHECK(rms(ps) < 0.7 * rms(raw));
        CHECK(rms(vs) < 0.8 * rms(vc));
        CHECK(rms(ds) < rms(dc));
        CHECK(rms(os) < rms(oc));
        // Orientation output stays in [0, 360) and moves smoothly across the cut.
        double worst_step = 0;
        for (std::size_t k = 0; k < T; ++k) {
            CHECK(s.o[k] >= 0.0 && s.o[k] < 360.0);
            if (k > 2) worst_step = std::max(worst_step, std::fabs(wrap_deg_180(s.o[k] - s.o[k - 1])));
        }
        std::printf("largest orientation step %.2f deg (truth: 1 deg per frame)\n", worst_step);
        CHECK(worst_step < 3.0);
        // Same flags as the causal filter (the speed cap apart), same rejections.
        for (std::size_t k = 0; k < T; ++k) CHECK((c.flags[k] & ~kFlagSpeedCapped) == (s.flags[k] & ~kFlagSpeedCapped));
        CHECK(c.rejected == s.rejected);
    }

    // A 4 yd outlier while running: rejected by the causal pass, and the smoothed track goes
    // straight through it.
    {
        const std::size_t T = 60;
        std::normal_distribution<double> noise(0.0, 0.03);
        std::vector<double> x(T), y(T);
        for (std::size_t k = 0; k < T; ++k) {
            x[k] = 10 + 0.6 * static_cast<double>(k) + noise(rng);
            y[k] = 25 + noise(rng);
        }
        x[30] += 4.0;
        const Batch s = run(true, frames(T), 1, x, y, nullptr, 0.03);
        CHECK(s.rejected == 1);
        CHECK(s.flags[30] & kFlagRejected);
        CHECK(std::fabs(s.x[30] - (10 + 0.6 * 30)) < 0.05);
        CHECK(std::fabs(s.s[30] - 6.0) < 0.2);
    }

    // 14 yd/s: the smoothed speed is capped like the causal one, and flagged.
    {
        const std::size_t T = 40;
        std::vector<double> x(T), y(T, 20.0);
        for (std::size_t k = 0; k < T; ++k) x[k] = 10 + 1.4 * static_cast<double>(k);  // 14 yd/s
        const Batch s = run(true, frames(T), 1, x, y, nullptr, 0.03);
        bool capped = false;
        for (std::size_t k = 0; k < T; ++k) {
            CHECK(!(s.s[k] > FilterConfig{}.max_speed_yps));
            capped = capped || (s.flags[k] & kFlagSpeedCapped);
        }
        CHECK(capped);
        // The ball's own cap (35 yd/s) lets it through.
        const Batch b = run(true, frames(T), 1, x, y, nullptr, 0.03, ball_filter_config());
        CHECK(std::fabs(b.s[T / 2] - 14.0) < 0.5);
    }

    // Empty, one sample, all NaN, a gap held then lost: no crash, the causal filter's flags.
    {
        CHECK(run(true, {}, 3, {}, {}, nullptr, 0.03).rejected == 0);
        CHECK(run(true, frames(4), 0, {}, {}, nullptr, 0.03).rejected == 0);
        const Batch one = run(true, frames(1), 1, {42.0}, {17.0}, nullptr, 0.03);
        CHECK(one.x[0] == 42.0 && one.y[0] == 17.0 && one.s[0] == 0.0);
        CHECK((one.flags[0] & (kFlagNeverSeen | kFlagLost | kFlagHeld)) == 0);
        CHECK(one.flags[0] & kFlagNoOrientation);
        CHECK(std::isnan(one.o[0]));

        const std::vector<double> nan(10, kNaN);
        const Batch none = run(true, frames(10), 1, nan, nan, &nan, 0.03);
        for (std::size_t k = 0; k < 10; ++k) {
            CHECK(none.flags[k] & kFlagNeverSeen);
            CHECK(std::isnan(none.x[k]) && std::isnan(none.s[k]) && std::isnan(none.dir[k]));
        }

        const std::size_t T = 40;
        std::vector<double> x(T), y(T, 20.0), o(T, 90.0);
        for (std::size_t k = 0; k < T; ++k) x[k] = 50 + 0.3 * static_cast<double>(k);
        for (std::size_t k = 10; k < 25; ++k) x[k] = y[k] = o[k] = kNaN;  // 1.5 s without data
        o[3] = kNaN;
        const auto t = frames(T);
        const Batch c = run(false, t, 1, x, y, &o, 0.03), s = run(true, t, 1, x, y, &o, 0.03);
        for (std::size_t k = 0; k < T; ++k) {
            CHECK((c.flags[k] & ~kFlagSpeedCapped) == (s.flags[k] & ~kFlagSpeedCapped));
            CHECK(std::isnan(c.x[k]) == std::isnan(s.x[k]));
            CHECK(std::isnan(c.o[k]) == std::isnan(s.o[k]));
        }
        CHECK((s.flags[12] & kFlagHeld) && !(s.flags[12] & kFlagLost) && std::isfinite(s.x[12]));
        CHECK((s.flags[22] & kFlagLost) && std::isnan(s.x[22]));
        CHECK(std::fabs(s.x[12] - (50 + 0.3 * 12)) < 0.1);  // held, extrapolated at 3 yd/s
        CHECK(std::fabs(s.x[30] - (50 + 0.3 * 30)) < 0.05);  // re-acquired
        CHECK(std::fabs(wrap_deg_180(s.o[3] - 90.0)) < 1.0);  // no shoulder pair: held
    }

    // A whole capture: two players (one running, one standing who loses a tag) and the ball,
    // encoded, decoded, fused, filtered causally and smoothed.
    {
        const TagRegistry reg({{10, 5, TagRole::kLeftShoulder},
                               {11, 5, TagRole::kRightShoulder},
                               {12, 6, TagRole::kLeftShoulder},
                               {13, 6, TagRole::kRightShoulder},
                               {kBallTagId, -1, TagRole::kBall}});
        std::normal_distribution<double> noise(0.0, 2.0 / 36.0);
        const int64_t t0 = 1'600'000'000'000'000;
        const double hw = 0.25;
        auto x5 = [&](int64_t t) {
            const double s = static_cast<double>(t - t0) * 1e-6;
            return 20.0 + 3.0 * s + 0.5 * s * s;  // accelerating along +x, facing +x (o = 90)
        };
        std::vector<uint8_t> stream;
        uint32_t seq = 0;
        for (int64_t pkt = 0; pkt < 200; ++pkt) {
            std::vector<TagRead> reads;
            for (int64_t t = t0 + pkt * 20000 + 1000; t < t0 + (pkt + 1) * 20000; t += 10000) {
                const auto f = [](double v) { return static_cast<float>(v); };
                reads.push_back({t, 10, f(x5(t) + noise(rng)), f(10 + hw + noise(rng)), 1.6f, 200});
                reads.push_back({t + 1, 11, f(x5(t) + noise(rng)), f(10 - hw + noise(rng)), 1.6f, 200});
                reads.push_back({t + 2, 12, f(30 - hw + noise(rng)), f(40 + noise(rng)), 1.6f, 200});
                if (t - t0 < 2'000'000) reads.push_back({t + 3, 13, f(30 + hw + noise(rng)), f(40 + noise(rng)), 1.6f, 200});
                if (pkt == 100 && t == t0 + pkt * 20000 + 1000) reads.back().x += 3.0f;  // an outlier read
                reads.push_back({t + 4, kBallTagId, f(x5(t)), f(10), 1.0f, 200});
            }
            CHECK(encode_packet(seq++, t0 + (pkt + 1) * 20000, reads.data(), reads.size(), stream).ok());
        }
        stream.insert(stream.begin() + 5000, 37, 0xAB);  // damage: skipped and counted
        const std::vector<int64_t> ticks = tick_grid(t0, t0 + 3'900'000, 10.0);
        CHECK(ticks.size() == 40 && ticks.front() == t0 && ticks[1] - ticks[0] == kFrame);
        const std::size_t T = ticks.size(), rows = 3;
        std::vector<double> x(T * rows), y(T * rows), s(T * rows), a(T * rows), dir(T * rows), o(T * rows),
            cx(T * rows), cy(T * rows), rx(T * rows), ry(T * rows);
        std::vector<uint16_t> flags(T * rows), cflags(T * rows);
        std::vector<int64_t> rt(T * rows);
        CaptureOutputs out;
        out.x = x.data(); out.y = y.data(); out.s = s.data(); out.a = a.data(); out.dir = dir.data();
        out.o = o.data(); out.flags = flags.data(); out.raw_x = rx.data(); out.raw_y = ry.data();
        out.raw_time_us = rt.data(); out.causal_x = cx.data(); out.causal_y = cy.data();
        out.causal_flags = cflags.data();
        CaptureSmoother cs(reg);
        cs.load(stream.data(), stream.size());
        CHECK(cs.decode_stats().bytes_skipped >= 37 && cs.decode_stats().packets_ok >= 199);
        cs.run(ticks.data(), T, out);
        CHECK(cs.counters().ticks == T && cs.counters().reads_late == 0);
        CHECK(cs.counters().reads_gated >= 1 && !cs.rejected_reads().empty());
        double ec = 0, es = 0;
        int n = 0;
        for (std::size_t i = 5; i + 2 < T; ++i) {
            const double tx = x5(ticks[i]);
            ec += std::pow(cx[i * rows] - tx, 2) + std::pow(cy[i * rows] - 10, 2);
            es += std::pow(x[i * rows] - tx, 2) + std::pow(y[i * rows] - 10, 2);
            ++n;
            CHECK((flags[i * rows] & ~kFlagSpeedCapped) == (cflags[i * rows] & ~kFlagSpeedCapped));
            CHECK(std::fabs(wrap_deg_180(o[i * rows] - 90.0)) < 5.0);
            CHECK(std::fabs(y[i * rows + 1] - 40.0) < 0.05);  // the standing player, single tag after 2 s
        }
        std::printf("capture: running player rms causal %.4f smoothed %.4f yd\n", std::sqrt(ec / n), std::sqrt(es / n));
        CHECK(es < 0.7 * ec);
        CHECK(flags[30 * rows + 1] & kFlagSingleTag);
        // Run again: the same frames.
        std::vector<double> x2 = x;
        cs.run(ticks.data(), T, out);
        CHECK(x == x2);
        // Tick times must increase.
        std::vector<int64_t> bad = {t0, t0};
        bool threw = false;
        try {
            cs.run(bad.data(), bad.size(), out);
        } catch (const std::invalid_argument&) {
            threw = true;
        }
        CHECK(threw);
        // An empty capture: every row never seen.
        const uint8_t nothing = 0;
        cs.load(&nothing, 0);
        cs.run(ticks.data(), 3, out);
        CHECK((flags[0] & kFlagNeverSeen) && std::isnan(x[0]));
    }
    return check::finish();
}

// Composite metric on hand-computed trajectories: each term, signs, speed penalty, batch ==
// incremental == live, bit for bit.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "check.hpp"
#include "ghostedge/metric.hpp"

using ghostedge::MetricAccumulator;
using ghostedge::MetricParams;
using ghostedge::MetricValue;

namespace {
// Straight line at constant velocity, n_frames points, dt 0.1 s.
std::vector<double> line(double x0, double y0, double vx, double vy, std::size_t n_frames) {
    std::vector<double> xy(2 * n_frames);
    for (std::size_t t = 0; t < n_frames; ++t) {
        xy[2 * t] = x0 + vx * 0.1 * static_cast<double>(t);
        xy[2 * t + 1] = y0 + vy * 0.1 * static_cast<double>(t);
    }
    return xy;
}

MetricValue score(const std::vector<double>& d, const std::vector<double>& r) {
    MetricValue v{};
    ghostedge::metric_batch(d.data(), r.data(), 1, d.size() / 2, nullptr, MetricParams{}, &v);
    return v;
}
}  // namespace

int main() {
    const MetricParams p;
    CHECK(std::strlen(ghostedge::metric_params_error(p)) == 0);
    MetricParams bad;
    bad.dt = 0.0;
    CHECK(std::strlen(ghostedge::metric_params_error(bad)) > 0);

    {
        MetricParams q;
        q.reaction_time = 0.0;
        CHECK(std::strlen(ghostedge::metric_params_error(q)) > 0);
        q = MetricParams{};
        q.relevance_range = -1.0;
        CHECK(std::strlen(ghostedge::metric_params_error(q)) > 0);
        q = MetricParams{};
        q.proximity_weight = -1.0;
        CHECK(std::strlen(ghostedge::metric_params_error(q)) > 0);
    }

    // Hand-computed cases. Frame k weighs rho^k, rho = exp(-dt / reaction_time) = exp(-1/3).
    const double rho = std::exp(-1.0 / 3.0);
    double wsum = 0.0, wk_sum = 0.0;  // sum rho^k and sum k rho^k over k = 1..10
    for (int k = 1; k <= 10; ++k) {
        wsum += std::pow(rho, k);
        wk_sum += k * std::pow(rho, k);
    }
    const auto receiver = line(50.0, 20.0, 0.0, 0.0, 11);  // standing receiver
    {  // running at the receiver at 8 yd/s from 10 yd: closes 0.8 yd per frame
        const auto v = score(line(40.0, 20.0, 8.0, 0.0, 11), receiver);
        CHECK(v.value < score(line(40.0, 20.0, 0.0, 0.0, 11), receiver).value);  // better than standing
        CHECK_NEAR(v.closing, -8.0 / 11.0, 1e-12);  // the same closing speed at every frame
        CHECK_NEAR(v.misdirection, 0.0, 1e-12);     // all of his relative motion closes
        // separation 10 - 0.8 k, in units of the top-speed distance of the flight (11 yd)
        CHECK_NEAR(v.proximity, (10.0 * (1.0 + wsum) - 0.8 * wk_sum) / (11.0 * (1.0 + wsum)), 1e-12);
        CHECK_NEAR(v.effort, 0.25 * (1.0 - 8.0 / 11.0), 1e-12);
        CHECK(v.speed_penalty == 0.0);
        CHECK_NEAR(v.relevance, std::exp(-10.0 / (0.5 * 11.0)), 1e-12);
        CHECK_NEAR(v.value, v.closing + v.misdirection + v.proximity + v.effort, 1e-12);
    }
    {  // running away at 8 yd/s: the same closing speed, opposite sign, and all of it misdirected
        const auto v = score(line(40.0, 20.0, -8.0, 0.0, 11), receiver);
        CHECK(v.value > score(line(40.0, 20.0, 0.0, 0.0, 11), receiver).value);  // worse than standing
        CHECK_NEAR(v.closing, 8.0 / 11.0, 1e-12);
        CHECK_NEAR(v.misdirection, 8.0 / 11.0, 1e-12);
        CHECK_NEAR(v.proximity, (10.0 * (1.0 + wsum) + 0.8 * wk_sum) / (11.0 * (1.0 + wsum)), 1e-12);
    }
    {  // one step across the line of sight, 5 yd from the receiver: half of it misdirected
        const auto v = score(line(45.0, 20.0, 0.0, 8.0, 2), line(50.0, 20.0, 0.0, 0.0, 2));
        const double sep1 = std::hypot(5.0, 0.8);
        CHECK_NEAR(v.closing, (sep1 - 5.0) / 1.1, 1e-12);
        CHECK_NEAR(v.misdirection, 0.4 / 1.1, 1e-12);
        CHECK_NEAR(v.proximity, (5.0 + rho * sep1) / (1.1 * (1.0 + rho)), 1e-12);
        CHECK_NEAR(v.relevance, std::exp(-5.0 / (0.5 * 1.1)), 1e-12);
    }
    {  // standing still 5 yd from a standing receiver: effort charge plus proximity 5 / 11
        const auto v = score(line(45.0, 20.0, 0.0, 0.0, 11), receiver);
        CHECK_NEAR(v.closing, 0.0, 1e-12);
        CHECK_NEAR(v.misdirection, 0.0, 1e-12);
        CHECK_NEAR(v.value, 0.25 + 5.0 / 11.0, 1e-12);
    }
    {  // in contact (no line of sight), then moving 0.5 yd: the step counts half
        const auto v = score(line(50.0, 20.0, 5.0, 0.0, 2), line(50.0, 20.0, 0.0, 0.0, 2));
        CHECK_NEAR(v.misdirection, 0.25 / 1.1, 1e-12);
    }
    {  // 20 yd/s at the receiver from 30 yd: penalised, and worse than 12.5 yd/s
        const auto fast = score(line(20.0, 20.0, 20.0, 0.0, 11), receiver);
        const auto limit = score(line(20.0, 20.0, 12.5, 0.0, 11), receiver);
        CHECK(fast.speed_penalty > 0.0);
        CHECK_NEAR(fast.speed_penalty, 2.0 * (20.0 - 12.5) * 1.0 / 11.0, 1e-9);
        CHECK(limit.speed_penalty == 0.0);
        CHECK(fast.value > limit.value);
    }
    {  // batch over K rows with different lengths == incremental, bit for bit
        const std::size_t k = 4, n = 13;
        std::vector<double> d(k * n * 2), r(k * n * 2);
        std::uint64_t state = 12345;
        auto rnd = [&state]() {  // small LCG: deterministic, no <random> distribution differences
            state = state * 6364136223846793005ULL + 1442695040888963407ULL;
            return static_cast<double>(state >> 11) / 9007199254740992.0;
        };
        for (std::size_t i = 0; i < d.size(); ++i) {
            d[i] = 30.0 + 3.0 * rnd() + static_cast<double>(i % 26) * 0.4;
            r[i] = 35.0 + 2.0 * rnd() + static_cast<double>(i % 26) * 0.5;
        }
        const std::int64_t lengths[k] = {13, 7, 2, 1};
        std::vector<MetricValue> out(k);
        ghostedge::metric_batch(d.data(), r.data(), k, n, lengths, p, out.data());
        for (std::size_t i = 0; i < k; ++i) {
            MetricAccumulator acc(p);
            double last = std::nan("");
            for (std::int64_t t = 0; t < lengths[i]; ++t) {
                const std::size_t o = (i * n + static_cast<std::size_t>(t)) * 2;
                last = acc.push(d[o], d[o + 1], r[o], r[o + 1]);
            }
            if (lengths[i] < 2) {
                CHECK(std::isnan(out[i].value));
                CHECK(std::isnan(last));
            } else {
                CHECK(std::memcmp(&last, &out[i].value, sizeof(double)) == 0);
                const MetricValue c = acc.current();
                CHECK(std::memcmp(&c, &out[i], sizeof(MetricValue)) == 0);
            }
        }
        // Length beyond the row is clamped to the row.
        const std::int64_t too_long[1] = {1000};
        MetricValue clamped{}, full{};
        ghostedge::metric_batch(d.data(), r.data(), 1, n, too_long, p, &clamped);
        ghostedge::metric_batch(d.data(), r.data(), 1, n, nullptr, p, &full);
        CHECK(std::memcmp(&clamped, &full, sizeof(MetricValue)) == 0);
    }
    {  // a NaN frame makes the trajectory NaN; reset() recovers
        MetricAccumulator acc(p);
        acc.push(40.0, 20.0, 50.0, 20.0);
        CHECK(std::isnan(acc.push(std::nan(""), 20.0, 50.0, 20.0)));
        CHECK(std::isnan(acc.push(41.0, 20.0, 50.0, 20.0)));
        CHECK(!acc.valid());
        acc.reset();
        acc.push(40.0, 20.0, 50.0, 20.0);
        CHECK(std::isfinite(acc.push(41.0, 20.0, 50.0, 20.0)));
    }
    {  // the live form equals metric_batch on the paths it builds (start + ghost, receiver
       // extrapolated at constant velocity), bit for bit; a NaN ghost gives NaN
        constexpr std::size_t nd = 2, nr = 3, h = 6;
        const double start[nd * 2] = {40.0, 20.0, 35.0, 30.0};
        const double rxy[nr * 2] = {50.0, 20.0, 45.0, 12.0, 30.0, 40.0};
        const double rvel[nr * 2] = {3.0, -1.0, 0.0, 7.5, -2.0, 0.5};
        std::vector<double> mean(nd * nr * h * 2);
        for (std::size_t i = 0; i < mean.size(); ++i)
            mean[i] = start[(i / (nr * h * 2)) * 2 + i % 2] + 0.7 * static_cast<double>((i / 2) % h + 1);
        mean[(1 * nr + 2) * h * 2 + 5] = std::nan("");
        const double step_dt = 0.1;
        double live[nd * nr];
        ghostedge::metric_ghosts(start, mean.data(), nd, nr, h, rxy, rvel, step_dt, p, live);
        for (std::size_t d = 0; d < nd; ++d) {
            for (std::size_t r = 0; r < nr; ++r) {
                std::vector<double> dp((h + 1) * 2), rp((h + 1) * 2);
                for (std::size_t k = 0; k <= h; ++k) {
                    const double* g = k == 0 ? start + 2 * d : &mean[((d * nr + r) * h + k - 1) * 2];
                    dp[2 * k] = g[0];
                    dp[2 * k + 1] = g[1];
                    const double s = static_cast<double>(k) * step_dt;
                    rp[2 * k] = rxy[2 * r] + s * rvel[2 * r];
                    rp[2 * k + 1] = rxy[2 * r + 1] + s * rvel[2 * r + 1];
                }
                MetricValue batch{};
                ghostedge::metric_batch(dp.data(), rp.data(), 1, h + 1, nullptr, p, &batch);
                const double got = live[d * nr + r];
                if (d == 1 && r == 2) {
                    CHECK(std::isnan(got) && std::isnan(batch.value));
                } else {
                    CHECK(std::isfinite(got));
                    CHECK(std::memcmp(&got, &batch.value, sizeof(double)) == 0);
                }
            }
        }
    }
    return check::finish();
}

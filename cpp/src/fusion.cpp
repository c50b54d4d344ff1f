#include "ghostedge/fusion.hpp"

#include <algorithm>
#include <cmath>

namespace ghostedge {

namespace {
constexpr double kPi = 3.14159265358979323846;
constexpr double kDegToRad = kPi / 180.0;
constexpr double kRadToDeg = 180.0 / kPi;
constexpr double kFieldLengthYd = kFieldLength;
constexpr double kFieldWidthYd = kFieldWidth;
// How far the gate may widen with the track's own position uncertainty (in sigmas).
constexpr double kGateSigmas = 4.0;
// Shoulder reads are gated at their predicted spot while the orientation sigma is under 90 deg;
// beyond it (an orientation held ~0.45 s since its last measurement, or kept through a
// re-acquisition) around the centre, half a shoulder wider. 30 deg is reached between ordinary
// ticks and measured worse (docs/filtering.md).
constexpr double kMaxGateOrientationVarDeg2 = 90.0 * 90.0;
// Acquiring the ball: it can move 2-3 yd within one tick, so the median test is looser.
constexpr double kBallAcquireGateYd = 3.0;
// The ball's read gate is wide (it must let a throw through), so ball reads that passed it are
// also checked against each other: each read's offset from the track's prediction at its own
// blink time. Good reads share the track's error (position, and velocity * blink spread of
// <= 0.1 s), an outlier (1-5 yd) does not.
constexpr double kBallConsistencyYd = 1.0;

bool on_field(const TagRead& r, double margin) {
    return r.x >= -margin && r.x <= kFieldLengthYd + margin && r.y >= -margin &&
           r.y <= kFieldWidthYd + margin;
}

double median_of(double* v, std::size_t n) {
    std::nth_element(v, v + n / 2, v + n);
    double m = v[n / 2];
    if (n % 2 == 0) m = 0.5 * (m + *std::max_element(v, v + n / 2));
    return m;
}

struct Mean {
    std::size_t n = 0;
    int64_t t0 = 0;
    double sx = 0, sy = 0, st = 0;
    void add(const TagRead& r) {
        if (n == 0) t0 = r.time_us;
        ++n;
        sx += r.x;
        sy += r.y;
        st += static_cast<double>(r.time_us - t0);
    }
    double x() const { return sx / static_cast<double>(n); }
    double y() const { return sy / static_cast<double>(n); }
    int64_t t() const { return t0 + static_cast<int64_t>(std::llround(st / static_cast<double>(n))); }
};

// Verdicts for reads of one group against a predicted spot (track) or, without a track,
// against the median of `pool` (all of the object's candidate reads this tick).
void gate_group(const TagRead* r, std::size_t n, double side, bool is_ball,
                const TrackFilter& track, const FusionConfig& cfg, double base_gate,
                double acquire_gate, double med_x, double med_y, ReadVerdict* verdict) {
    for (std::size_t i = 0; i < n; ++i) {
        if (!is_ball && !on_field(r[i], cfg.field_margin_yd)) {
            verdict[i] = ReadVerdict::kOffField;
            continue;
        }
        double px = med_x, py = med_y, gate = acquire_gate;
        if (track.tracking()) {
            track.predict_position(r[i].time_us, px, py);
            gate = base_gate +
                   std::min(cfg.read_gate_max_extra_yd, kGateSigmas * track.position_sigma_at(r[i].time_us));
            if (side != 0.0) {
                // An orientation held while a shoulder was silent (or kept through a
                // re-acquisition) may be far off by now: gate around the centre instead.
                if (track.has_orientation() &&
                    track.orientation_var_at(r[i].time_us) <= kMaxGateOrientationVarDeg2) {
                    double ux, uy;
                    right_shoulder_unit(track.orientation_deg(), ux, uy);
                    px += side * cfg.shoulder_half_width_yd * ux;
                    py += side * cfg.shoulder_half_width_yd * uy;
                } else {
                    gate += cfg.shoulder_half_width_yd;
                }
            }
        }
        const double dx = r[i].x - px, dy = r[i].y - py;
        verdict[i] = dx * dx + dy * dy <= gate * gate ? ReadVerdict::kAccepted : ReadVerdict::kGated;
    }
}

// Coordinate-wise median of the on-field reads of up to two groups.
bool pool_median(const TagRead* a, std::size_t na, const TagRead* b, std::size_t nb, bool is_ball,
                 double margin, double& mx, double& my) {
    double xs[2 * kMaxReadsPerTagPerTick], ys[2 * kMaxReadsPerTagPerTick];
    std::size_t k = 0;
    for (const TagRead* g : {a, b}) {
        const std::size_t n = std::min(g == a ? na : nb, kMaxReadsPerTagPerTick);
        for (std::size_t i = 0; i < n; ++i) {
            if (!is_ball && !on_field(g[i], margin)) continue;
            xs[k] = g[i].x;
            ys[k] = g[i].y;
            ++k;
        }
    }
    if (k == 0) return false;
    mx = median_of(xs, k);
    my = median_of(ys, k);
    return true;
}
// Among the ball reads accepted by the gate, rejects those whose offset from the prediction
// is more than kBallConsistencyYd from the median offset (needs 3+ reads for a majority).
void reject_inconsistent_ball_reads(const TagRead* reads, std::size_t n, const TrackFilter& track,
                                    ReadVerdict* verdict) {
    double ox[kMaxReadsPerTagPerTick], oy[kMaxReadsPerTagPerTick];
    std::size_t idx[kMaxReadsPerTagPerTick];
    std::size_t k = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (verdict[i] != ReadVerdict::kAccepted) continue;
        double px, py;
        track.predict_position(reads[i].time_us, px, py);
        ox[k] = reads[i].x - px;
        oy[k] = reads[i].y - py;
        idx[k++] = i;
    }
    if (k < 3) return;  // two reads that disagree: no majority to tell which one is wrong
    const double lim2 = kBallConsistencyYd * kBallConsistencyYd;
    double sx[kMaxReadsPerTagPerTick] = {}, sy[kMaxReadsPerTagPerTick] = {};
    std::copy(ox, ox + k, sx);
    std::copy(oy, oy + k, sy);
    const double mx = median_of(sx, k), my = median_of(sy, k);
    for (std::size_t j = 0; j < k; ++j) {
        const double dx = ox[j] - mx, dy = oy[j] - my;
        if (dx * dx + dy * dy > lim2) verdict[idx[j]] = ReadVerdict::kGated;
    }
}
}  // namespace

void right_shoulder_unit(double o_deg, double& ux, double& uy) noexcept {
    const double o = o_deg * kDegToRad;
    ux = std::cos(o);
    uy = -std::sin(o);
}

double orientation_from_shoulders(double dx, double dy) noexcept {
    return wrap_deg_360(std::atan2(-dy, dx) * kRadToDeg);
}

FusedPlayer fuse_player(const TagRead* left, std::size_t n_left, const TagRead* right,
                        std::size_t n_right, const TrackFilter& track, const FusionConfig& cfg,
                        ReadVerdict* verdict_left, ReadVerdict* verdict_right) noexcept {
    n_left = std::min(n_left, kMaxReadsPerTagPerTick);
    n_right = std::min(n_right, kMaxReadsPerTagPerTick);
    FusedPlayer out;
    double mx = 0, my = 0;
    if (!track.tracking()) pool_median(left, n_left, right, n_right, false, cfg.field_margin_yd, mx, my);
    gate_group(left, n_left, -1.0, false, track, cfg, cfg.read_gate_yd, cfg.acquire_gate_yd, mx, my, verdict_left);
    gate_group(right, n_right, +1.0, false, track, cfg, cfg.read_gate_yd, cfg.acquire_gate_yd, mx, my, verdict_right);

    Mean ml, mr;
    for (std::size_t i = 0; i < n_left; ++i)
        if (verdict_left[i] == ReadVerdict::kAccepted) ml.add(left[i]);
    for (std::size_t i = 0; i < n_right; ++i)
        if (verdict_right[i] == ReadVerdict::kAccepted) mr.add(right[i]);
    out.n_accepted = static_cast<uint16_t>(ml.n + mr.n);
    out.n_rejected = static_cast<uint16_t>(n_left + n_right - ml.n - mr.n);
    if (ml.n + mr.n == 0) return out;

    const double var_read = cfg.read_sigma_yd * cfg.read_sigma_yd;
    const double vx = track.tracking() ? track.vx() : 0.0, vy = track.tracking() ? track.vy() : 0.0;
    out.valid = true;
    Measurement& m = out.m;
    m.has_o = false;
    m.o_deg = 0;
    m.o_var_deg2 = 0;
    if (ml.n > 0 && mr.n > 0) {
        // The two shoulders' mean blink times differ: move both to their common mean time.
        const int64_t tl = ml.t(), tr = mr.t();
        m.time_us = tl + (tr - tl) / 2;
        const double dtl = static_cast<double>(m.time_us - tl) * 1e-6;
        const double dtr = static_cast<double>(m.time_us - tr) * 1e-6;
        const double lx = ml.x() + vx * dtl, ly = ml.y() + vy * dtl;
        const double rx = mr.x() + vx * dtr, ry = mr.y() + vy * dtr;
        m.x = 0.5 * (lx + rx);
        m.y = 0.5 * (ly + ry);
        const double inv_n = 1.0 / static_cast<double>(ml.n) + 1.0 / static_cast<double>(mr.n);
        m.var_yd2 = 0.25 * var_read * inv_n;
        const double sep = std::hypot(rx - lx, ry - ly);
        if (sep >= cfg.min_shoulder_sep_yd && sep <= cfg.max_shoulder_sep_yd) {
            m.has_o = true;
            m.o_deg = orientation_from_shoulders(rx - lx, ry - ly);
            const double sigma_rad = std::sqrt(var_read * inv_n) / sep;
            m.o_var_deg2 = (sigma_rad * kRadToDeg) * (sigma_rad * kRadToDeg);
        }
    } else {
        // One shoulder only: step half a shoulder width toward the centre along the last
        // known orientation (no orientation yet: the tag itself, with a larger variance).
        out.single_tag = true;
        const Mean& one = ml.n > 0 ? ml : mr;
        const double side = ml.n > 0 ? -1.0 : 1.0;
        m.time_us = one.t();
        m.x = one.x();
        m.y = one.y();
        double extra = cfg.single_tag_extra_sigma_yd;
        if (track.has_orientation()) {
            double ux, uy;
            right_shoulder_unit(track.orientation_deg(), ux, uy);
            m.x -= side * cfg.shoulder_half_width_yd * ux;
            m.y -= side * cfg.shoulder_half_width_yd * uy;
        } else {
            extra = std::max(extra, cfg.shoulder_half_width_yd);
        }
        m.var_yd2 = var_read / static_cast<double>(one.n) + extra * extra;
    }
    return out;
}

FusedPlayer fuse_ball(const TagRead* reads, std::size_t n, const TrackFilter& track,
                      const FusionConfig& cfg, double ball_read_gate_yd,
                      ReadVerdict* verdict) noexcept {
    n = std::min(n, kMaxReadsPerTagPerTick);
    FusedPlayer out;
    double mx = 0, my = 0;
    if (!track.tracking()) pool_median(reads, n, nullptr, 0, true, 0.0, mx, my);
    gate_group(reads, n, 0.0, true, track, cfg, ball_read_gate_yd, kBallAcquireGateYd, mx, my, verdict);
    if (track.tracking()) reject_inconsistent_ball_reads(reads, n, track, verdict);
    Mean mean;
    for (std::size_t i = 0; i < n; ++i)
        if (verdict[i] == ReadVerdict::kAccepted) mean.add(reads[i]);
    out.n_accepted = static_cast<uint16_t>(mean.n);
    out.n_rejected = static_cast<uint16_t>(n - mean.n);
    if (mean.n == 0) return out;
    out.valid = true;
    out.m = Measurement{mean.t(), mean.x(), mean.y(),
                        cfg.read_sigma_yd * cfg.read_sigma_yd / static_cast<double>(mean.n),
                        false, 0.0, 0.0};
    return out;
}

}  // namespace ghostedge

#include "ghostedge/smoother.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

namespace ghostedge {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double seconds(int64_t dt_us) { return static_cast<double>(dt_us) * 1e-6; }

// Inverse of a symmetric 2x2 matrix; zero (no smoothing through it) if singular.
void invert2(const double A[2][2], double out[2][2]) {
    const double det = A[0][0] * A[1][1] - A[0][1] * A[1][0];
    if (!(std::fabs(det) > 1e-300)) {
        out[0][0] = out[0][1] = out[1][0] = out[1][1] = 0.0;
        return;
    }
    const double inv = 1.0 / det;
    out[0][0] = A[1][1] * inv;
    out[0][1] = -A[0][1] * inv;
    out[1][0] = -A[1][0] * inv;
    out[1][1] = A[0][0] * inv;
}

// Rauch-Tung-Striebel gain of the constant-rate orientation model: Po_t F(dt)' Po_next^-1.
void rts_gain2(const double Po[2][2], double dt, const double Pn_inv[2][2], double C[2][2]) {
    const double PFt[2][2] = {{Po[0][0] + Po[0][1] * dt, Po[0][1]},
                              {Po[1][0] + Po[1][1] * dt, Po[1][1]}};
    for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 2; ++j) C[i][j] = PFt[i][0] * Pn_inv[0][j] + PFt[i][1] * Pn_inv[1][j];
}
}  // namespace

// ---------------------------------------------------------------- one track

TrackSmoother::TrackSmoother(const FilterConfig& filter, const SmootherConfig& smoother)
    : cfg_(filter) {
    const double jerk = filter.is_ball ? smoother.ball_jerk_psd : smoother.player_jerk_psd;
    jerk_psd_ = jerk > 0.0 ? jerk : filter.jerk_psd;
    orientation_rate_psd_ = smoother.orientation_rate_psd > 0.0 ? smoother.orientation_rate_psd
                                                                : filter.orientation_rate_psd;
}

void TrackSmoother::clear() noexcept {
    ticks_.clear();
    nodes_.clear();
    segment_first_.clear();
    segment_start_.clear();
}

void TrackSmoother::record(int64_t tick_time_us, const TrackFilter& filter, uint16_t flags) {
    const StepRecord& r = filter.last_step();
    if (r.started) {
        segment_first_.push_back(nodes_.size());
        segment_start_.push_back(filter.state());
    }
    if (r.updated) nodes_.push_back(Node{r.m, r.o_updated});
    const bool estimate = (flags & (kFlagLost | kFlagNeverSeen)) == 0 && !segment_first_.empty();
    ticks_.push_back(Tick{tick_time_us, flags,
                          estimate ? static_cast<int32_t>(segment_first_.size() - 1) : -1});
}

void TrackSmoother::smooth(FilterOutput* out) {
    const std::size_t n = nodes_.size(), n_segments = segment_first_.size();
    post_.resize(n);
    prior_.resize(n);
    smoothed_.resize(n);
    ProcessNoise node_noise(jerk_psd_, orientation_rate_psd_);
    ProcessNoise tick_noise(jerk_psd_, orientation_rate_psd_);
    auto segment_end = [&](std::size_t g) { return g + 1 < n_segments ? segment_first_[g + 1] : n; };

    for (std::size_t g = 0; g < n_segments; ++g) {
        const std::size_t first = segment_first_[g], end = segment_end(g);
        // Forward: the causal filter's state at the segment's first measurement, then a plain
        // Kalman filter over the measurements it accepted (no gating: that is decided).
        TrackState s = segment_start_[g];
        post_[first] = s;
        prior_[first].has_o = false;
        for (std::size_t j = first + 1; j < end; ++j) {
            const Measurement& m = nodes_[j].m;
            predict_state(s, m.time_us, node_noise);
            Prior& pr = prior_[j];
            std::copy(s.x, s.x + 3, pr.x);
            std::copy(s.y, s.y + 3, pr.y);
            if (!invert3(s.P, pr.P_inv))
                for (auto& row : pr.P_inv) std::fill(row, row + 3, 0.0);  // no smoothing through it
            pr.has_o = s.has_o;
            if (s.has_o) {
                pr.o[0] = s.o[0];
                pr.o[1] = s.o[1];
                invert2(s.Po, pr.Po_inv);
            }
            update_position(s, m.x, m.y, m.var_yd2);
            if (nodes_[j].o_used) {
                // Orientation stays continuous (unwrapped) along the segment: innovations are
                // wrapped, the angle is not, so the backward pass can difference it.
                if (!s.has_o) start_orientation(s, m.o_deg, m.o_var_deg2);
                else update_orientation(s, wrap_deg_180(m.o_deg - s.o[0]), m.o_var_deg2);
            }
            post_[j] = s;
        }
        // Backward (Rauch-Tung-Striebel).
        Smoothed& last = smoothed_[end - 1];
        std::copy(s.x, s.x + 3, last.x);
        std::copy(s.y, s.y + 3, last.y);
        last.o[0] = s.has_o ? s.o[0] : kNaN;
        last.o[1] = s.has_o ? s.o[1] : kNaN;
        for (std::size_t j = end - 1; j-- > first;) {
            const TrackState& p = post_[j];
            const Prior& pn = prior_[j + 1];
            const Smoothed& sn = smoothed_[j + 1];
            Smoothed& sm = smoothed_[j];
            const double dt = seconds(nodes_[j + 1].m.time_us - p.time_us);
            double C[3][3];
            rts_gain(p.P, dt, pn.P_inv, C);
            for (int i = 0; i < 3; ++i) {
                double ax = 0, ay = 0;
                for (int k = 0; k < 3; ++k) {
                    ax += C[i][k] * (sn.x[k] - pn.x[k]);
                    ay += C[i][k] * (sn.y[k] - pn.y[k]);
                }
                sm.x[i] = p.x[i] + ax;
                sm.y[i] = p.y[i] + ay;
            }
            if (p.has_o) {  // then the next node has a prior orientation too
                double Co[2][2];
                rts_gain2(p.Po, dt, pn.Po_inv, Co);
                const double d0 = sn.o[0] - pn.o[0], d1 = sn.o[1] - pn.o[1];
                sm.o[0] = p.o[0] + Co[0][0] * d0 + Co[0][1] * d1;
                sm.o[1] = p.o[1] + Co[1][0] * d0 + Co[1][1] * d1;
            } else {
                sm.o[0] = sm.o[1] = kNaN;
            }
        }
    }

    // Estimates at the ticks from the nodes around each.
    std::size_t seg = static_cast<std::size_t>(-1), first = 0, end = 0, first_o = 0, j = 0;
    for (std::size_t i = 0; i < ticks_.size(); ++i) {
        const Tick& tk = ticks_[i];
        FilterOutput& o = out[i];
        o = FilterOutput{kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, tk.flags};
        if (tk.segment < 0) continue;  // the causal filter had nothing either
        if (static_cast<std::size_t>(tk.segment) != seg) {
            seg = static_cast<std::size_t>(tk.segment);
            first = segment_first_[seg];
            end = segment_end(seg);
            first_o = first;
            while (first_o < end && !post_[first_o].has_o) ++first_o;
            j = first;
        }
        const int64_t t = tk.time_us;
        while (j + 1 < end && nodes_[j + 1].m.time_us <= t) ++j;
        const bool before_first = nodes_[first].m.time_us > t;
        const bool between = !before_first && j + 1 < end && nodes_[j].m.time_us < t;
        double sx[3], sy[3], o_deg = kNaN;
        TrackState at_t;  // filtered state predicted to t (between nodes only)
        if (between) {
            // RTS from the filtered state predicted to the tick and the smoothed next node.
            at_t = post_[j];
            predict_state(at_t, t, tick_noise);
            const Prior& pn = prior_[j + 1];
            const Smoothed& sn = smoothed_[j + 1];
            const double dt = seconds(nodes_[j + 1].m.time_us - t);
            double C[3][3];
            rts_gain(at_t.P, dt, pn.P_inv, C);
            for (int r = 0; r < 3; ++r) {
                double ax = 0, ay = 0;
                for (int k = 0; k < 3; ++k) {
                    ax += C[r][k] * (sn.x[k] - pn.x[k]);
                    ay += C[r][k] * (sn.y[k] - pn.y[k]);
                }
                sx[r] = at_t.x[r] + ax;
                sy[r] = at_t.y[r] + ay;
            }
            if (at_t.has_o) {
                double Co[2][2];
                rts_gain2(at_t.Po, dt, pn.Po_inv, Co);
                o_deg = at_t.o[0] + Co[0][0] * (sn.o[0] - pn.o[0]) + Co[0][1] * (sn.o[1] - pn.o[1]);
            }
        } else {
            // At a node, or beyond the segment's first / last one: the smoothed node moved to
            // the tick by the model (a tick before the first measurement of a re-acquired track,
            // or held after its last one).
            const std::size_t k = before_first ? first : j;
            TrackState node;
            node.time_us = nodes_[k].m.time_us;
            std::copy(smoothed_[k].x, smoothed_[k].x + 3, node.x);
            std::copy(smoothed_[k].y, smoothed_[k].y + 3, node.y);
            predict_mean(node, t, sx, sy);
            if (k >= first_o) o_deg = smoothed_[k].o[0];  // held after the last one, as live
        }
        if (!(o_deg == o_deg) && first_o < end && t < nodes_[first_o].m.time_us) {
            // Before the segment's first orientation: back from it at its smoothed rate.
            o_deg = smoothed_[first_o].o[0] + smoothed_[first_o].o[1] * seconds(t - nodes_[first_o].m.time_us);
        }
        o.flags = static_cast<uint16_t>(tk.flags & ~kFlagSpeedCapped);
        write_kinematics(sx, sy, cfg_.max_speed_yps, -1.0, o);
        if ((tk.flags & kFlagNoOrientation) == 0 && o_deg == o_deg) {
            o.o = wrap_deg_360(o_deg);
        } else {
            o.flags |= kFlagNoOrientation;
        }
    }
}

// ---------------------------------------------------------------- a whole capture

CaptureSmoother::CaptureSmoother(TagRegistry registry, const PipelineConfig& config,
                                 const SmootherConfig& smoother)
    : pipeline_(std::move(registry), config) {
    const PipelineConfig& cfg = pipeline_.config();  // as the pipeline normalised it
    smoothers_.reserve(pipeline_.n_rows());
    for (std::size_t i = 0; i < pipeline_.n_players(); ++i)
        smoothers_.emplace_back(cfg.player_filter, smoother);
    smoothers_.emplace_back(cfg.ball_filter, smoother);
}

void CaptureSmoother::load(const uint8_t* data, std::size_t n) {
    StreamDecoder decoder;
    reads_.clear();
    auto collect = [this](const TagRead* r, std::size_t k) { reads_.insert(reads_.end(), r, r + k); };
    decoder.feed(data, n, collect);
    decoder.finish(collect);
    decode_stats_ = decoder.stats();
    sort_reads();
}

void CaptureSmoother::load_reads(const TagRead* reads, std::size_t n) {
    reads_.assign(reads, reads + n);
    decode_stats_ = DecodeStats{};
    sort_reads();
}

void CaptureSmoother::sort_reads() {
    std::stable_sort(reads_.begin(), reads_.end(),
                     [](const TagRead& a, const TagRead& b) { return a.time_us < b.time_us; });
}

void CaptureSmoother::run(const int64_t* tick_us, std::size_t n_ticks, const CaptureOutputs& out) {
    for (std::size_t i = 1; i < n_ticks; ++i) {
        if (tick_us[i] <= tick_us[i - 1])
            throw std::invalid_argument("tick times must be strictly increasing (tick " +
                                        std::to_string(i) + ")");
    }
    pipeline_.reset();
    for (TrackSmoother& s : smoothers_) s.clear();
    rejected_.clear();

    const std::size_t rows = n_rows();
    const int64_t delay_us = static_cast<int64_t>(std::llround(pipeline_.config().delay_s * 1e6));
    const FrameBuffers& frame = pipeline_.frame();
    std::size_t next = 0;
    for (std::size_t i = 0; i < n_ticks; ++i) {
        // Every read blinked up to the tick's window end, in blink-time order.
        const int64_t until = tick_us[i] + delay_us;
        std::size_t end = next;
        while (end < reads_.size() && reads_[end].time_us <= until) ++end;
        pipeline_.push_reads(reads_.data() + next, end - next);
        next = end;
        pipeline_.tick(tick_us[i]);
        const auto& rej = pipeline_.rejected_reads();
        rejected_.insert(rejected_.end(), rej.begin(), rej.end());
        for (std::size_t r = 0; r < rows; ++r) {
            smoothers_[r].record(tick_us[i], pipeline_.track(r), frame.flags[r]);
            const std::size_t k = i * rows + r;
            if (out.raw_x) out.raw_x[k] = frame.raw_x[r];
            if (out.raw_y) out.raw_y[k] = frame.raw_y[r];
            if (out.raw_time_us) out.raw_time_us[k] = frame.raw_time_us[r];
            if (out.causal_x) out.causal_x[k] = frame.x[r];
            if (out.causal_y) out.causal_y[k] = frame.y[r];
            if (out.causal_s) out.causal_s[k] = frame.s[r];
            if (out.causal_a) out.causal_a[k] = frame.a[r];
            if (out.causal_dir) out.causal_dir[k] = frame.dir[r];
            if (out.causal_o) out.causal_o[k] = frame.o[r];
            if (out.causal_flags) out.causal_flags[k] = frame.flags[r];
        }
    }
    reads_after_last_tick_ = reads_.size() - next;
    smoothed_.resize(n_ticks);
    for (std::size_t r = 0; r < rows; ++r) {
        smoothers_[r].smooth(smoothed_.data());
        for (std::size_t i = 0; i < n_ticks; ++i) {
            const FilterOutput& f = smoothed_[i];
            const std::size_t k = i * rows + r;
            if (out.x) out.x[k] = f.x;
            if (out.y) out.y[k] = f.y;
            if (out.s) out.s[k] = f.s;
            if (out.a) out.a[k] = f.a;
            if (out.dir) out.dir[k] = f.dir;
            if (out.o) out.o[k] = f.o;
            if (out.flags) out.flags[k] = f.flags;
        }
    }
}

std::vector<int64_t> tick_grid(int64_t first_us, int64_t last_us, double rate_hz) {
    if (!(rate_hz > 0.0) || rate_hz > 1000.0) throw std::invalid_argument("rate_hz must be in (0, 1000]");
    const int64_t period = static_cast<int64_t>(std::llround(1e6 / rate_hz));
    std::vector<int64_t> ticks;
    if (last_us < first_us) return ticks;
    // First multiple of the period at or after first_us (division truncates toward zero).
    int64_t t = first_us / period * period;
    if (t < first_us) t += period;
    for (; t <= last_us; t += period) ticks.push_back(t);
    return ticks;
}

// ---------------------------------------------------------------- batch form

uint64_t smooth_tracks(const int64_t* time_us, std::size_t n_frames, std::size_t n_tracks,
                       const double* x, const double* y, const double* o, double meas_sigma_yd,
                       double o_sigma_deg, const FilterConfig& config,
                       const SmootherConfig& smoother, double* out_x, double* out_y,
                       double* out_s, double* out_a, double* out_dir, double* out_o,
                       uint16_t* out_flags) {
    // A track at a time (unlike filter_tracks): one filter and one smoother, their buffers
    // reused from track to track.
    const double var = meas_sigma_yd * meas_sigma_yd, o_var = o_sigma_deg * o_sigma_deg;
    TrackSmoother smoother_pass(config, smoother);
    std::vector<FilterOutput> track(n_frames);
    uint64_t rejected = 0;
    for (std::size_t n = 0; n < n_tracks; ++n) {
        TrackFilter filter(config);
        smoother_pass.clear();
        for (std::size_t t = 0; t < n_frames; ++t) {
            Measurement m;
            const bool has_m = batch_measurement(time_us[t], x, y, o, t * n_tracks + n, var, o_var, m);
            const FilterOutput f = filter.step(time_us[t], has_m ? &m : nullptr);
            smoother_pass.record(time_us[t], filter, f.flags);
        }
        rejected += filter.rejected();
        smoother_pass.smooth(track.data());
        for (std::size_t t = 0; t < n_frames; ++t) {
            const std::size_t i = t * n_tracks + n;
            const FilterOutput& f = track[t];
            out_x[i] = f.x; out_y[i] = f.y; out_s[i] = f.s; out_a[i] = f.a;
            out_dir[i] = f.dir; out_o[i] = f.o; out_flags[i] = f.flags;
        }
    }
    return rejected;
}

}  // namespace ghostedge

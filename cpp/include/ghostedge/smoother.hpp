// Offline two-sided smoothing (docs/filtering.md, "Offline: the two-sided smoother").
//
// The forward pass is the live causal filter itself (TrackFilter, through the live pipeline's
// decode -> fuse -> filter for a capture): the same read gating, fused-position gate, outlier
// rejection, resets and hold/lost logic, so the same reads and measurements are rejected. What
// it accepted is then smoothed with a Rauch-Tung-Striebel backward pass over the whole track:
// a constant-acceleration (white jerk) Kalman filter over the accepted measurements of each
// track segment (from one (re-)initialisation to the next), started from the causal filter's
// own state at the segment's first measurement, then the backward pass, and the estimate at
// every tick from the two nodes around it. Orientation is smoothed the same way on the circle
// (innovations wrapped to +-180 deg, angles kept continuous, outputs wrapped to [0, 360)).
// Outputs follow the live conventions (x, y, s, a, dir, o, flags; NaN where the live filter has
// no estimate; speed capped at the filter's max_speed_yps).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "ghostedge/kalman_filter.hpp"
#include "ghostedge/pipeline.hpp"
#include "ghostedge/registry.hpp"
#include "ghostedge/wire.hpp"

namespace ghostedge {

struct SmootherConfig {
    // Process noise of the two-sided pass: white jerk (yd^2/s^5) for players and for the ball,
    // white angular acceleration (deg^2/s^3) for orientation; <= 0: the causal filter's own
    // (FilterConfig::jerk_psd, orientation_rate_psd). With measurements on both sides smoother
    // models fit better than the causal filter's 25 and 2e5 (chosen on 43 plays of the shared
    // data, docs/filtering.md); the ball keeps its filter's.
    double player_jerk_psd = 5.0;
    double ball_jerk_psd = 0.0;
    double orientation_rate_psd = 2000.0;
};

// Smooths one track: record() after every TrackFilter::step() of the forward pass, then
// smooth() once. Allocates as it records (offline use); clear() keeps the capacity.
class TrackSmoother {
public:
    // filter: the forward filter's configuration (speed cap, process noise); smoother: the
    // two-sided pass's process noise (player or ball by filter.is_ball).
    explicit TrackSmoother(const FilterConfig& filter = FilterConfig{},
                           const SmootherConfig& smoother = SmootherConfig{});
    void clear() noexcept;

    // What filter.step(tick_time_us, ...) just did; flags: the flags that step returned (plus
    // any the caller adds, e.g. the fusion's). Ticks in increasing time.
    void record(int64_t tick_time_us, const TrackFilter& filter, uint16_t flags);
    std::size_t size() const noexcept { return ticks_.size(); }
    std::size_t measurements() const noexcept { return nodes_.size(); }

    // Two-sided estimates at every recorded tick into out[0 .. size()) (allocates its
    // scratch: throws only std::bad_alloc).
    void smooth(FilterOutput* out);

private:
    struct Tick {
        int64_t time_us;
        uint16_t flags;
        int32_t segment;  // -1: the causal filter had no estimate (lost / never seen)
    };
    struct Node {
        Measurement m;  // as the causal filter used it
        bool o_used;    // its orientation was used
    };
    FilterConfig cfg_;
    double jerk_psd_, orientation_rate_psd_;
    std::vector<Tick> ticks_;
    std::vector<Node> nodes_;
    std::vector<std::size_t> segment_first_;  // first node of each segment
    std::vector<TrackState> segment_start_;   // the causal filter's state at that node
    // Scratch of smooth(), per node: filtered state, prior at the node (mean, inverse
    // covariance) and smoothed means.
    std::vector<TrackState> post_;
    struct Prior {
        double x[3], y[3], P_inv[3][3];
        double o[2], Po_inv[2][2];
        bool has_o;
    };
    std::vector<Prior> prior_;
    struct Smoothed {
        double x[3], y[3], o[2];
    };
    std::vector<Smoothed> smoothed_;
};

// Buffers for whole-capture outputs, [n_ticks * n_rows] row-major (tick, row); rows are the
// player slots in registry order, then the ball. raw_* (the fused measurement of each tick, as
// the live pipeline's FrameBuffers) and causal_* (the forward filter's own outputs, i.e. the
// live filter run on the capture) may be null.
struct CaptureOutputs {
    double *x = nullptr, *y = nullptr, *s = nullptr, *a = nullptr, *dir = nullptr, *o = nullptr;
    uint16_t* flags = nullptr;
    double *raw_x = nullptr, *raw_y = nullptr;
    int64_t* raw_time_us = nullptr;
    double *causal_x = nullptr, *causal_y = nullptr, *causal_s = nullptr, *causal_a = nullptr,
           *causal_dir = nullptr, *causal_o = nullptr;
    uint16_t* causal_flags = nullptr;
};

// The offline pipeline: a capture (packets concatenated, docs/wire-format.md) -> decode ->
// registry + fusion + causal filter (the live IngestPipeline, same configuration and code) ->
// two-sided smoothing -> frames. All reads of the capture are available: before each tick the
// pipeline gets every read blinked up to tick + delay_s, in blink-time order, so a packet that
// a live receiver would have got late is used, not dropped.
class CaptureSmoother {
public:
    explicit CaptureSmoother(TagRegistry registry, const PipelineConfig& config = PipelineConfig{},
                             const SmootherConfig& smoother = SmootherConfig{});

    // 1. The capture: packets concatenated, decoded (damage is skipped and counted in
    // decode_stats(), never fatal), or reads already decoded (any order). Its reads are then
    // kept sorted by blink time.
    void load(const uint8_t* data, std::size_t n);
    void load_reads(const TagRead* reads, std::size_t n);
    const std::vector<TagRead>& reads() const noexcept { return reads_; }

    // 2. The frames at tick_us (n_ticks strictly increasing times; std::invalid_argument
    // otherwise) into out. May be run again (other ticks): the pipeline starts afresh.
    void run(const int64_t* tick_us, std::size_t n_ticks, const CaptureOutputs& out);

    std::size_t n_players() const noexcept { return pipeline_.n_players(); }
    std::size_t n_rows() const noexcept { return pipeline_.n_rows(); }
    const IngestPipeline& pipeline() const noexcept { return pipeline_; }
    // Of the last load / run: the decoder's counters, the pipeline's, every rejected read.
    const PipelineCounters& counters() const noexcept { return pipeline_.counters(); }
    const DecodeStats& decode_stats() const noexcept { return decode_stats_; }
    const std::vector<RejectedRead>& rejected_reads() const noexcept { return rejected_; }
    // Reads blinked after the last tick's window (tick + delay_s): not used.
    std::size_t reads_after_last_tick() const noexcept { return reads_after_last_tick_; }

private:
    void sort_reads();

    IngestPipeline pipeline_;
    std::vector<TrackSmoother> smoothers_;  // one per row
    std::vector<TagRead> reads_;
    std::vector<RejectedRead> rejected_;
    std::vector<FilterOutput> smoothed_;
    DecodeStats decode_stats_;
    std::size_t reads_after_last_tick_ = 0;
};

// Frame times for a capture without its own: every 1/rate_hz from the first multiple of the
// period at or after first_us up to last_us.
std::vector<int64_t> tick_grid(int64_t first_us, int64_t last_us, double rate_hz);

// The batch form (as filter_tracks): T frames of N tracks of fused positions ([T*N] row-major,
// NaN = no measurement, o may be null), each filtered causally then smoothed two-sided. Same
// arguments and outputs as filter_tracks plus the two-sided pass's configuration. Returns the
// number of rejected measurements (the causal filter's: the same as filter_tracks').
uint64_t smooth_tracks(const int64_t* time_us, std::size_t n_frames, std::size_t n_tracks,
                       const double* x, const double* y, const double* o, double meas_sigma_yd,
                       double o_sigma_deg, const FilterConfig& config,
                       const SmootherConfig& smoother, double* out_x, double* out_y,
                       double* out_s, double* out_a, double* out_dir, double* out_o,
                       uint16_t* out_flags);

}  // namespace ghostedge

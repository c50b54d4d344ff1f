// The live ingest pipeline: packet bytes -> StreamDecoder -> tag registry -> per-tick fusion ->
// causal filter -> one filtered frame for every player slot (and the ball). The one place the
// decode->fuse->filter logic lives: ingest-eval, the engine and the benchmarks all use it.
//
// Lifecycle: construct (all allocation happens here) -> push()/push_reads() any number of
// times, in any chunking -> tick(time) once per output frame -> read frame()/counters().
// push, push_reads and tick never allocate and never throw. Not thread-safe: one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "ghostedge/fusion.hpp"
#include "ghostedge/kalman_filter.hpp"
#include "ghostedge/registry.hpp"
#include "ghostedge/wire.hpp"

namespace ghostedge {

struct PipelineConfig {
    double rate_hz = 10.0;
    // The frame at tick t uses reads blinked up to t + delay_s (at most one frame): the
    // filter smooths back to t with the reads just after it. Call tick(t) once the reads up
    // to t + delay_s have arrived.
    double delay_s = 0.1;
    FusionConfig fusion{};
    FilterConfig player_filter{};
    FilterConfig ball_filter = ball_filter_config();
    double ball_read_gate_yd = 2.5;
    // Reads blinked more than this after the newest tick's window end (tick + delay_s) come
    // from a hub whose clock runs ahead: counted in reads_early and dropped, not held until
    // the ticks reach their wrong time.
    double max_read_lead_s = 1.0;
    // A track whose every read was gated out this many ticks in a row, or in one tick with at
    // least reacquire_min_reads reads, is re-acquired from the reads.
    int reacquire_after_gated_ticks = 3;
    uint32_t reacquire_min_reads = 3;
    std::size_t read_buffer_capacity = 1u << 16;   // reads waiting for their tick
    std::size_t rejection_log_capacity = 1u << 12; // rejected reads kept per tick
};

struct PipelineCounters {
    uint64_t ticks = 0;
    uint64_t ticks_out_of_order = 0;    // tick time not after the previous one: ignored
    uint64_t reads_in = 0;              // decoded or pushed reads
    uint64_t reads_unknown_tag = 0;     // tag not in the registry: ignored
    uint64_t reads_late = 0;            // blink time at or before an already-produced tick
    uint64_t reads_early = 0;           // blink time > max_read_lead_s after the tick's window
    uint64_t reads_buffer_full = 0;     // no room in the read buffer: dropped
    uint64_t reads_over_tick_cap = 0;   // > kMaxReadsPerTagPerTick reads of one tag in a tick
    uint64_t reads_accepted = 0;
    uint64_t reads_off_field = 0;       // player reads far outside the field: rejected
    uint64_t reads_gated = 0;           // player reads far from the track: rejected outliers
    uint64_t ball_reads_gated = 0;
    uint64_t fused_rejected = 0;        // fused positions refused by the filter's gate
    uint64_t track_resets = 0;          // tracks re-acquired (filter reset or all reads gated)
    uint64_t player_ticks_both_tags = 0;
    uint64_t player_ticks_single_tag = 0;
    uint64_t player_ticks_held = 0;
    uint64_t player_ticks_lost = 0;
    uint64_t player_ticks_never_seen = 0;
    uint64_t player_ticks_speed_capped = 0;
    uint64_t rejection_log_overflow = 0;
};

inline constexpr std::pair<const char*, uint64_t PipelineCounters::*> kPipelineCounters[] = {
    {"ticks", &PipelineCounters::ticks},
    {"ticks_out_of_order", &PipelineCounters::ticks_out_of_order},
    {"reads_in", &PipelineCounters::reads_in},
    {"reads_unknown_tag", &PipelineCounters::reads_unknown_tag},
    {"reads_late", &PipelineCounters::reads_late},
    {"reads_early", &PipelineCounters::reads_early},
    {"reads_buffer_full", &PipelineCounters::reads_buffer_full},
    {"reads_over_tick_cap", &PipelineCounters::reads_over_tick_cap},
    {"reads_accepted", &PipelineCounters::reads_accepted},
    {"reads_off_field", &PipelineCounters::reads_off_field},
    {"reads_gated", &PipelineCounters::reads_gated},
    {"ball_reads_gated", &PipelineCounters::ball_reads_gated},
    {"fused_rejected", &PipelineCounters::fused_rejected},
    {"track_resets", &PipelineCounters::track_resets},
    {"player_ticks_both_tags", &PipelineCounters::player_ticks_both_tags},
    {"player_ticks_single_tag", &PipelineCounters::player_ticks_single_tag},
    {"player_ticks_held", &PipelineCounters::player_ticks_held},
    {"player_ticks_lost", &PipelineCounters::player_ticks_lost},
    {"player_ticks_never_seen", &PipelineCounters::player_ticks_never_seen},
    {"player_ticks_speed_capped", &PipelineCounters::player_ticks_speed_capped},
    {"rejection_log_overflow", &PipelineCounters::rejection_log_overflow},
};

// Seconds spent per stage: in the last tick (decode: pushes since the previous tick) and in total.
struct StageTimings {
    double decode_s = 0, sort_s = 0, fuse_s = 0, filter_s = 0;
    double total_decode_s = 0, total_sort_s = 0, total_fuse_s = 0, total_filter_s = 0;
};

// A read the pipeline rejected during the last tick (for evaluation against simulator truth).
struct RejectedRead {
    int64_t time_us;
    uint32_t tag_id;
    ReadVerdict reason;
};

// The filtered frame: one row per player slot (registry order), then one row for the ball.
struct FrameBuffers {
    int64_t time_us = 0;
    std::vector<double> x, y, s, a, dir, o;  // NaN where lost / never seen
    std::vector<double> raw_x, raw_y;        // fused measurement before smoothing (NaN: none)
    std::vector<int64_t> raw_time_us;        // when the raw measurement holds
    std::vector<uint16_t> flags;             // FrameFlag bits
};

class IngestPipeline {
public:
    explicit IngestPipeline(TagRegistry registry, const PipelineConfig& config = PipelineConfig{});

    void push(const uint8_t* data, std::size_t n) noexcept;  // packet bytes, any chunking
    void finish_stream() noexcept;                            // end of a capture: flush the decoder
    void push_reads(const TagRead* reads, std::size_t n) noexcept;
    // Produces the frame at time_us from the reads with blink time in
    // (previous tick + delay, time_us + delay].
    void tick(int64_t time_us) noexcept;
    // Forgets tracks, buffered reads and counters (e.g. between plays); keeps the registry.
    void reset() noexcept;

    std::size_t n_players() const noexcept { return n_players_; }
    std::size_t n_rows() const noexcept { return n_players_ + 1; }  // players + ball
    const TagRegistry& registry() const noexcept { return registry_; }
    const PipelineConfig& config() const noexcept { return cfg_; }
    const FrameBuffers& frame() const noexcept { return frame_; }
    const PipelineCounters& counters() const noexcept { return counters_; }
    const DecodeStats& decode_stats() const noexcept { return decoder_.stats(); }
    const StageTimings& timings() const noexcept { return timings_; }
    const std::vector<RejectedRead>& rejected_reads() const noexcept { return rejections_; }
    // The filter of a row after the last tick (the offline smoother records what it did).
    const TrackFilter& track(std::size_t row) const noexcept { return tracks_[row]; }

private:
    void buffer_reads(const TagRead* reads, std::size_t n) noexcept;
    void log_rejections(const TagRead* reads, std::size_t n, const ReadVerdict* verdicts) noexcept;

    TagRegistry registry_;
    PipelineConfig cfg_;
    std::size_t n_players_;
    int64_t period_us_;
    int64_t delay_us_;
    int64_t max_lead_us_;
    StreamDecoder decoder_;
    std::vector<TagRead> pending_;           // capacity read_buffer_capacity
    std::vector<TagRead> groups_;            // [(2 * n_players + 1) * kMaxReadsPerTagPerTick]
    std::vector<uint32_t> group_count_;      // [2 * n_players + 1]
    std::vector<ReadVerdict> verdicts_;      // [2 * kMaxReadsPerTagPerTick]
    std::vector<TrackFilter> tracks_;        // [n_players + 1]
    std::vector<int> gated_ticks_in_row_;    // [n_players + 1]
    std::vector<FusedPlayer> fused_;         // [n_players + 1] this tick's measurements
    std::vector<uint16_t> fuse_flags_;       // [n_players + 1]
    std::vector<RejectedRead> rejections_;   // capacity rejection_log_capacity
    FrameBuffers frame_;
    PipelineCounters counters_;
    StageTimings timings_;
    bool have_tick_ = false;
    int64_t last_tick_us_ = 0;
};

}  // namespace ghostedge

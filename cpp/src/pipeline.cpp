#include "ghostedge/pipeline.hpp"

#include <chrono>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace ghostedge {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}
}  // namespace

IngestPipeline::IngestPipeline(TagRegistry registry, const PipelineConfig& config)
    : registry_(std::move(registry)), cfg_(config), n_players_(registry_.n_players()) {
    if (!(cfg_.rate_hz > 0.0) || cfg_.rate_hz > 1000.0) {
        throw std::invalid_argument("rate_hz must be in (0, 1000]");
    }
    if (cfg_.read_buffer_capacity == 0) throw std::invalid_argument("read_buffer_capacity must be > 0");
    cfg_.ball_filter.is_ball = true;
    cfg_.player_filter.is_ball = false;
    period_us_ = static_cast<int64_t>(std::llround(1e6 / cfg_.rate_hz));
    if (!(cfg_.delay_s >= 0.0) || cfg_.delay_s > 1.0 / cfg_.rate_hz + 1e-9) {
        throw std::invalid_argument("delay_s must be in [0, one frame period]");
    }
    delay_us_ = static_cast<int64_t>(std::llround(cfg_.delay_s * 1e6));
    if (!(cfg_.max_read_lead_s >= 0.0) || cfg_.max_read_lead_s > 3600.0) {
        throw std::invalid_argument("max_read_lead_s must be in [0, 3600]");
    }
    max_lead_us_ = static_cast<int64_t>(std::llround(cfg_.max_read_lead_s * 1e6));
    pending_.reserve(cfg_.read_buffer_capacity);
    const std::size_t n_groups = 2 * n_players_ + 1;
    groups_.resize(n_groups * kMaxReadsPerTagPerTick);
    group_count_.assign(n_groups, 0);
    verdicts_.resize(2 * kMaxReadsPerTagPerTick);
    tracks_.reserve(n_rows());
    for (std::size_t i = 0; i < n_players_; ++i) tracks_.emplace_back(cfg_.player_filter);
    tracks_.emplace_back(cfg_.ball_filter);
    gated_ticks_in_row_.assign(n_rows(), 0);
    fused_.assign(n_rows(), FusedPlayer{});
    fuse_flags_.assign(n_rows(), 0);
    rejections_.reserve(cfg_.rejection_log_capacity);
    for (auto* v : {&frame_.x, &frame_.y, &frame_.s, &frame_.a, &frame_.dir, &frame_.o,
                    &frame_.raw_x, &frame_.raw_y}) {
        v->assign(n_rows(), kNaN);
    }
    frame_.raw_time_us.assign(n_rows(), 0);
    frame_.flags.assign(n_rows(), static_cast<uint16_t>(kFlagNeverSeen | kFlagNoOrientation));
}

void IngestPipeline::reset() noexcept {
    for (TrackFilter& t : tracks_) t.reset();
    pending_.clear();
    rejections_.clear();
    decoder_.reset();
    std::fill(gated_ticks_in_row_.begin(), gated_ticks_in_row_.end(), 0);
    counters_ = PipelineCounters{};
    timings_ = StageTimings{};
    have_tick_ = false;
    last_tick_us_ = 0;
    for (auto* v : {&frame_.x, &frame_.y, &frame_.s, &frame_.a, &frame_.dir, &frame_.o,
                    &frame_.raw_x, &frame_.raw_y}) {
        std::fill(v->begin(), v->end(), kNaN);
    }
    std::fill(frame_.flags.begin(), frame_.flags.end(),
              static_cast<uint16_t>(kFlagNeverSeen | kFlagNoOrientation));
}

void IngestPipeline::buffer_reads(const TagRead* reads, std::size_t n) noexcept {
    counters_.reads_in += n;
    const std::size_t room = cfg_.read_buffer_capacity - pending_.size();
    const std::size_t take = n < room ? n : room;
    pending_.insert(pending_.end(), reads, reads + take);  // within reserved capacity
    counters_.reads_buffer_full += n - take;
}

void IngestPipeline::push(const uint8_t* data, std::size_t n) noexcept {
    const auto t0 = Clock::now();
    decoder_.feed(data, n, [this](const TagRead* r, std::size_t k) { buffer_reads(r, k); });
    timings_.decode_s += seconds_since(t0);
}

void IngestPipeline::finish_stream() noexcept {
    decoder_.finish([this](const TagRead* r, std::size_t k) { buffer_reads(r, k); });
}

void IngestPipeline::push_reads(const TagRead* reads, std::size_t n) noexcept {
    buffer_reads(reads, n);
}

void IngestPipeline::log_rejections(const TagRead* reads, std::size_t n,
                                    const ReadVerdict* verdicts) noexcept {
    for (std::size_t i = 0; i < n; ++i) {
        if (verdicts[i] == ReadVerdict::kAccepted) continue;
        if (rejections_.size() < rejections_.capacity()) {
            rejections_.push_back({reads[i].time_us, reads[i].tag_id, verdicts[i]});
        } else {
            ++counters_.rejection_log_overflow;
        }
    }
}

void IngestPipeline::tick(int64_t time_us) noexcept {
    if (have_tick_ && time_us <= last_tick_us_) {
        ++counters_.ticks_out_of_order;
        return;
    }
    const int64_t window_end = time_us + delay_us_;
    const int64_t window_start = (have_tick_ ? last_tick_us_ : time_us - period_us_) + delay_us_;
    ++counters_.ticks;
    rejections_.clear();
    timings_.total_decode_s += timings_.decode_s;

    // 1. Sort this tick's reads into per-shoulder groups; keep reads of future ticks.
    Clock::time_point t0 = Clock::now();
    std::fill(group_count_.begin(), group_count_.end(), 0u);
    const std::size_t ball_group = 2 * n_players_;
    std::size_t keep = 0;
    for (std::size_t i = 0; i < pending_.size(); ++i) {
        const TagRead& r = pending_[i];
        if (r.time_us > window_end) {
            // Ahead by more than the allowed lead: a hub clock running ahead, not a read that
            // arrived before its tick. A difference too large for int64 is ahead too.
            int64_t lead = 0;
            if (__builtin_sub_overflow(r.time_us, window_end, &lead) || lead > max_lead_us_)
                ++counters_.reads_early;
            else
                pending_[keep++] = r;
            continue;
        }
        if (r.time_us <= window_start) {
            ++counters_.reads_late;
            continue;
        }
        TagSlot where;
        if (!registry_.lookup(r.tag_id, where)) {
            ++counters_.reads_unknown_tag;
            continue;
        }
        const std::size_t g = where.role == TagRole::kBall
                                  ? ball_group
                                  : 2 * static_cast<std::size_t>(where.slot) +
                                        (where.role == TagRole::kRightShoulder ? 1 : 0);
        if (group_count_[g] >= kMaxReadsPerTagPerTick) {
            ++counters_.reads_over_tick_cap;
            continue;
        }
        groups_[g * kMaxReadsPerTagPerTick + group_count_[g]++] = r;
    }
    pending_.resize(keep);
    timings_.sort_s = seconds_since(t0);

    // 2. Fuse every slot's reads (gating against the tracks' predictions).
    t0 = Clock::now();
    for (std::size_t slot = 0; slot < n_rows(); ++slot) {
        const bool is_ball = slot == n_players_;
        TrackFilter& track = tracks_[slot];
        const std::size_t g = is_ball ? ball_group : 2 * slot;
        const TagRead* left = &groups_[g * kMaxReadsPerTagPerTick];
        const std::size_t n_left = group_count_[g];
        const TagRead* right = is_ball ? nullptr : left + kMaxReadsPerTagPerTick;
        const std::size_t n_right = is_ball ? 0 : group_count_[g + 1];
        ReadVerdict* vl = verdicts_.data();
        ReadVerdict* vr = verdicts_.data() + kMaxReadsPerTagPerTick;
        auto fuse = [&]() {
            return is_ball ? fuse_ball(left, n_left, track, cfg_.fusion, cfg_.ball_read_gate_yd, vl)
                           : fuse_player(left, n_left, right, n_right, track, cfg_.fusion, vl, vr);
        };
        FusedPlayer fp = fuse();
        uint16_t flags = 0;
        if (fp.n_accepted == 0 && fp.n_rejected > 0 && track.tracking()) {
            // Every read disagrees with the track. Gross errors strike single reads at random,
            // so several reads that all disagree (or disagreement tick after tick) mean the
            // track is wrong: re-acquire from the reads themselves.
            if (++gated_ticks_in_row_[slot] >= cfg_.reacquire_after_gated_ticks ||
                fp.n_rejected >= cfg_.reacquire_min_reads) {
                track.force_reacquire();
                gated_ticks_in_row_[slot] = 0;
                fp = fuse();
            }
        } else {
            gated_ticks_in_row_[slot] = 0;
        }
        log_rejections(left, n_left, vl);
        if (!is_ball) log_rejections(right, n_right, vr);
        for (std::size_t i = 0; i < n_left + n_right; ++i) {
            const ReadVerdict v = i < n_left ? vl[i] : vr[i - n_left];
            if (v == ReadVerdict::kOffField) ++counters_.reads_off_field;
            else if (v == ReadVerdict::kGated) ++(is_ball ? counters_.ball_reads_gated : counters_.reads_gated);
        }
        counters_.reads_accepted += fp.n_accepted;
        if (fp.n_rejected > 0) flags |= kFlagRejected;
        if (fp.valid && fp.single_tag) flags |= kFlagSingleTag;
        fused_[slot] = fp;
        fuse_flags_[slot] = flags;
    }
    const double fuse_s = seconds_since(t0);

    // 3. Filter every slot to the tick time.
    t0 = Clock::now();
    frame_.time_us = time_us;
    for (std::size_t slot = 0; slot < n_rows(); ++slot) {
        TrackFilter& track = tracks_[slot];
        const FusedPlayer& fp = fused_[slot];
        const uint64_t rejected_before = track.rejected(), resets_before = track.resets();
        const FilterOutput f = track.step(time_us, fp.valid ? &fp.m : nullptr);
        counters_.fused_rejected += track.rejected() - rejected_before;
        counters_.track_resets += track.resets() - resets_before;
        const uint16_t flags = static_cast<uint16_t>(f.flags | fuse_flags_[slot]);
        frame_.x[slot] = f.x; frame_.y[slot] = f.y; frame_.s[slot] = f.s;
        frame_.a[slot] = f.a; frame_.dir[slot] = f.dir; frame_.o[slot] = f.o;
        frame_.flags[slot] = flags;
        frame_.raw_x[slot] = fp.valid ? fp.m.x : kNaN;
        frame_.raw_y[slot] = fp.valid ? fp.m.y : kNaN;
        frame_.raw_time_us[slot] = fp.valid ? fp.m.time_us : 0;
        if (slot < n_players_) {
            if (flags & kFlagNeverSeen) ++counters_.player_ticks_never_seen;
            else if (flags & kFlagLost) ++counters_.player_ticks_lost;
            else if (flags & kFlagHeld) ++counters_.player_ticks_held;
            else if (flags & kFlagSingleTag) ++counters_.player_ticks_single_tag;
            else ++counters_.player_ticks_both_tags;
            if (flags & kFlagSpeedCapped) ++counters_.player_ticks_speed_capped;
        }
    }
    const double filter_s = seconds_since(t0);
    timings_.fuse_s = fuse_s;
    timings_.filter_s = filter_s;
    timings_.total_sort_s += timings_.sort_s;
    timings_.total_fuse_s += fuse_s;
    timings_.total_filter_s += filter_s;
    timings_.decode_s = 0;
    have_tick_ = true;
    last_tick_us_ = time_us;
}

}  // namespace ghostedge

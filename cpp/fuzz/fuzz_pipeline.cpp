// libFuzzer harness for the live ingest pipeline: raw bytes -> StreamDecoder -> registry ->
// fusion -> causal filter, ticked at 10 Hz, as the engine drives it on air.
//
// The roster is derived from the input's own tags (tag 2n / 2n+1 = left / right shoulder of
// nflId n, tag 1 = the ball, as ghostedge derives tags from nflIds), so the seed captures from
// real plays exercise fusion and filtering, not only the unknown-tag path. The input is pushed
// in chunks whose sizes come from the input; between chunks the pipeline ticks, mostly 100 ms
// apart starting at the first blink time, sometimes jumping back or far forward (clock faults).
// Checks, on top of the sanitizers: no Inf in the frame, filtered player speed never above the
// 12.5 yd/s cap, counters consistent.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "ghostedge/pipeline.hpp"
#include "ghostedge/registry.hpp"
#include "ghostedge/wire.hpp"

namespace {

using namespace ghostedge;

void require(bool condition) {
    if (!condition) __builtin_trap();
}

constexpr std::size_t kMaxPlayers = 30;   // keeps one input fast; a real roster is ~22 on field
constexpr std::size_t kMaxTicks = 600;
constexpr int64_t kTickUs = 100'000;

void check_frame(const IngestPipeline& p) {
    const FrameBuffers& f = p.frame();
    for (std::size_t i = 0; i < p.n_rows(); ++i) {
        for (double v : {f.x[i], f.y[i], f.s[i], f.a[i], f.dir[i], f.o[i]}) require(!std::isinf(v));
        if (i < p.n_players() && !std::isnan(f.s[i])) {
            require(f.s[i] >= 0.0 && f.s[i] <= p.config().player_filter.max_speed_yps + 1e-6);
        }
        if (!std::isnan(f.dir[i])) require(f.dir[i] >= 0.0 && f.dir[i] <= 360.0);
        if (!std::isnan(f.o[i])) require(f.o[i] >= 0.0 && f.o[i] <= 360.0);
    }
    const PipelineCounters& c = p.counters();
    require(c.reads_accepted <= c.reads_in);
    require(c.reads_unknown_tag <= c.reads_in);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    // Pass 1: what the stream holds (its tags and first blink time), to build the roster.
    StreamDecoder probe;
    std::vector<uint32_t> tags;
    int64_t t0 = 0;
    bool have_t0 = false;
    probe.feed(data, size, [&](const TagRead* reads, size_t n) {
        for (size_t i = 0; i < n; ++i) {
            if (!have_t0 || reads[i].time_us < t0) t0 = reads[i].time_us;
            have_t0 = true;
            if (tags.size() < 4 * kMaxPlayers) tags.push_back(reads[i].tag_id);
        }
    });
    std::sort(tags.begin(), tags.end());
    tags.erase(std::unique(tags.begin(), tags.end()), tags.end());

    std::vector<TagAssignment> roster{{kBallTagId, 0, TagRole::kBall}};
    std::size_t players = 0;
    for (uint32_t tag : tags) {
        if (tag <= kBallTagId || tag / 2 > 0x7fffffffu) continue;
        if (tag % 2 == 1 && std::binary_search(tags.begin(), tags.end(), tag - 1)) {
            roster.push_back({tag, static_cast<int64_t>(tag / 2), TagRole::kRightShoulder});
            continue;  // the player was counted with his left tag
        }
        if (players == kMaxPlayers) continue;
        ++players;
        roster.push_back({tag, static_cast<int64_t>(tag / 2),
                          tag % 2 == 0 ? TagRole::kLeftShoulder : TagRole::kRightShoulder});
    }
    if (players == 0) roster.push_back({2, 1, TagRole::kLeftShoulder});  // a roster needs a player

    PipelineConfig config;
    config.read_buffer_capacity = 1u << 12;  // small, so that the buffer-full path is reachable
    IngestPipeline pipeline{TagRegistry{roster}, config};

    // Pass 2: push in chunks, tick between them.
    int64_t now = have_t0 ? t0 : 0;
    std::size_t offset = 0, ticks = 0;
    for (std::size_t k = 0; offset < size && ticks < kMaxTicks; ++k) {
        const uint8_t control = data[(k * 7919u) % size];
        std::size_t n = 64u * (control % 16u) + 1u;
        if (n > size - offset) n = size - offset;
        pipeline.push(data + offset, n);
        offset += n;
        if (control == 0xFF) {
            now -= 5'000'000;  // the hub clock steps back 5 s
        } else if (control == 0xFE) {
            now += 3'600'000'000LL;  // forward an hour
        } else {
            now += kTickUs;
        }
        pipeline.tick(now);
        ++ticks;
        check_frame(pipeline);
    }
    pipeline.finish_stream();
    pipeline.tick(now + kTickUs);
    check_frame(pipeline);
    return 0;
}

// The live pipeline end to end without Python: encode packets of a synthetic two-player play,
// push them in odd chunks, tick at 10 Hz and check positions, flags and counters.
#include <cmath>
#include <cstdlib>
#include <new>
#include <random>
#include <vector>

#include "check.hpp"
#include "ghostedge/pipeline.hpp"

using namespace ghostedge;

// Counts heap allocations, to check that push() and tick() never allocate.
static long g_allocations = 0;
void* operator new(std::size_t n) {
    ++g_allocations;
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

int main() {
    const TagRegistry reg({{10, 5, TagRole::kLeftShoulder},
                           {11, 5, TagRole::kRightShoulder},
                           {12, 6, TagRole::kLeftShoulder},
                           {13, 6, TagRole::kRightShoulder},
                           {kBallTagId, -1, TagRole::kBall}});
    IngestPipeline pipe(reg);
    CHECK(pipe.n_players() == 2 && pipe.n_rows() == 3);

    std::mt19937 rng(3);
    std::normal_distribution<double> noise(0.0, 2.0 / 36.0);
    const int64_t t0 = 1'600'000'000'000'000;
    const double hw = 0.25;
    // Player 5 runs +x at 6 yd/s facing +x (o = 90: right shoulder toward -y); player 6
    // stands at (30, 40) facing +y (o = 0) and loses his right tag after 2 s; the ball sits
    // with player 5; tag 99 is not in the registry.
    auto truth_x5 = [&](int64_t t) { return 20.0 + 6.0 * static_cast<double>(t - t0) * 1e-6; };
    std::vector<uint8_t> stream;
    std::vector<std::size_t> packet_end;  // stream offset after each packet
    uint32_t seq = 0;
    for (int64_t pkt = 0; pkt < 200; ++pkt) {  // 20 ms packets, 4 s
        std::vector<TagRead> reads;
        for (int64_t t = t0 + pkt * 20000 + 1000; t < t0 + (pkt + 1) * 20000; t += 10000) {
            const auto f = [](double v) { return static_cast<float>(v); };
            const double x5 = truth_x5(t);
            reads.push_back({t, 10, f(x5 + noise(rng)), f(10 + hw + noise(rng)), 1.6f, 200});
            reads.push_back({t + 1, 11, f(x5 + noise(rng)), f(10 - hw + noise(rng)), 1.6f, 200});
            reads.push_back({t + 2, 12, f(30 - hw + noise(rng)), f(40 + noise(rng)), 1.6f, 200});
            if (t - t0 < 2'000'000) reads.push_back({t + 3, 13, f(30 + hw + noise(rng)), f(40 + noise(rng)), 1.6f, 200});
            reads.push_back({t + 4, kBallTagId, f(x5), f(10), 1.0f, 200});
            reads.push_back({t + 5, 99, 1.0f, 1.0f, 1.0f, 200});
        }
        CHECK(encode_packet(seq++, t0 + (pkt + 1) * 20000, reads.data(), reads.size(), stream).ok());
        packet_end.push_back(stream.size());
    }
    std::size_t fed = 0;
    int ticks = 0;
    long allocations_in_loop = 0;
    double max_err = 0, max_s = 0;
    for (int64_t tick = t0 + 100000; tick <= t0 + 3'800'000; tick += 100000) {
        // Push everything that would have arrived by tick + delay + 30 ms, in 777-byte chunks.
        const auto n_pkts = std::min<std::size_t>(packet_end.size(), static_cast<std::size_t>((tick + 130000 - t0) / 20000));
        const std::size_t upto = packet_end[n_pkts - 1];
        const long before = g_allocations;
        while (fed < upto) {
            const std::size_t n = std::min<std::size_t>(777, upto - fed);
            pipe.push(stream.data() + fed, n);
            fed += n;
        }
        pipe.tick(tick);
        allocations_in_loop += g_allocations - before;
        ++ticks;
        const FrameBuffers& f = pipe.frame();
        if (ticks > 5) {
            max_err = std::max(max_err, std::hypot(f.x[0] - truth_x5(tick), f.y[0] - 10.0));
            max_s = std::max(max_s, std::fabs(f.s[0] - 6.0));
            CHECK(std::fabs(wrap_deg_180(f.dir[0] - 90.0)) < 5.0);
            CHECK(std::fabs(wrap_deg_180(f.o[0] - 90.0)) < 10.0);
            CHECK(std::fabs(wrap_deg_180(f.o[1] - 0.0)) < 10.0);
            CHECK(std::hypot(f.x[1] - 30.0, f.y[1] - 40.0) < 0.1);
            CHECK(std::hypot(f.x[2] - truth_x5(tick), f.y[2] - 10.0) < 0.5);  // the ball
        }
        if (tick - t0 > 2'200'000) CHECK(f.flags[1] & kFlagSingleTag);
        if (tick - t0 < 1'800'000) CHECK(!(f.flags[1] & kFlagSingleTag));
    }
    std::printf("pipeline: max position error %.3f yd, max speed error %.3f yd/s\n", max_err, max_s);
    CHECK(max_err < 0.1);
    CHECK(allocations_in_loop == 0);
    CHECK(g_allocations > 0);  // the counting operator new is in use
    CHECK(max_s < 0.5);
    const PipelineCounters& c = pipe.counters();
    CHECK(c.ticks == static_cast<uint64_t>(ticks));
    CHECK(c.reads_unknown_tag > 0);
    CHECK(c.reads_gated == 0);
    CHECK(c.player_ticks_single_tag > 10);
    CHECK(pipe.decode_stats().packets_ok > 180);

    // Out-of-order tick: ignored and counted; no data for 2 s: held, then lost (NaN).
    pipe.tick(t0);
    CHECK(pipe.counters().ticks_out_of_order == 1);
    bool held = false, lost = false;
    for (int64_t tick = t0 + 4'000'000; tick <= t0 + 6'000'000; tick += 100000) {
        pipe.tick(tick);
        held |= (pipe.frame().flags[0] & kFlagHeld) && !(pipe.frame().flags[0] & kFlagLost);
        lost |= (pipe.frame().flags[0] & kFlagLost) && std::isnan(pipe.frame().x[0]);
    }
    CHECK(held && lost);

    // Garbage bytes are skipped by the decoder, not fatal.
    const uint8_t junk[5] = {1, 2, 3, 4, 5};
    pipe.push(junk, sizeof junk);
    pipe.reset();
    CHECK(pipe.counters().ticks == 0 && (pipe.frame().flags[0] & kFlagNeverSeen));
    return check::finish();
}

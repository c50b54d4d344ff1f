// Shared-memory output (ghostedge/shm.hpp): layout, a round trip, and the seqlock under one
// writer and several reader threads that never see a torn frame. Built with
// -DGHOSTEDGE_TSAN=ON it runs under ThreadSanitizer (.ci/run).
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "check.hpp"
#include "ghostedge/shm.hpp"

using namespace ghostedge::shm;

namespace {

#if defined(__SANITIZE_THREAD__)
constexpr bool kUnderTsan = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
constexpr bool kUnderTsan = true;
#else
constexpr bool kUnderTsan = false;
#endif
#else
constexpr bool kUnderTsan = false;
#endif

// The writer's pause between frames: a few reader copies long (ThreadSanitizer slows both).
constexpr int kPauseUs = kUnderTsan ? 400 : 20;

// A frame whose every value is a function of its id, so that a reader can tell a frame that
// mixes two writes from a consistent one without the checksum.
struct Synthetic {
    std::vector<int64_t> dids, rids;
    std::vector<double> dxy, rxy, mean, sigma, metric;
    FrameIn frame;
};

double value(int64_t id, std::size_t array, std::size_t i) {
    return static_cast<double>(id) * 1000.0 + static_cast<double>(array) * 100.0 + static_cast<double>(i) * 0.5;
}

void make(Synthetic& s, int64_t id, uint32_t nd, uint32_t nr, uint32_t h) {
    s.dids.assign(nd, 0);
    s.rids.assign(nr, 0);
    for (uint32_t d = 0; d < nd; ++d) s.dids[d] = id * 100 + d;
    for (uint32_t r = 0; r < nr; ++r) s.rids[r] = -(id * 100 + r);
    auto fill = [&](std::vector<double>& v, std::size_t n, std::size_t array) {
        v.assign(n, 0.0);
        for (std::size_t i = 0; i < n; ++i) v[i] = value(id, array, i);
    };
    fill(s.dxy, 2 * nd, 1);
    fill(s.rxy, 2 * nr, 2);
    fill(s.mean, std::size_t(nd) * nr * h * 2, 3);
    fill(s.sigma, std::size_t(nd) * nr * h * 2, 4);
    fill(s.metric, std::size_t(nd) * nr, 5);
    FrameIn& f = s.frame;
    f.frame_id = id;
    f.time_us = id * 100000;
    f.result_sequence = static_cast<uint64_t>(id);
    f.n_defenders = nd;
    f.n_receivers = nr;
    f.horizon = h;
    f.flags = kFlagOk;
    f.phase = static_cast<int32_t>(id % 3);
    f.target_index = nr ? static_cast<int32_t>(id % nr) : -1;
    f.target_nfl_id = nr ? s.rids[id % nr] : -1;
    f.ball_x = value(id, 6, 0);
    f.ball_y = value(id, 6, 1);
    f.defender_ids = s.dids.data();
    f.receiver_ids = s.rids.data();
    f.defender_xy = s.dxy.data();
    f.receiver_xy = s.rxy.data();
    f.mean = s.mean.data();
    f.sigma = s.sigma.data();
    f.metric = s.metric.data();
}

// True when the copy is exactly the synthetic frame of its own id.
bool consistent(const FrameCopy& c, const Layout& L) {
    const int64_t id = c.i64(off::kFrameId);
    const uint32_t nd = c.u32(off::kNDefenders), nr = c.u32(off::kNReceivers), h = c.u32(off::kHorizon);
    if (c.i64(off::kTimeUs) != id * 100000 || c.f64(off::kBallX) != value(id, 6, 0)) return false;
    if (nd > L.dims.max_defenders || nr > L.dims.max_receivers || h > L.dims.max_horizon) return false;
    if (static_cast<uint64_t>(c.i64(off::kChecksum)) != frame_checksum(c, L)) return false;
    const std::size_t R = L.dims.max_receivers, H = L.dims.max_horizon;
    for (uint32_t d = 0; d < nd; ++d) {
        if (c.array_i64(L.defender_ids, d) != id * 100 + d) return false;
        for (uint32_t r = 0; r < nr; ++r) {
            if (c.array_f64(L.metric, d * R + r) != value(id, 5, d * nr + r)) return false;
            for (uint32_t k = 0; k < 2 * h; ++k) {
                const std::size_t dense = (std::size_t(d) * nr + r) * h * 2 + k;
                if (c.array_f64(L.mean, (d * R + r) * H * 2 + k) != value(id, 3, dense)) return false;
                if (c.array_f64(L.sigma, (d * R + r) * H * 2 + k) != value(id, 4, dense)) return false;
            }
        }
    }
    for (uint32_t r = 0; r < nr; ++r)
        if (c.array_i64(L.receiver_ids, r) != -(id * 100 + r)) return false;
    return true;
}

void test_layout() {
    const Layout L = Layout::of(Dims{11, 11, 10});
    CHECK(L.defender_ids == kHeaderSize);
    CHECK(L.receiver_ids == kHeaderSize + 8 * 11);
    CHECK(L.mean == kHeaderSize + 8 * (11 + 11 + 22 + 22));
    CHECK(L.sigma == L.mean + 8 * 11 * 11 * 10 * 2);
    CHECK(L.metric == L.sigma + 8 * 11 * 11 * 10 * 2);
    CHECK(L.total_size == L.metric + 8 * 121);
    bool threw = false;
    try {
        Layout::of(Dims{0, 1, 1});
    } catch (const std::invalid_argument&) {
        threw = true;
    }
    CHECK(threw);
}

void test_round_trip_in_memory() {
    const Dims dims{4, 3, 5};
    std::vector<uint64_t> block(Layout::of(dims).total_size / 8 + 1);
    BlockWriter w(block.data(), block.size() * 8, dims);
    BlockReader reader(block.data(), block.size() * 8);
    FrameCopy c;
    CHECK(reader.read(c) == -1);  // nothing written yet
    Synthetic s;
    make(s, 7, 3, 2, 4);
    CHECK(w.write(s.frame));
    CHECK(reader.read(c) == 0);
    CHECK(consistent(c, reader.layout()));
    CHECK(c.i64(off::kFrameId) == 7 && c.u32(off::kNDefenders) == 3 && c.u32(off::kNReceivers) == 2);
    CHECK(c.i32(off::kTargetIndex) == 1 && c.u32(off::kFlags) == kFlagOk);
    CHECK(reader.sequence() == 2 && w.frames_written() == 1);
    make(s, 8, 5, 2, 4);  // more defenders than the block holds: refused, nothing written
    CHECK(!w.write(s.frame));
    CHECK(reader.sequence() == 2);
    make(s, 9, 0, 0, 0);  // an empty frame is a frame
    CHECK(w.write(s.frame) && reader.read(c) == 0 && c.i64(off::kFrameId) == 9);
    block[0] = 0;  // no magic: not a block
    bool threw = false;
    try {
        BlockReader bad(block.data(), block.size() * 8);
    } catch (const std::runtime_error&) {
        threw = true;
    }
    CHECK(threw);
}

// One writer thread writing frames into a POSIX shared-memory object, three reader threads
// reading it: every copy a reader keeps is one whole
// frame (its values, counts and checksum agree), frame ids never go back, and reads meet
// writes in progress (retries), so the seqlock was exercised.
void test_concurrent_readers_never_see_a_torn_frame() {
    const Dims dims{11, 11, 10};
    const std::string name = "/ghostedge-test-shm-" + std::to_string(getpid());
    SharedMemory mem = SharedMemory::create(name, Layout::of(dims).total_size);
    BlockWriter writer(mem.data(), mem.size(), dims);
    std::atomic<bool> done{false};
    std::atomic<int> readers_ready{0};
    std::thread wt([&] {
        Synthetic s;
        int64_t id = 1;
        while (readers_ready.load() < 3) std::this_thread::yield();
        while (!done.load(std::memory_order_relaxed)) {
            // Sizes change from frame to frame, as rosters and visible players do.
            make(s, id, 1 + static_cast<uint32_t>(id % 11), 1 + static_cast<uint32_t>((id / 3) % 11), 10);
            writer.write(s.frame);
            ++id;
            // A pause of a few frame copies: readers get in between writes, and still meet
            // many writes in progress. (A writer that never pauses starves seqlock readers.)
            std::this_thread::sleep_for(std::chrono::microseconds((id % 7 == 0 ? 10 : 1) * kPauseUs));
        }
    });
    constexpr int kReadsEach = kUnderTsan ? 3000 : 40000;  // TSan makes each atomic ~50x slower
    std::atomic<int> torn{0}, backwards{0}, failed{0};
    std::atomic<long> retries{0};
    std::vector<std::thread> readers;
    std::vector<int64_t> distinct(3, 0);
    for (int t = 0; t < 3; ++t) {
        readers.emplace_back([&, t] {
            // Readers 0 and 1 read the writer's own mapping (ThreadSanitizer tracks addresses,
            // so only these show it a race), reader 2 a mapping of its own, as another
            // process would.
            SharedMemory own = t == 2 ? SharedMemory::open_read_only(name) : SharedMemory();
            const SharedMemory& view = t == 2 ? own : mem;
            BlockReader reader(view.data(), view.size());
            FrameCopy c;
            int64_t last = -1;
            readers_ready.fetch_add(1);
            while (reader.sequence() == 0) std::this_thread::yield();  // the first frame
            for (int i = 0; i < kReadsEach; ++i) {
                // A reader never waits for the writer, but may have to retry while writes
                // keep meeting it (a loaded machine preempting the writer mid-write): give up
                // only after 10 s of that, as a hang guard.
                const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
                int r = reader.read(c, 100000);
                while (r < 0 && std::chrono::steady_clock::now() < give_up) r = reader.read(c, 100000);
                if (r < 0) {
                    failed.fetch_add(1);
                    continue;
                }
                retries.fetch_add(r);
                if (!consistent(c, reader.layout())) torn.fetch_add(1);
                const int64_t id = c.i64(off::kFrameId);
                if (id < last) backwards.fetch_add(1);
                if (id != last) ++distinct[t];
                last = id;
            }
        });
    }
    for (auto& r : readers) r.join();
    done.store(true);
    wt.join();
    std::printf("shm: %d reads, %ld retries, %lld+%lld+%lld distinct frames, %llu written\n", 3 * kReadsEach,
                retries.load(), (long long)distinct[0], (long long)distinct[1], (long long)distinct[2],
                (unsigned long long)writer.frames_written());
    CHECK(torn.load() == 0);
    CHECK(backwards.load() == 0);
    CHECK(failed.load() == 0);
    CHECK(writer.frames_written() > 100);
    CHECK(distinct[0] > 10 && distinct[1] > 10 && distinct[2] > 10);
}

void test_names() {
    CHECK(normalize_name("abc") == "/abc");
    CHECK(normalize_name("/abc") == "/abc");
    bool threw = false;
    try {
        normalize_name("a/b");
    } catch (const std::invalid_argument&) {
        threw = true;
    }
    CHECK(threw);
    threw = false;
    try {
        SharedMemory::open_read_only("ghostedge-test-shm-does-not-exist");
    } catch (const std::system_error&) {
        threw = true;
    }
    CHECK(threw);
}

}  // namespace

int main() {
    test_layout();
    test_round_trip_in_memory();
    test_concurrent_readers_never_see_a_torn_frame();
    test_names();
    return check::finish();
}

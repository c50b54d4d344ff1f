// libFuzzer harness for the tag-read StreamDecoder (and the CRC-32C it relies on).
//
// Each input is a raw byte stream as it could arrive from the stadium network. The harness
// decodes it three ways and checks that they agree, on top of what the sanitizers catch:
//   1. one feed() of the whole input, callback sink;
//   2. the same bytes in chunks whose sizes come from a second, independent reading of the
//      input (any chunking must give the same reads and the same counters);
//   3. the same chunks through the caller-buffer feed() with a capacity that is sometimes too
//      small (reads that do not fit must be counted in reads_dropped_full, never written).
// Invariants checked after every call: bytes_fed == bytes_accepted + bytes_skipped +
// buffered(), buffered() < kMaxPacketSize, every emitted read lies inside the format's
// validity windows (tag != 0, finite coordinates inside the documented ranges).
// A violated check calls __builtin_trap() so that libFuzzer records the input as a crash.
//
// Build and run: tools/fuzz.sh (see docs/reliability.md).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "ghostedge/crc32c.hpp"
#include "ghostedge/wire.hpp"

namespace {

using ghostedge::DecodeStats;
using ghostedge::StreamDecoder;
using ghostedge::TagRead;
namespace wire = ghostedge::wire;

void require(bool condition) {
    if (!condition) __builtin_trap();
}

void check_read(const TagRead& r) {
    require(r.tag_id != 0);
    require(std::isfinite(r.x) && std::isfinite(r.y) && std::isfinite(r.z));
    // Coordinates come from integer millimetres inside the window; allow float rounding.
    const double mm = wire::kMillimetresPerYard;
    require(r.x >= wire::kMinXMm / mm - 1e-3 && r.x <= wire::kMaxXMm / mm + 1e-3);
    require(r.y >= wire::kMinYMm / mm - 1e-3 && r.y <= wire::kMaxYMm / mm + 1e-3);
    require(r.z >= wire::kMinZMm / mm - 1e-3 && r.z <= wire::kMaxZMm / mm + 1e-3);
    require(r.time_us >= wire::kMinCaptureTimeUs - wire::kMaxBlinkOffsetUs &&
            r.time_us <= wire::kMaxCaptureTimeUs + wire::kMaxBlinkOffsetUs);
}

void check_invariants(const StreamDecoder& d) {
    const DecodeStats& s = d.stats();
    require(s.bytes_fed == s.bytes_accepted + s.bytes_skipped + d.buffered());
    require(d.buffered() < wire::kMaxPacketSize);
    require(s.packets_bad_header == s.header_bad_version + s.header_bad_count +
                                        s.header_bad_reserved + s.header_bad_time +
                                        s.header_bad_length);
}

bool same_stats(const DecodeStats& a, const DecodeStats& b) {
    for (const auto& counter : ghostedge::kDecodeStatCounters) {
        if (a.*(counter.second) != b.*(counter.second)) return false;
    }
    return true;
}

bool same_read(const TagRead& a, const TagRead& b) {
    return a.time_us == b.time_us && a.tag_id == b.tag_id && a.x == b.x && a.y == b.y &&
           a.z == b.z && a.quality == b.quality;
}

// Chunk sizes drawn from the input itself (so the fuzzer also explores the chunking): one
// byte per chunk, mapped to 1..256, cycling through the input.
size_t chunk_size(const uint8_t* data, size_t size, size_t k) {
    return size == 0 ? 1 : static_cast<size_t>(data[(k * 7919u) % size]) + 1;
}

struct Collected {
    std::vector<TagRead> reads;
    size_t packets = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    // CRC: the hardware path must agree with the portable one on any bytes, split anywhere.
    const uint32_t crc_whole = ghostedge::crc32c(0, data, size);
    require(crc_whole == ghostedge::crc32c_portable(0, data, size));
    const size_t half = size / 2;
    require(crc_whole == ghostedge::crc32c(ghostedge::crc32c(0, data, half), data + half, size - half));

    // The decoders are reused across inputs (as the engine reuses its own) and reset here;
    // reset() must give the same behaviour as a fresh decoder.
    static StreamDecoder whole_decoder, chunked_decoder, buffer_decoder;
    whole_decoder.reset();
    chunked_decoder.reset();
    buffer_decoder.reset();

    // 1. One feed.
    Collected whole;
    auto collect_into = [](Collected& c) {
        return [&c](const TagRead* reads, size_t n) {
            ++c.packets;
            for (size_t i = 0; i < n; ++i) {
                check_read(reads[i]);
                c.reads.push_back(reads[i]);
            }
        };
    };
    whole_decoder.feed(data, size, collect_into(whole));
    check_invariants(whole_decoder);
    whole_decoder.finish(collect_into(whole));
    check_invariants(whole_decoder);
    require(whole_decoder.buffered() == 0);

    // 2. Chunked feeds, callback sink.
    Collected chunked;
    size_t offset = 0;
    for (size_t k = 0; offset < size; ++k) {
        size_t n = chunk_size(data, size, k);
        if (n > size - offset) n = size - offset;
        chunked_decoder.feed(data + offset, n, collect_into(chunked));
        check_invariants(chunked_decoder);
        offset += n;
    }
    chunked_decoder.finish(collect_into(chunked));
    check_invariants(chunked_decoder);

    require(same_stats(whole_decoder.stats(), chunked_decoder.stats()));
    require(whole.packets == chunked.packets && whole.reads.size() == chunked.reads.size());
    for (size_t i = 0; i < whole.reads.size(); ++i) require(same_read(whole.reads[i], chunked.reads[i]));

    // 3. Chunked feeds into a caller buffer; every other call gets less room than it may need.
    static std::vector<TagRead> out(wire::kMaxRecords * 4);
    size_t written = 0;
    offset = 0;
    for (size_t k = 0; offset <= size; ++k) {
        const bool last = offset == size;
        size_t n = last ? 0 : chunk_size(data, size, k + 1);
        if (n > size - offset) n = size - offset;
        size_t capacity = buffer_decoder.max_reads(n);
        if (capacity > out.size()) capacity = out.size();
        if (k % 2 == 1) capacity /= 2;
        const size_t got = last ? buffer_decoder.finish(out.data(), capacity)
                                : buffer_decoder.feed(data + offset, n, out.data(), capacity);
        require(got <= capacity);
        for (size_t i = 0; i < got; ++i) check_read(out[i]);
        written += got;
        check_invariants(buffer_decoder);
        if (last) break;
        offset += n;
    }
    const DecodeStats& b = buffer_decoder.stats();
    require(b.records_ok == written + b.reads_dropped_full);
    require(b.records_ok == whole_decoder.stats().records_ok);
    require(b.packets_ok == whole_decoder.stats().packets_ok);
    return 0;
}

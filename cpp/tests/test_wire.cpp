// Tests of the CRC-32C and the tag-read packet encoder / streaming decoder.
#include <cstring>
#include <random>
#include <vector>

#include "check.hpp"
#include "ghostedge/crc32c.hpp"
#include "ghostedge/wire.hpp"

using namespace ghostedge;
using Bytes = std::vector<uint8_t>;

namespace {

constexpr int64_t kT0 = 1'546'300'800'000'000;  // 2019-01-01T00:00:00Z

std::vector<TagRead> make_reads(std::mt19937& rng, size_t n, int64_t capture) {
    std::uniform_real_distribution<float> ux(-49.f, 169.f), uy(-49.f, 99.f), uz(-9.f, 59.f);
    std::uniform_int_distribution<int64_t> uoff(-10'000'000, 10'000'000);
    std::uniform_int_distribution<uint32_t> utag(1, 0xFFFFFFFFu);
    std::vector<TagRead> v(n);
    for (auto& r : v) {
        r = TagRead{};
        r.time_us = capture + uoff(rng);
        r.tag_id = utag(rng);
        r.x = ux(rng);
        r.y = uy(rng);
        r.z = uz(rng);
        r.quality = static_cast<uint8_t>(rng() & 0xFF);
    }
    return v;
}

Bytes packet(uint32_t seq, const std::vector<TagRead>& reads, int64_t capture = kT0) {
    Bytes out;
    const EncodeResult r = encode_packet(seq, capture, reads.data(), reads.size(), out);
    CHECK(r.ok());
    return out;
}

struct Collected {
    std::vector<TagRead> reads;
    size_t calls = 0;
    void operator()(const TagRead* r, size_t n) {
        reads.insert(reads.end(), r, r + n);
        ++calls;
    }
};

// Decoded read matches the original to the format's precision (1 mm, exact time).
bool same_read(const TagRead& a, const TagRead& b) {
    const float tol = 0.5f / 914.4f + 1e-5f;
    return a.time_us == b.time_us && a.tag_id == b.tag_id && a.quality == b.quality &&
           std::fabs(a.x - b.x) <= tol && std::fabs(a.y - b.y) <= tol && std::fabs(a.z - b.z) <= tol;
}

bool same_reads(const std::vector<TagRead>& a, const std::vector<TagRead>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (!same_read(a[i], b[i])) return false;
    return true;
}

void check_invariant(const StreamDecoder& d) {
    const DecodeStats& s = d.stats();
    CHECK(s.bytes_fed == s.bytes_accepted + s.bytes_skipped + d.buffered());
    CHECK(d.buffered() < wire::kMaxPacketSize);
}

void test_crc() {
    const char* check_string = "123456789";
    CHECK(crc32c(0, check_string, 9) == 0xE3069283u);
    CHECK(crc32c_portable(0, check_string, 9) == 0xE3069283u);
    CHECK(crc32c(0, "", 0) == 0u);
    // RFC 3720 (iSCSI) B.4 vectors: 32 bytes of zeros, of 0xFF, and ascending 0..31.
    uint8_t buf[32];
    std::memset(buf, 0, 32);
    CHECK(crc32c(0, buf, 32) == 0x8A9136AAu);
    std::memset(buf, 0xFF, 32);
    CHECK(crc32c(0, buf, 32) == 0x62A8AB43u);
    for (int i = 0; i < 32; ++i) buf[i] = static_cast<uint8_t>(i);
    CHECK(crc32c(0, buf, 32) == 0x46DD794Eu);
    // Hardware and portable agree at every length and alignment; chaining equals one pass.
    std::mt19937 rng(1);
    Bytes data(5000);  // past several 768-byte interleaved blocks
    for (auto& b : data) b = static_cast<uint8_t>(rng());
    bool agree = true, chains = true;
    for (size_t start = 0; start < 9; ++start)
        for (size_t n = 0; n + start <= data.size(); n += 37) {
            const uint32_t whole = crc32c(0, data.data() + start, n);
            agree &= whole == crc32c_portable(0, data.data() + start, n);
            const size_t half = n / 3;
            chains &= whole == crc32c(crc32c(0, data.data() + start, half), data.data() + start + half, n - half);
        }
    CHECK(agree);
    CHECK(chains);
    std::printf("crc32c hardware: %s\n", crc32c_hardware() ? "yes" : "no");
}

void test_layout() {
    const std::vector<TagRead> reads = {{kT0 + 5, 0x01020304u, 10.f, 20.f, 1.f, 77}};
    const Bytes p = packet(0xA1B2C3D4u, reads);
    CHECK(p.size() == 56);
    CHECK(std::memcmp(p.data(), "GETR", 4) == 0);
    CHECK(p[4] == 1 && p[5] == 0 && p[6] == 1 && p[7] == 0);
    CHECK(p[8] == 0xD4 && p[11] == 0xA1);  // sequence, little-endian
    int64_t capture;
    std::memcpy(&capture, p.data() + 16, 8);
    CHECK(capture == kT0);
    uint32_t tag;
    int32_t offset, x_mm, y_mm, z_mm;
    std::memcpy(&tag, p.data() + 32, 4);
    std::memcpy(&offset, p.data() + 36, 4);
    std::memcpy(&x_mm, p.data() + 40, 4);
    std::memcpy(&y_mm, p.data() + 44, 4);
    std::memcpy(&z_mm, p.data() + 48, 4);
    CHECK(tag == 0x01020304u && offset == 5);
    CHECK(x_mm == 9144 && y_mm == 18288 && z_mm == 914);
    CHECK(p[52] == 77 && p[53] == 0 && p[54] == 0 && p[55] == 0);
    // The CRC covers the packet with its own field taken as zero.
    Bytes zeroed = p;
    std::memset(zeroed.data() + 24, 0, 4);
    uint32_t stored;
    std::memcpy(&stored, p.data() + 24, 4);
    CHECK(crc32c(0, zeroed.data(), zeroed.size()) == stored);
}

void test_encode_errors() {
    std::vector<TagRead> good = {{kT0, 1, 60.f, 26.f, 1.f, 200}};
    Bytes out = {0xAA};
    auto expect = [&](TagRead r, EncodeStatus status) {
        std::vector<TagRead> v = {good[0], r};
        const EncodeResult res = encode_packet(1, kT0, v.data(), v.size(), out);
        CHECK(res.status == status);
        CHECK(res.index == 1);
        CHECK(out.size() == 1);  // nothing appended on error
    };
    TagRead r = good[0];
    r.tag_id = 0;
    expect(r, EncodeStatus::bad_tag_id);
    r = good[0];
    r.time_us = kT0 + 10'000'001;
    expect(r, EncodeStatus::bad_blink_time);
    r.time_us = kT0 - 10'000'001;
    expect(r, EncodeStatus::bad_blink_time);
    r = good[0];
    r.x = 170.01f;
    expect(r, EncodeStatus::bad_x);
    r.x = std::nanf("");
    expect(r, EncodeStatus::bad_x);
    r.x = -INFINITY;
    expect(r, EncodeStatus::bad_x);
    r = good[0];
    r.y = -50.01f;
    expect(r, EncodeStatus::bad_y);
    r = good[0];
    r.z = 60.01f;
    expect(r, EncodeStatus::bad_z);
    // Edges of the windows are valid.
    std::vector<TagRead> edges = {{kT0 + 10'000'000, 1, 170.f, 100.f, 60.f, 0},
                                  {kT0 - 10'000'000, 2, -50.f, -50.f, -10.f, 255}};
    CHECK(encode_packet(1, kT0, edges.data(), 2, out).ok());
    std::vector<TagRead> many(wire::kMaxRecords + 1, good[0]);
    CHECK(encode_packet(1, kT0, many.data(), many.size(), out).status == EncodeStatus::too_many_records);
    CHECK(encode_packet(1, kT0, many.data(), wire::kMaxRecords, out).ok());
    CHECK(encode_packet(1, -1, good.data(), 1, out).status == EncodeStatus::bad_capture_time);
    CHECK(encode_packet(1, wire::kMaxCaptureTimeUs, good.data(), 1, out).status == EncodeStatus::bad_capture_time);
}

// A stream of packets with known reads; returns the bytes and the expected reads.
struct Stream {
    Bytes bytes;
    std::vector<TagRead> reads;
    std::vector<size_t> packet_starts;
};

Stream make_stream(std::mt19937& rng, size_t packets, uint32_t first_seq = 0) {
    Stream s;
    for (size_t i = 0; i < packets; ++i) {
        const size_t n = (i % 7 == 3) ? 0 : rng() % 60 + 1;
        const int64_t capture = kT0 + int64_t(i) * 40'000;
        auto reads = make_reads(rng, n, capture);
        s.packet_starts.push_back(s.bytes.size());
        Bytes p = packet(first_seq + uint32_t(i), reads, capture);
        s.bytes.insert(s.bytes.end(), p.begin(), p.end());
        s.reads.insert(s.reads.end(), reads.begin(), reads.end());
    }
    return s;
}

std::vector<TagRead> decode_all(StreamDecoder& d, const Bytes& bytes, size_t chunk) {
    Collected c;
    for (size_t pos = 0; pos < bytes.size(); pos += chunk)
        d.feed(bytes.data() + pos, std::min(chunk, bytes.size() - pos), c);
    check_invariant(d);
    d.finish(c);
    check_invariant(d);
    return c.reads;
}

void test_round_trip_and_chunking() {
    std::mt19937 rng(7);
    const Stream s = make_stream(rng, 40);
    for (size_t chunk : {size_t(1), size_t(2), size_t(3), size_t(23), size_t(24), size_t(31),
                         size_t(1000), size_t(1) << 20}) {
        StreamDecoder d;
        CHECK(same_reads(decode_all(d, s.bytes, chunk), s.reads));
        CHECK(d.stats().packets_ok == 40);
        CHECK(d.stats().bytes_skipped == 0);
        CHECK(d.stats().records_ok == s.reads.size());
    }
    // Two feeds split at every byte boundary of a three-packet stream.
    const Stream small = make_stream(rng, 3);
    bool all_ok = true;
    for (size_t cut = 0; cut <= small.bytes.size(); ++cut) {
        StreamDecoder d;
        Collected c;
        d.feed(small.bytes.data(), cut, c);
        d.feed(small.bytes.data() + cut, small.bytes.size() - cut, c);
        all_ok &= same_reads(c.reads, small.reads) && d.buffered() == 0 && d.stats().packets_ok == 3;
    }
    CHECK(all_ok);
    // Random chunk sizes, including zero-length feeds.
    for (int trial = 0; trial < 20; ++trial) {
        StreamDecoder d;
        Collected c;
        size_t pos = 0;
        while (pos < s.bytes.size()) {
            const size_t n = std::min<size_t>(rng() % 300, s.bytes.size() - pos);
            d.feed(s.bytes.data() + pos, n, c);
            pos += n;
            check_invariant(d);
        }
        CHECK(same_reads(c.reads, s.reads));
    }
    // The largest packet, fed byte by byte.
    auto big_reads = make_reads(rng, wire::kMaxRecords, kT0);
    const Bytes big = packet(5, big_reads);
    CHECK(big.size() == wire::kMaxPacketSize);
    StreamDecoder d;
    CHECK(same_reads(decode_all(d, big, 1), big_reads));
}

void test_feed_into_capacity() {
    std::mt19937 rng(3);
    const Stream s = make_stream(rng, 10);
    StreamDecoder d;
    std::vector<TagRead> out(d.max_reads(s.bytes.size()));
    CHECK(out.size() >= s.reads.size());
    const size_t n = d.feed(s.bytes.data(), s.bytes.size(), out.data(), out.size());
    out.resize(n);
    CHECK(same_reads(out, s.reads));
    CHECK(d.stats().reads_dropped_full == 0);
    StreamDecoder small;
    std::vector<TagRead> five(5);
    CHECK(small.feed(s.bytes.data(), s.bytes.size(), five.data(), five.size()) == 5);
    CHECK(small.stats().reads_dropped_full == s.reads.size() - 5);
    CHECK(small.stats().records_ok == s.reads.size());
}

void test_garbage() {
    std::mt19937 rng(11);
    const Stream s = make_stream(rng, 12);
    Bytes garbage(777);
    for (auto& b : garbage) b = static_cast<uint8_t>(rng());
    // Magic-like traps inside garbage: a bare magic, a partial magic, a plausible header.
    std::memcpy(garbage.data() + 100, "GETR", 4);
    std::memcpy(garbage.data() + 300, "GET", 3);
    Bytes trap(s.bytes.begin(), s.bytes.begin() + 32);  // a real header without its records
    garbage.insert(garbage.begin() + 500, trap.begin(), trap.end());
    Bytes stream = garbage;  // before
    for (size_t i = 0; i < s.packet_starts.size(); ++i) {
        const size_t end = i + 1 < s.packet_starts.size() ? s.packet_starts[i + 1] : s.bytes.size();
        stream.insert(stream.end(), s.bytes.begin() + long(s.packet_starts[i]), s.bytes.begin() + long(end));
        if (i % 3 == 0) stream.insert(stream.end(), garbage.begin(), garbage.begin() + long(i * 13 + 1));  // between
    }
    stream.insert(stream.end(), garbage.begin(), garbage.end());  // after
    for (size_t chunk : {size_t(1), size_t(64), size_t(5000), stream.size()}) {
        StreamDecoder d;
        const auto got = decode_all(d, stream, chunk);
        // The trap header's packet (sequence 0) is duplicated by the real one only if complete;
        // here it is cut short, so exactly the 12 real packets decode.
        CHECK(same_reads(got, s.reads));
        CHECK(d.stats().packets_ok == 12);
        CHECK(d.stats().bytes_skipped == stream.size() - s.bytes.size());
        CHECK(d.stats().bytes_accepted == s.bytes.size());
    }
    // Pure garbage never grows the buffer and yields nothing.
    StreamDecoder d;
    Collected c;
    Bytes noise(200'000);
    for (auto& b : noise) b = static_cast<uint8_t>(rng());
    for (size_t pos = 0; pos < noise.size(); pos += 4096) {
        d.feed(noise.data() + pos, std::min<size_t>(4096, noise.size() - pos), c);
        check_invariant(d);
    }
    d.finish(c);
    CHECK(c.reads.empty());
    CHECK(d.stats().bytes_skipped == noise.size());
}

void test_bit_flips() {
    std::mt19937 rng(5);
    auto reads = make_reads(rng, 8, kT0);
    const Bytes good = packet(9, reads);
    const Bytes next = packet(10, reads);
    size_t detected = 0, total = 0;
    for (size_t byte = 0; byte < good.size(); ++byte) {
        for (int bit = 0; bit < 8; ++bit) {
            Bytes stream = good;
            stream[byte] ^= static_cast<uint8_t>(1u << bit);
            stream.insert(stream.end(), next.begin(), next.end());
            StreamDecoder d;
            Collected c;
            d.feed(stream.data(), stream.size(), c);
            d.finish(c);
            ++total;
            const DecodeStats& s = d.stats();
            // The damaged packet is rejected (bad CRC, bad header, or no longer found by its
            // magic), and the packet after it always survives.
            const bool rejected = s.packets_ok == 1 && c.reads.size() == 8;
            detected += rejected;
            check_invariant(d);
        }
    }
    CHECK(detected == total);
    // A flip in a record body is a CRC failure specifically.
    Bytes flipped = good;
    flipped[40] ^= 0x10;
    StreamDecoder d;
    Collected c;
    d.feed(flipped.data(), flipped.size(), c);
    CHECK(d.stats().packets_bad_crc == 1 && c.reads.empty());
}

void test_truncation() {
    std::mt19937 rng(8);
    auto reads = make_reads(rng, 5, kT0);
    const Bytes p = packet(1, reads);
    for (size_t keep : {size_t(4), size_t(20), size_t(32), size_t(50), p.size() - 1}) {
        StreamDecoder d;
        Collected c;
        d.feed(p.data(), keep, c);
        CHECK(c.reads.empty());
        CHECK(d.buffered() == keep);
        d.finish(c);
        CHECK(d.stats().packets_truncated == 1);
        CHECK(d.buffered() == 0);
        check_invariant(d);
    }
    // A packet cut short and followed by a complete one: the complete one is still decoded.
    const Bytes q = packet(2, reads);
    Bytes stream(p.begin(), p.begin() + 70);
    stream.insert(stream.end(), q.begin(), q.end());
    StreamDecoder d;
    Collected c;
    d.feed(stream.data(), stream.size(), c);
    d.finish(c);
    CHECK(same_reads(c.reads, reads));
    CHECK(d.stats().packets_ok == 1);
    CHECK(d.stats().packets_bad_crc + d.stats().packets_truncated == 1);
    // A partial magic at the end is kept, then dropped as garbage at finish().
    StreamDecoder e;
    e.feed(reinterpret_cast<const uint8_t*>("xxGE"), 4, c);
    CHECK(e.buffered() == 2);
    e.finish(c);
    CHECK(e.stats().bytes_skipped == 4 && e.stats().packets_truncated == 0);
}

void test_header_validation() {
    std::mt19937 rng(9);
    auto reads = make_reads(rng, 2, kT0);
    const Bytes good = packet(3, reads);
    // Corrupt one header field and fix up the CRC, so only the field check can catch it.
    auto corrupt = [&](size_t offset, uint8_t value) {
        Bytes p = good;
        p[offset] = value;
        std::memset(p.data() + 24, 0, 4);
        const uint32_t crc = crc32c(0, p.data(), p.size());
        std::memcpy(p.data() + 24, &crc, 4);
        StreamDecoder d;
        Collected c;
        d.feed(p.data(), p.size(), c);
        d.finish(c);
        CHECK(c.reads.empty());
        CHECK(d.stats().packets_bad_header == 1);
        return d.stats();
    };
    CHECK(corrupt(4, 2).header_bad_version == 1);
    CHECK(corrupt(5, 1).header_bad_reserved == 1);
    CHECK(corrupt(7, 0x04).header_bad_count == 1);  // record_count = 1026
    CHECK(corrupt(12, 1).header_bad_reserved == 1);
    CHECK(corrupt(30, 1).header_bad_reserved == 1);
    CHECK(corrupt(23, 0x80).header_bad_time == 1);  // negative capture time
}

void test_record_validation() {
    std::mt19937 rng(10);
    auto reads = make_reads(rng, 6, kT0);
    Bytes p = packet(3, reads);
    auto rec = [&](size_t i, size_t field) { return p.data() + 32 + 24 * i + field; };
    const uint32_t zero = 0;
    const int32_t late = 10'000'001, far_x = 155'449, low_z = -9'145;
    std::memcpy(rec(0, 0), &zero, 4);      // tag 0
    std::memcpy(rec(1, 4), &late, 4);      // offset > 10 s
    std::memcpy(rec(2, 8), &far_x, 4);     // x beyond 170 yd
    std::memcpy(rec(3, 16), &low_z, 4);    // z below -10 yd
    *rec(4, 21) = 1;                       // record flags
    std::memset(p.data() + 24, 0, 4);
    const uint32_t crc = crc32c(0, p.data(), p.size());
    std::memcpy(p.data() + 24, &crc, 4);
    StreamDecoder d;
    Collected c;
    d.feed(p.data(), p.size(), c);
    CHECK(c.reads.size() == 1 && same_read(c.reads[0], reads[5]));
    const DecodeStats& s = d.stats();
    CHECK(s.packets_ok == 1 && s.records_ok == 1);
    CHECK(s.records_bad_tag == 1 && s.records_bad_time == 1 && s.records_bad_position == 2 &&
          s.records_bad_reserved == 1);
}

void test_sequences() {
    std::mt19937 rng(12);
    auto reads = make_reads(rng, 3, kT0);
    auto feed_seq = [&](StreamDecoder& d, uint32_t seq, int64_t capture = kT0) {
        const Bytes p = packet(seq, reads, capture);
        Collected c;
        d.feed(p.data(), p.size(), c);
        return c.reads.size();
    };
    {  // exact duplicates dropped; late but new packets accepted and counted
        StreamDecoder d;
        CHECK(feed_seq(d, 10) == 3);
        CHECK(feed_seq(d, 10) == 0);
        CHECK(feed_seq(d, 12) == 3);
        CHECK(feed_seq(d, 11) == 3);
        CHECK(feed_seq(d, 11) == 0);
        CHECK(feed_seq(d, 12) == 0);
        CHECK(feed_seq(d, 10) == 0);
        const DecodeStats& s = d.stats();
        CHECK(s.packets_ok == 3 && s.packets_duplicate == 4 && s.packets_reordered == 1);
    }
    {  // same sequence with different content is not a duplicate
        StreamDecoder d;
        CHECK(feed_seq(d, 5) == 3);
        CHECK(feed_seq(d, 5, kT0 + 1) == 3);
        CHECK(d.stats().packets_duplicate == 0);
    }
    {  // wrap-around: 0xFFFFFFFF -> 0 -> 1 is forward; a late 0xFFFFFFFE is reordered
        StreamDecoder d;
        CHECK(feed_seq(d, 0xFFFFFFFFu) == 3);
        CHECK(feed_seq(d, 0) == 3);
        CHECK(feed_seq(d, 1) == 3);
        CHECK(feed_seq(d, 0xFFFFFFFEu) == 3);
        CHECK(feed_seq(d, 0xFFFFFFFFu) == 0);
        CHECK(feed_seq(d, 0) == 0);
        CHECK(d.stats().packets_reordered == 1 && d.stats().packets_duplicate == 2);
    }
    {  // far behind the window: a sender restart, accepted and counted
        StreamDecoder d;
        CHECK(feed_seq(d, 100'000) == 3);
        CHECK(feed_seq(d, 0) == 3);
        CHECK(d.stats().sequence_resets == 1);
        CHECK(feed_seq(d, 1) == 3);
        CHECK(feed_seq(d, 0) == 0);
        // Duplicates beyond the window cannot be recognised and are accepted: by design.
        StreamDecoder e;
        CHECK(feed_seq(e, 0) == 3);
        for (uint32_t s = 1; s <= wire::kSequenceWindow; ++s) feed_seq(e, s);
        CHECK(feed_seq(e, 0) == 3);
    }
    {  // a reordered stream of unique packets loses nothing
        const Stream s = make_stream(rng, 50, 0xFFFFFFF0u);
        std::vector<size_t> order(50);
        for (size_t i = 0; i < 50; ++i) order[i] = i;
        for (size_t i = 0; i + 3 < 50; i += 4) std::swap(order[i], order[i + 3]);
        Bytes shuffled;
        for (size_t i : order) {
            const size_t end = i + 1 < 50 ? s.packet_starts[i + 1] : s.bytes.size();
            shuffled.insert(shuffled.end(), s.bytes.begin() + long(s.packet_starts[i]), s.bytes.begin() + long(end));
        }
        StreamDecoder d;
        const auto got = decode_all(d, shuffled, 97);
        CHECK(got.size() == s.reads.size());
        CHECK(d.stats().packets_ok == 50 && d.stats().packets_duplicate == 0);
        CHECK(d.stats().packets_reordered > 0);
        CHECK(d.stats().packets_missing == 0);  // every gap filled by its late packet
    }
    {  // packets_missing: forward gaps within the window, net of late arrivals
        StreamDecoder d;
        feed_seq(d, 0xFFFFFFFEu);
        feed_seq(d, 2);  // 0xFFFFFFFF, 0, 1 skipped (across the wrap)
        CHECK(d.stats().packets_missing == 3);
        feed_seq(d, 0);
        feed_seq(d, 0);  // a duplicate fills nothing more
        CHECK(d.stats().packets_missing == 2);
        feed_seq(d, 2 + wire::kSequenceWindow);  // a gap of exactly the window counts
        CHECK(d.stats().packets_missing == 2 + wire::kSequenceWindow - 1);
        feed_seq(d, 1);  // fell out of the window: a restart, and its gap stays counted
        CHECK(d.stats().sequence_resets == 1);
        CHECK(d.stats().packets_missing == 2 + wire::kSequenceWindow - 1);
        StreamDecoder e;
        feed_seq(e, 10);
        feed_seq(e, 10 + 5000);  // beyond the window: a restart of the count, not a loss
        feed_seq(e, 10 + 4990);  // its late arrival was never counted missing
        CHECK(e.stats().packets_missing == 0 && e.stats().packets_reordered == 1);
    }
}

// A header whose record_count was corrupted upward must not hold back the good packets inside
// its claimed span until the CRC can be checked (docs/reliability.md, finding 3).
void test_corrupt_record_count() {
    std::mt19937 rng(14);
    std::vector<Bytes> packets;
    std::vector<TagRead> want;
    for (uint32_t i = 0; i < 30; ++i) {
        const auto reads = make_reads(rng, 45, kT0 + i * 20'000);
        packets.push_back(packet(i, reads, kT0 + i * 20'000));
        if (i > 0) want.insert(want.end(), reads.begin(), reads.end());
    }
    Bytes& bad = packets[0];
    bad[7] ^= 0x02;  // record_count 45 -> 557: a span of 13 400 bytes
    StreamDecoder d;
    Collected c;
    d.feed(bad.data(), bad.size(), c);
    CHECK(c.reads.empty() && d.buffered() == bad.size());
    d.feed(packets[1].data(), packets[1].size() - 1, c);
    CHECK(c.reads.empty());  // the packet behind is not complete yet
    d.feed(packets[1].data() + packets[1].size() - 1, 1, c);
    CHECK(c.reads.size() == 45);  // released at once, not ~12 packets later
    CHECK(d.stats().header_bad_length == 1 && d.stats().packets_bad_header == 1);
    CHECK(d.stats().packets_bad_crc == 0 && d.stats().bytes_skipped == bad.size());
    check_invariant(d);

    Bytes stream;
    for (const Bytes& p : packets) stream.insert(stream.end(), p.begin(), p.end());
    StreamDecoder whole;
    const auto reference = decode_all(whole, stream, stream.size());
    CHECK(same_reads(reference, want));
    for (size_t chunk : {1u, 5u, 33u, 1000u, 1500u}) {
        StreamDecoder e;
        CHECK(same_reads(decode_all(e, stream, chunk), want));
        for (const auto& counter : kDecodeStatCounters)
            CHECK(e.stats().*(counter.second) == whole.stats().*(counter.second));
    }

    // A genuine packet whose records happen to hold a complete packet is not genuine any more
    // by this rule; what matters is that whole and chunked decoding agree on it.
    Bytes outer;
    {
        std::vector<TagRead> filler = make_reads(rng, 3, kT0);
        Bytes inner = packet(7, make_reads(rng, 1, kT0), kT0);  // 56 bytes
        outer = packet(8, filler, kT0);
        // Claim 3 more records (72 bytes) holding the inner packet, then fix the CRC.
        outer[6] = 6;
        outer.insert(outer.end(), inner.begin(), inner.end());
        outer.resize(wire::packet_size(6), 0);
        std::memset(outer.data() + wire::kCrcOffset, 0, 4);
        const uint32_t crc = crc32c(0, outer.data(), outer.size());
        std::memcpy(outer.data() + wire::kCrcOffset, &crc, 4);
    }
    StreamDecoder a, b;
    const auto ra = decode_all(a, outer, outer.size());
    const auto rb = decode_all(b, outer, 1);
    CHECK(ra.size() == 1 && rb.size() == 1 && a.stats().header_bad_length == 1);
    for (const auto& counter : kDecodeStatCounters)
        CHECK(a.stats().*(counter.second) == b.stats().*(counter.second));
}

void test_reset() {
    std::mt19937 rng(13);
    const Stream s = make_stream(rng, 3);
    StreamDecoder d;
    Collected c;
    d.feed(s.bytes.data(), s.bytes.size() - 5, c);
    CHECK(d.buffered() > 0);
    d.reset();
    CHECK(d.buffered() == 0 && d.stats().bytes_fed == 0 && d.stats().packets_ok == 0);
    Collected again;
    d.feed(s.bytes.data(), s.bytes.size(), again);
    CHECK(same_reads(again.reads, s.reads));  // sequence window forgotten: no duplicates
}

}  // namespace

int main() {
    test_crc();
    test_layout();
    test_encode_errors();
    test_round_trip_and_chunking();
    test_feed_into_capacity();
    test_garbage();
    test_bit_flips();
    test_truncation();
    test_header_validation();
    test_record_validation();
    test_sequences();
    test_corrupt_record_count();
    test_reset();
    return check::finish();
}

#include "ghostedge/wire.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "ghostedge/crc32c.hpp"

namespace ghostedge {
namespace {

using namespace wire;

// Little-endian loads and stores. On little-endian hosts (x86-64, ARM64) these compile to a
// plain move; the swap only exists for big-endian hosts.
template <class T>
T load(const uint8_t* p) {
    T v;
    std::memcpy(&v, p, sizeof v);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    if constexpr (sizeof(T) == 2) v = static_cast<T>(__builtin_bswap16(static_cast<uint16_t>(v)));
    if constexpr (sizeof(T) == 4) v = static_cast<T>(__builtin_bswap32(static_cast<uint32_t>(v)));
    if constexpr (sizeof(T) == 8) v = static_cast<T>(__builtin_bswap64(static_cast<uint64_t>(v)));
#endif
    return v;
}

template <class T>
void store(uint8_t* p, T v) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    if constexpr (sizeof(T) == 2) v = static_cast<T>(__builtin_bswap16(static_cast<uint16_t>(v)));
    if constexpr (sizeof(T) == 4) v = static_cast<T>(__builtin_bswap32(static_cast<uint32_t>(v)));
    if constexpr (sizeof(T) == 8) v = static_cast<T>(__builtin_bswap64(static_cast<uint64_t>(v)));
#endif
    std::memcpy(p, &v, sizeof v);
}

// Header field offsets.
constexpr size_t kOffMagic = 0, kOffVersion = 4, kOffFlags = 5, kOffCount = 6, kOffSequence = 8,
                 kOffReserved = 12, kOffCaptureTime = 16, kOffReserved2 = 28;
// Record field offsets.
constexpr size_t kRecTag = 0, kRecOffset = 4, kRecX = 8, kRecY = 12, kRecZ = 16, kRecQuality = 20,
                 kRecFlags = 21, kRecReserved = 22;

constexpr double kYardsPerMm = 1.0 / kMillimetresPerYard;

bool in_window(int32_t v, int32_t lo, int32_t hi) { return v >= lo && v <= hi; }

// Yards -> mm, rounded to nearest; false when not finite or outside [lo, hi] mm.
bool to_millimetres(float yards, int32_t lo, int32_t hi, int32_t& mm) {
    const double v = std::nearbyint(static_cast<double>(yards) * kMillimetresPerYard);
    if (!(v >= lo && v <= hi)) return false;  // also false for NaN
    mm = static_cast<int32_t>(v);
    return true;
}

// CRC-32C of a whole packet with its crc32c field taken as zero.
uint32_t packet_crc(const uint8_t* p, size_t size) {
    static constexpr uint8_t kZeros[4] = {0, 0, 0, 0};
    uint32_t c = crc32c(0, p, kCrcOffset);
    c = crc32c(c, kZeros, 4);
    return crc32c(c, p + kCrcOffset + 4, size - kCrcOffset - 4);
}

bool is_magic_prefix(const uint8_t* p, size_t n) { return std::memcmp(p, kMagicBytes, n) == 0; }

enum class HeaderCheck { ok, bad_version, bad_count, bad_reserved, bad_time };

// The header checks, in the documented order (magic already matched; 32 bytes readable).
HeaderCheck check_header(const uint8_t* h) {
    if (h[kOffVersion] != kVersion) return HeaderCheck::bad_version;
    if (load<uint16_t>(h + kOffCount) > kMaxRecords) return HeaderCheck::bad_count;
    if (h[kOffFlags] != 0 || load<uint32_t>(h + kOffReserved) != 0 ||
        load<uint32_t>(h + kOffReserved2) != 0)
        return HeaderCheck::bad_reserved;
    const auto capture_time_us = load<int64_t>(h + kOffCaptureTime);
    if (capture_time_us < kMinCaptureTimeUs || capture_time_us >= kMaxCaptureTimeUs)
        return HeaderCheck::bad_time;
    return HeaderCheck::ok;
}

}  // namespace

bool read_header(const uint8_t* data, size_t n, PacketHeader& out) {
    if (n < kHeaderSize || load<uint32_t>(data + kOffMagic) != kMagic) return false;
    out.version = data[kOffVersion];
    out.flags = data[kOffFlags];
    out.record_count = load<uint16_t>(data + kOffCount);
    out.sequence = load<uint32_t>(data + kOffSequence);
    out.reserved = load<uint32_t>(data + kOffReserved);
    out.capture_time_us = load<int64_t>(data + kOffCaptureTime);
    out.crc32c = load<uint32_t>(data + kCrcOffset);
    out.reserved2 = load<uint32_t>(data + kOffReserved2);
    return true;
}

const char* to_string(EncodeStatus status) {
    switch (status) {
        case EncodeStatus::ok: return "ok";
        case EncodeStatus::too_many_records: return "more than 1024 reads in one packet";
        case EncodeStatus::bad_capture_time:
            return "capture_time_us outside [0, 4102444800000000) (1970..2100)";
        case EncodeStatus::bad_tag_id: return "tag_id is 0 (reserved as invalid)";
        case EncodeStatus::bad_blink_time:
            return "time_us differs from capture_time_us by more than 10 s";
        case EncodeStatus::bad_x: return "x outside [-50, 170] yd or not finite";
        case EncodeStatus::bad_y: return "y outside [-50, 100] yd or not finite";
        case EncodeStatus::bad_z: return "z outside [-10, 60] yd or not finite";
    }
    return "unknown";
}

EncodeResult encode_packet(uint32_t sequence, int64_t capture_time_us, const TagRead* reads,
                           size_t n, std::vector<uint8_t>& out) {
    if (n > kMaxRecords) return {EncodeStatus::too_many_records, 0};
    if (capture_time_us < kMinCaptureTimeUs || capture_time_us >= kMaxCaptureTimeUs)
        return {EncodeStatus::bad_capture_time, 0};

    const size_t start = out.size();
    const size_t size = packet_size(n);
    out.resize(start + size);
    uint8_t* p = out.data() + start;
    std::memset(p, 0, kHeaderSize);
    store<uint32_t>(p + kOffMagic, kMagic);
    p[kOffVersion] = kVersion;
    store<uint16_t>(p + kOffCount, static_cast<uint16_t>(n));
    store<uint32_t>(p + kOffSequence, sequence);
    store<int64_t>(p + kOffCaptureTime, capture_time_us);

    for (size_t i = 0; i < n; ++i) {
        const TagRead& r = reads[i];
        EncodeStatus bad = EncodeStatus::ok;
        int32_t x = 0, y = 0, z = 0;
        // Time difference in 128-bit-safe form: both sides are bounded before subtracting.
        const bool time_ok = r.time_us >= capture_time_us - kMaxBlinkOffsetUs &&
                             r.time_us <= capture_time_us + kMaxBlinkOffsetUs;
        if (r.tag_id == 0) bad = EncodeStatus::bad_tag_id;
        else if (!time_ok) bad = EncodeStatus::bad_blink_time;
        else if (!to_millimetres(r.x, kMinXMm, kMaxXMm, x)) bad = EncodeStatus::bad_x;
        else if (!to_millimetres(r.y, kMinYMm, kMaxYMm, y)) bad = EncodeStatus::bad_y;
        else if (!to_millimetres(r.z, kMinZMm, kMaxZMm, z)) bad = EncodeStatus::bad_z;
        if (bad != EncodeStatus::ok) {
            out.resize(start);
            return {bad, i};
        }
        uint8_t* rec = p + kHeaderSize + i * kRecordSize;
        store<uint32_t>(rec + kRecTag, r.tag_id);
        store<int32_t>(rec + kRecOffset, static_cast<int32_t>(r.time_us - capture_time_us));
        store<int32_t>(rec + kRecX, x);
        store<int32_t>(rec + kRecY, y);
        store<int32_t>(rec + kRecZ, z);
        rec[kRecQuality] = r.quality;
        rec[kRecFlags] = 0;
        store<uint16_t>(rec + kRecReserved, 0);
    }
    store<uint32_t>(p + kCrcOffset, packet_crc(p, size));
    return {};
}

StreamDecoder::StreamDecoder()
    : buffer_(2 * kMaxPacketSize), scratch_(kMaxRecords), window_(kSequenceWindow) {}

void StreamDecoder::reset() {
    buffered_ = 0;
    std::fill(window_.begin(), window_.end(), SequenceSlot{});
    have_sequence_ = false;
    newest_sequence_ = 0;
    resume_scan_ = false;
    stats_ = DecodeStats{};
}

StreamDecoder::SequenceVerdict StreamDecoder::check_sequence(uint32_t sequence, uint32_t crc) {
    SequenceSlot& slot = window_[sequence % kSequenceWindow];
    if (!have_sequence_) {
        have_sequence_ = true;
        newest_sequence_ = sequence;
        slot = {sequence, crc, true, false};
        return SequenceVerdict::fresh;
    }
    // Serial-number arithmetic: the signed distance from the newest sequence, modulo 2^32.
    const uint32_t forward = sequence - newest_sequence_;
    const int64_t distance = forward < 0x80000000u ? int64_t(forward) : int64_t(forward) - (int64_t(1) << 32);
    if (slot.used && slot.sequence == sequence && slot.crc == crc && distance > -int64_t(kSequenceWindow))
        return SequenceVerdict::duplicate;
    if (distance > 0) {
        // A forward gap within the window: the sequences skipped are missing until they
        // arrive. A longer jump is a restart of the sender's count, not a loss we can size.
        if (distance <= int64_t(kSequenceWindow)) {
            for (uint32_t q = newest_sequence_ + 1; q != sequence; ++q)
                window_[q % kSequenceWindow] = {q, 0, false, true};
            stats_.packets_missing += static_cast<uint64_t>(distance - 1);
        }
        newest_sequence_ = sequence;
        slot = {sequence, crc, true, false};
        return SequenceVerdict::fresh;
    }
    if (distance > -int64_t(kSequenceWindow)) {
        if (slot.missing && slot.sequence == sequence) --stats_.packets_missing;  // gap filled
        slot = {sequence, crc, true, false};
        return SequenceVerdict::reordered;
    }
    // Far behind the window: the sender restarted (or its counter jumped). Start over.
    std::fill(window_.begin(), window_.end(), SequenceSlot{});
    newest_sequence_ = sequence;
    window_[sequence % kSequenceWindow] = {sequence, crc, true, false};
    return SequenceVerdict::reset;
}

size_t StreamDecoder::decode_records(const uint8_t* records, size_t count, int64_t capture_time_us) {
    size_t written = 0;
    TagRead* out = scratch_.data();
    for (size_t i = 0; i < count; ++i) {
        const uint8_t* rec = records + i * kRecordSize;
        const auto tag = load<uint32_t>(rec + kRecTag);
        const auto offset = load<int32_t>(rec + kRecOffset);
        const auto x = load<int32_t>(rec + kRecX);
        const auto y = load<int32_t>(rec + kRecY);
        const auto z = load<int32_t>(rec + kRecZ);
        const uint8_t quality = rec[kRecQuality];
        const uint32_t reserved = rec[kRecFlags] | load<uint16_t>(rec + kRecReserved);
        if (tag == 0) {
            ++stats_.records_bad_tag;
        } else if (offset < -kMaxBlinkOffsetUs || offset > kMaxBlinkOffsetUs) {
            ++stats_.records_bad_time;
        } else if (!in_window(x, kMinXMm, kMaxXMm) || !in_window(y, kMinYMm, kMaxYMm) ||
                   !in_window(z, kMinZMm, kMaxZMm)) {
            ++stats_.records_bad_position;
        } else if (reserved != 0) {
            ++stats_.records_bad_reserved;
        } else {
            TagRead& r = out[written++];
            r.time_us = capture_time_us + offset;
            r.tag_id = tag;
            r.x = static_cast<float>(x * kYardsPerMm);
            r.y = static_cast<float>(y * kYardsPerMm);
            r.z = static_cast<float>(z * kYardsPerMm);
            r.quality = quality;
        }
    }
    stats_.records_ok += written;
    return written;
}

// Scans p[0..n) for packets; returns how many bytes it consumed. Unless `final`, it stops at
// an incomplete packet (or a partial magic) at the end, which the caller keeps for later.
StreamDecoder::NestedVerdict StreamDecoder::scan_nested(const uint8_t* c, size_t have,
                                                        size_t size, bool final,
                                                        NestedScan& scan) const {
    // have <= size bytes of the candidate c are readable. A nested packet must lie wholly
    // inside the claimed span [0, size). Only the span's bytes decide the verdict, and they are
    // examined in the same order whatever the chunking, so the counters do not depend on it.
    while (scan.checks < kMaxNestedChecks) {
        const size_t j = scan.next;
        if (j + kHeaderSize > size) return NestedVerdict::none;
        if (j + kHeaderSize > have) return final ? NestedVerdict::none : NestedVerdict::waiting;
        const size_t last = have - kHeaderSize;  // last position whose header is readable
        const void* g = std::memchr(c + j, kMagicBytes[0], last - j + 1);
        if (!g) {
            scan.next = last + 1;
            continue;
        }
        const size_t k = static_cast<size_t>(static_cast<const uint8_t*>(g) - c);
        scan.next = k + 1;
        if (load<uint32_t>(c + k + kOffMagic) != kMagic || check_header(c + k) != HeaderCheck::ok)
            continue;
        const size_t end = k + packet_size(load<uint16_t>(c + k + kOffCount));
        if (end > size) continue;  // runs past the span: not nested
        if (end > have) {
            if (final) continue;  // will never be complete
            scan.next = k;        // examine it again once its bytes are here
            return NestedVerdict::waiting;
        }
        ++scan.checks;
        if (packet_crc(c + k, end - k) == load<uint32_t>(c + k + kCrcOffset)) return NestedVerdict::found;
    }
    return NestedVerdict::none;
}

size_t StreamDecoder::process(const uint8_t* p, size_t n, bool final, ReadSink sink) {
    size_t i = 0;
    // The candidate at p[0] may be the one a previous call left waiting: resume its scan.
    const NestedScan resumed = resume_scan_ ? pending_scan_ : NestedScan{};
    resume_scan_ = false;
    // Rejects the candidate packet at i: skip its first byte and search again from there, so a
    // genuine packet that starts inside a damaged or cut-short one is still found.
    auto skip_candidate = [&] {
        ++stats_.bytes_skipped;
        ++i;
    };
    while (i < n) {
        const size_t avail = n - i;
        if (avail < 4) {
            if (!final && is_magic_prefix(p + i, avail)) break;
            skip_candidate();
            continue;
        }
        if (load<uint32_t>(p + i + kOffMagic) != kMagic) {
            const void* g = std::memchr(p + i + 1, kMagicBytes[0], avail - 1);
            const size_t next = g ? size_t(static_cast<const uint8_t*>(g) - p) : n;
            stats_.bytes_skipped += next - i;
            i = next;
            continue;
        }
        if (avail < kHeaderSize) {
            if (!final) break;
            ++stats_.packets_truncated;
            skip_candidate();
            continue;
        }
        const uint8_t* h = p + i;
        const HeaderCheck header = check_header(h);
        if (header != HeaderCheck::ok) {
            switch (header) {
                case HeaderCheck::bad_version: ++stats_.header_bad_version; break;
                case HeaderCheck::bad_count: ++stats_.header_bad_count; break;
                case HeaderCheck::bad_reserved: ++stats_.header_bad_reserved; break;
                case HeaderCheck::bad_time: ++stats_.header_bad_time; break;
                case HeaderCheck::ok: break;
            }
            ++stats_.packets_bad_header;
            skip_candidate();
            continue;
        }
        const uint16_t count = load<uint16_t>(h + kOffCount);
        const int64_t capture_time_us = load<int64_t>(h + kOffCaptureTime);
        const size_t size = packet_size(count);
        // A complete, CRC-valid packet inside the claimed span proves record_count corrupt:
        // reject now instead of waiting (up to 24 KB) for the CRC, which would hold back the
        // good packets behind a damaged header.
        NestedScan scan = i == 0 ? resumed : NestedScan{};
        const NestedVerdict nested = scan_nested(h, std::min(avail, size), size, final, scan);
        if (nested == NestedVerdict::found) {
            ++stats_.header_bad_length;
            ++stats_.packets_bad_header;
            skip_candidate();
            continue;
        }
        if (avail < size) {
            if (!final) {
                pending_scan_ = scan;
                resume_scan_ = true;
                break;
            }
            ++stats_.packets_truncated;
            skip_candidate();
            continue;
        }
        const uint32_t crc = load<uint32_t>(h + kCrcOffset);
        if (packet_crc(h, size) != crc) {
            ++stats_.packets_bad_crc;
            skip_candidate();
            continue;
        }
        stats_.bytes_accepted += size;
        i += size;
        switch (check_sequence(load<uint32_t>(h + kOffSequence), crc)) {
            case SequenceVerdict::duplicate: ++stats_.packets_duplicate; continue;
            case SequenceVerdict::reordered: ++stats_.packets_reordered; break;
            case SequenceVerdict::reset: ++stats_.sequence_resets; break;
            case SequenceVerdict::fresh: break;
        }
        ++stats_.packets_ok;
        const size_t decoded = decode_records(h + kHeaderSize, count, capture_time_us);
        sink.emit(sink.context, scratch_.data(), decoded);
    }
    return i;
}

void StreamDecoder::feed(const uint8_t* data, size_t n, ReadSink sink) {
    stats_.bytes_fed += n;
    size_t pos = 0;
    // Bytes left over from the previous call: complete that packet through the buffer.
    while (buffered_ > 0 && pos < n) {
        const size_t before = buffered_;
        const size_t take = std::min(n - pos, buffer_.size() - buffered_);
        std::memcpy(buffer_.data() + buffered_, data + pos, take);
        buffered_ += take;
        pos += take;
        const size_t used = process(buffer_.data(), buffered_, false, sink);
        if (used >= before) {
            // Everything old is consumed: hand the rest back to the input, no more copying.
            pos -= buffered_ - used;
            buffered_ = 0;
        } else {
            std::memmove(buffer_.data(), buffer_.data() + used, buffered_ - used);
            buffered_ -= used;
        }
    }
    if (pos < n) {
        const size_t used = process(data + pos, n - pos, false, sink);
        // process() only leaves an incomplete packet behind: fewer than kMaxPacketSize bytes.
        buffered_ = n - pos - used;
        std::memcpy(buffer_.data(), data + pos + used, buffered_);
    }
}

void StreamDecoder::finish(ReadSink sink) {
    process(buffer_.data(), buffered_, true, sink);
    buffered_ = 0;
    resume_scan_ = false;
}

namespace {
struct BufferSink {
    TagRead* out;
    size_t capacity;
    size_t written;
    uint64_t* dropped;
    static void emit(void* ctx, const TagRead* reads, size_t n) {
        auto* self = static_cast<BufferSink*>(ctx);
        const size_t fit = std::min(n, self->capacity - self->written);
        std::memcpy(self->out + self->written, reads, fit * sizeof(TagRead));
        self->written += fit;
        *self->dropped += n - fit;
    }
};
}  // namespace

size_t StreamDecoder::feed(const uint8_t* data, size_t n, TagRead* out, size_t capacity) {
    BufferSink sink{out, capacity, 0, &stats_.reads_dropped_full};
    feed(data, n, ReadSink{&sink, &BufferSink::emit});
    return sink.written;
}

size_t StreamDecoder::finish(TagRead* out, size_t capacity) {
    BufferSink sink{out, capacity, 0, &stats_.reads_dropped_full};
    finish(ReadSink{&sink, &BufferSink::emit});
    return sink.written;
}

}  // namespace ghostedge

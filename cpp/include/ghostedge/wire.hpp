#pragma once
// The tag-read packet format (docs/wire-format.md): an encoder and a streaming decoder.
//
// Packet = 32-byte header + record_count x 24-byte records, all integers little-endian.
// The decoder takes arbitrary byte chunks (file reads, UDP datagrams), finds packets by their
// magic, validates every field, drops exact duplicates, and counts every rejection by reason.
// Its buffers are allocated once in the constructor: feed() never allocates.
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

namespace ghostedge {

// One decoded tag read: one blink of one UWB tag. Plain and trivially copyable; Python sees it
// as the numpy structured dtype ghostedge.wire.READ_DTYPE. Layout (32 bytes, alignment 8):
//   offset 0  time_us  int64    blink time, UTC microseconds since the Unix epoch
//   offset 8  tag_id   uint32   never 0
//   offset 12 x        float32  yards along the field (NGS: 0..120 including end zones)
//   offset 16 y        float32  yards across the field (NGS: 0..53.3)
//   offset 20 z        float32  yards above the ground
//   offset 24 quality  uint8    0 = worst .. 255 = best
//   offset 25..31      padding
struct TagRead {
    int64_t time_us;
    uint32_t tag_id;
    float x, y, z;
    uint8_t quality;
};
static_assert(std::is_trivially_copyable_v<TagRead> && std::is_standard_layout_v<TagRead>);
static_assert(sizeof(TagRead) == 32 && alignof(TagRead) == 8);
static_assert(offsetof(TagRead, tag_id) == 8 && offsetof(TagRead, x) == 12 &&
              offsetof(TagRead, y) == 16 && offsetof(TagRead, z) == 20 &&
              offsetof(TagRead, quality) == 24);

namespace wire {
inline constexpr uint8_t kMagicBytes[4] = {'G', 'E', 'T', 'R'};
inline constexpr uint32_t kMagic = 0x52544547u;  // the bytes "GETR" read as a little-endian u32
inline constexpr uint8_t kVersion = 1;
inline constexpr size_t kHeaderSize = 32;
inline constexpr size_t kRecordSize = 24;
inline constexpr size_t kMaxRecords = 1024;
inline constexpr size_t kCrcOffset = 24;  // header offset of the crc32c field
inline constexpr size_t kMaxPacketSize = kHeaderSize + kRecordSize * kMaxRecords;
constexpr size_t packet_size(size_t record_count) { return kHeaderSize + kRecordSize * record_count; }

inline constexpr double kMillimetresPerYard = 914.4;
// |blink time - capture time| limit: a hub never holds a blink this long.
inline constexpr int32_t kMaxBlinkOffsetUs = 10'000'000;
// Coordinate validity window (mm). Wide enough for sidelines, bench areas, behind the end lines
// and a ball kicked high; anything outside is a corrupt record, not a player.
inline constexpr int32_t kMinXMm = -45'720, kMaxXMm = 155'448;  // x in [-50, 170] yd
inline constexpr int32_t kMinYMm = -45'720, kMaxYMm = 91'440;   // y in [-50, 100] yd
inline constexpr int32_t kMinZMm = -9'144, kMaxZMm = 54'864;    // z in [-10, 60] yd
// capture_time_us window: [1970-01-01, 2100-01-01). Also keeps capture + offset from overflowing.
inline constexpr int64_t kMinCaptureTimeUs = 0;
inline constexpr int64_t kMaxCaptureTimeUs = 4'102'444'800'000'000;
// How many recent sequence numbers the decoder remembers to drop exact duplicates (and to
// account for packets missing from forward gaps).
inline constexpr uint32_t kSequenceWindow = 1024;
// At most this many packets nested inside one candidate's claimed span are CRC-checked to
// prove its record_count corrupt (bounds the work an adversarial stream can cause).
inline constexpr uint32_t kMaxNestedChecks = 4;
}  // namespace wire

enum class EncodeStatus : uint8_t {
    ok,
    too_many_records,   // more than wire::kMaxRecords reads
    bad_capture_time,   // capture_time_us outside the header window
    bad_tag_id,         // tag_id == 0
    bad_blink_time,     // |time_us - capture_time_us| > wire::kMaxBlinkOffsetUs
    bad_x,              // x outside the window, or not finite
    bad_y,
    bad_z,
};
const char* to_string(EncodeStatus status);

// The header fields of a packet as they are on the wire (docs/wire-format.md), unvalidated.
struct PacketHeader {
    uint8_t version = 0;
    uint8_t flags = 0;
    uint16_t record_count = 0;
    uint32_t sequence = 0;
    uint32_t reserved = 0;
    int64_t capture_time_us = 0;
    uint32_t crc32c = 0;
    uint32_t reserved2 = 0;
};

// Reads the header at the start of data[0..n): false when n < kHeaderSize or the magic is
// absent. No other check: the decoder validates; this is for tools that take packets apart.
bool read_header(const uint8_t* data, size_t n, PacketHeader& out);

struct EncodeResult {
    EncodeStatus status = EncodeStatus::ok;
    size_t index = 0;  // the offending read for the per-read statuses
    bool ok() const { return status == EncodeStatus::ok; }
};

// Appends one packet holding reads[0..n) to `out`. Coordinates are rounded to the nearest mm.
// Reads outside the format's ranges are an error (nothing is appended), never clamped.
EncodeResult encode_packet(uint32_t sequence, int64_t capture_time_us, const TagRead* reads,
                           size_t n, std::vector<uint8_t>& out);

// Decoder counters. Invariant: bytes_fed == bytes_accepted + bytes_skipped + buffered().
struct DecodeStats {
    uint64_t bytes_fed = 0;
    uint64_t bytes_accepted = 0;      // bytes of packets that passed header and CRC checks
    uint64_t bytes_skipped = 0;       // every other byte: garbage and rejected candidates
    uint64_t packets_ok = 0;          // decoded (includes packets_reordered)
    uint64_t packets_bad_header = 0;  // sum of the five below
    uint64_t header_bad_version = 0;
    uint64_t header_bad_count = 0;     // record_count > 1024
    uint64_t header_bad_reserved = 0;  // flags or reserved fields not zero
    uint64_t header_bad_time = 0;      // capture_time_us outside the window
    uint64_t header_bad_length = 0;    // record_count claims a span that holds a complete,
                                       // CRC-valid packet: the count is corrupt
    uint64_t packets_bad_crc = 0;
    uint64_t packets_truncated = 0;  // incomplete packet at finish()
    uint64_t packets_duplicate = 0;  // exact copy (same sequence and CRC) of a recent packet
    uint64_t packets_reordered = 0;  // accepted, but older than the newest sequence seen
    uint64_t sequence_resets = 0;    // sequence jumped back further than the window: restart
    uint64_t packets_missing = 0;    // net sequence numbers never received: skipped by forward
                                     // gaps of at most the window, minus late arrivals of them
    uint64_t records_ok = 0;
    uint64_t records_bad_tag = 0;       // tag_id == 0
    uint64_t records_bad_time = 0;      // |blink_offset_us| > 10 s
    uint64_t records_bad_position = 0;  // x, y or z outside the window
    uint64_t records_bad_reserved = 0;  // record flags or reserved not zero
    uint64_t reads_dropped_full = 0;    // decoded reads that did not fit the caller's buffer
};

// Names of the counters, in declaration order: the one list the bindings and docs use.
inline constexpr std::pair<const char*, uint64_t DecodeStats::*> kDecodeStatCounters[] = {
    {"bytes_fed", &DecodeStats::bytes_fed},
    {"bytes_accepted", &DecodeStats::bytes_accepted},
    {"bytes_skipped", &DecodeStats::bytes_skipped},
    {"packets_ok", &DecodeStats::packets_ok},
    {"packets_bad_header", &DecodeStats::packets_bad_header},
    {"header_bad_version", &DecodeStats::header_bad_version},
    {"header_bad_count", &DecodeStats::header_bad_count},
    {"header_bad_reserved", &DecodeStats::header_bad_reserved},
    {"header_bad_time", &DecodeStats::header_bad_time},
    {"header_bad_length", &DecodeStats::header_bad_length},
    {"packets_bad_crc", &DecodeStats::packets_bad_crc},
    {"packets_truncated", &DecodeStats::packets_truncated},
    {"packets_duplicate", &DecodeStats::packets_duplicate},
    {"packets_reordered", &DecodeStats::packets_reordered},
    {"sequence_resets", &DecodeStats::sequence_resets},
    {"packets_missing", &DecodeStats::packets_missing},
    {"records_ok", &DecodeStats::records_ok},
    {"records_bad_tag", &DecodeStats::records_bad_tag},
    {"records_bad_time", &DecodeStats::records_bad_time},
    {"records_bad_position", &DecodeStats::records_bad_position},
    {"records_bad_reserved", &DecodeStats::records_bad_reserved},
    {"reads_dropped_full", &DecodeStats::reads_dropped_full},
};

// Where decoded reads go: called once per accepted packet with its valid reads (n may be 0).
// The pointer is only valid during the call.
struct ReadSink {
    void* context;
    void (*emit)(void* context, const TagRead* reads, size_t n);
};

// Streaming decoder for one sender (sequence numbers are per sender). Not thread-safe: use one
// decoder per thread/stream.
class StreamDecoder {
public:
    StreamDecoder();

    // Decodes data[0..n) following everything fed before. A packet may be split across any
    // number of calls; a call may hold any number of packets. Bytes of an incomplete packet at
    // the end are kept (at most wire::kMaxPacketSize - 1 of them) until the next call.
    void feed(const uint8_t* data, size_t n, ReadSink sink);

    // Same, calling on_reads(const TagRead*, size_t) for each accepted packet.
    template <class F>
    void feed(const uint8_t* data, size_t n, F&& on_reads) {
        feed(data, n, make_sink(on_reads));
    }

    // Same, writing reads into out[0..capacity); returns how many were written. Reads that do
    // not fit are dropped and counted in reads_dropped_full: size `out` with max_reads(n).
    size_t feed(const uint8_t* data, size_t n, TagRead* out, size_t capacity);

    // End of stream: decodes what the buffer still holds; an incomplete packet there is counted
    // as truncated. The decoder is then ready for a new stream (the sequence window is kept).
    void finish(ReadSink sink);
    template <class F>
    void finish(F&& on_reads) {
        finish(make_sink(on_reads));
    }
    size_t finish(TagRead* out, size_t capacity);

    // Upper bound on the reads the next feed of n bytes (or finish(), n = 0) can produce.
    size_t max_reads(size_t n) const { return (buffered_ + n) / wire::kRecordSize; }

    // Forgets buffered bytes, the sequence window and the counters.
    void reset();

    const DecodeStats& stats() const { return stats_; }
    size_t buffered() const { return buffered_; }

private:
    template <class F>
    static ReadSink make_sink(F& on_reads) {
        return ReadSink{static_cast<void*>(&on_reads), [](void* ctx, const TagRead* r, size_t k) {
                            (*static_cast<F*>(ctx))(r, k);
                        }};
    }

    enum class SequenceVerdict { fresh, reordered, duplicate, reset };
    SequenceVerdict check_sequence(uint32_t sequence, uint32_t crc);
    size_t process(const uint8_t* p, size_t n, bool final, ReadSink sink);
    size_t decode_records(const uint8_t* records, size_t count, int64_t capture_time_us);

    // Search of a candidate's claimed span for a nested complete, CRC-valid packet, which
    // proves the candidate's record_count corrupt. Positions are examined in order; the scan
    // waits at a nested packet that is not complete yet, and resumes there on the next feed
    // (so a candidate waiting for its bytes is not rescanned from its start every call).
    struct NestedScan {
        size_t next = 1;     // next offset (from the candidate's start) to examine
        uint32_t checks = 0; // nested packets CRC-checked so far (<= wire::kMaxNestedChecks)
    };
    enum class NestedVerdict { none, found, waiting };
    NestedVerdict scan_nested(const uint8_t* candidate, size_t have, size_t size, bool final,
                              NestedScan& scan) const;

    struct SequenceSlot {
        uint32_t sequence = 0;
        uint32_t crc = 0;
        bool used = false;     // this sequence was received
        bool missing = false;  // this sequence was skipped by a forward gap (and counted)
    };

    std::vector<uint8_t> buffer_;  // fixed size 2 * kMaxPacketSize
    size_t buffered_ = 0;
    std::vector<TagRead> scratch_;  // fixed size kMaxRecords: one packet's reads
    std::vector<SequenceSlot> window_;  // fixed size kSequenceWindow, indexed by sequence % size
    bool have_sequence_ = false;
    uint32_t newest_sequence_ = 0;
    // Scan state of the incomplete candidate kept at the start of buffer_ (valid while
    // resume_scan_ is true).
    NestedScan pending_scan_;
    bool resume_scan_ = false;
    DecodeStats stats_;
};

}  // namespace ghostedge

// Shared-memory output: each engine result written into one fixed-layout block that graphics
// engines on the same machine map and read (docs/shared-memory.md has the layout and a reader).
//
// One writer, any number of readers in any process. The block's `sequence` is a seqlock: odd
// while a frame is being written, even (and 2 x frames written) when it is complete. Every
// access to the frame area is an 8-byte atomic: the writer stores with release order after
// making the sequence odd, the reader loads with acquire order between two loads of the
// sequence and keeps the copy only when both are the same even number. No locks, no waiting
// for the writer: a reader that meets a write in progress retries.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ghostedge::shm {

inline constexpr uint32_t kMagic = 0x4D534547u;  // the bytes "GESM" (little-endian u32)
inline constexpr uint32_t kVersion = 1;
inline constexpr std::size_t kHeaderSize = 256;  // the first array starts here

// Byte offsets in the block (docs/shared-memory.md). All fields little-endian, 8-byte aligned
// where 8 bytes wide.
namespace off {
// Written once when the block is created (magic last), constant afterwards.
inline constexpr std::size_t kMagic = 0;          // u32
inline constexpr std::size_t kVersion = 4;        // u32
inline constexpr std::size_t kSequence = 8;       // u64, the seqlock
inline constexpr std::size_t kTotalSize = 16;     // u64, bytes of the block
inline constexpr std::size_t kHeaderSize = 24;    // u32
inline constexpr std::size_t kMaxDefenders = 28;  // u32
inline constexpr std::size_t kMaxReceivers = 32;  // u32
inline constexpr std::size_t kMaxHorizon = 36;    // u32
inline constexpr std::size_t kArrayOffsets = 40;  // u32 x 7: defender_ids .. metric
inline constexpr std::size_t kWriterPid = 68;     // u32
// The frame (under the seqlock).
inline constexpr std::size_t kFrame = 128;
inline constexpr std::size_t kFrameId = 128;           // i64
inline constexpr std::size_t kTimeUs = 136;            // i64
inline constexpr std::size_t kResultSequence = 144;    // u64, the engine's publication number
inline constexpr std::size_t kTickMonotonicNs = 152;   // i64, CLOCK_MONOTONIC at the frame's tick
inline constexpr std::size_t kWriteMonotonicNs = 160;  // i64, CLOCK_MONOTONIC at this write
inline constexpr std::size_t kNDefenders = 168;        // u32
inline constexpr std::size_t kNReceivers = 172;        // u32
inline constexpr std::size_t kHorizon = 176;           // u32
inline constexpr std::size_t kFlags = 180;             // u32, bit 0: ok
inline constexpr std::size_t kPhase = 184;             // i32, 0 pre_throw, 1 in_air, 2 arrived
inline constexpr std::size_t kTargetIndex = 188;       // i32, -1 none
inline constexpr std::size_t kTargetNflId = 192;       // i64, -1 none
inline constexpr std::size_t kPassForwardFrame = 200;  // i64, -1 none
inline constexpr std::size_t kPassArrivedFrame = 208;  // i64, -1 none
inline constexpr std::size_t kDtS = 216;               // f64
inline constexpr std::size_t kBallX = 224;             // f64
inline constexpr std::size_t kBallY = 232;             // f64
inline constexpr std::size_t kChecksum = 240;          // u64, FNV-1a over the frame's words
inline constexpr std::size_t kReserved = 248;          // u64, 0 (then the arrays, from kHeaderSize)
}  // namespace off

inline constexpr uint32_t kFlagOk = 1u;

struct Dims {
    uint32_t max_defenders = 11;
    uint32_t max_receivers = 11;
    uint32_t max_horizon = 10;
};

// Where each array lives (bytes from the block's start) and the block's size.
struct Layout {
    Dims dims;
    std::size_t defender_ids, receiver_ids, defender_xy, receiver_xy, mean, sigma, metric;
    std::size_t total_size;
    static Layout of(Dims d);  // throws std::invalid_argument on a zero or too large dimension
};

// One frame as the writer hands it over: arrays dense (row-major over the counts:
// mean[d][r][k][xy]); they are written into the block's fixed-stride arrays.
struct FrameIn {
    int64_t frame_id = -1, time_us = 0;
    uint64_t result_sequence = 0;
    int64_t tick_monotonic_ns = 0;
    uint32_t n_defenders = 0, n_receivers = 0, horizon = 0, flags = 0;
    int32_t phase = 0, target_index = -1;
    int64_t target_nfl_id = -1, pass_forward_frame = -1, pass_arrived_frame = -1;
    double dt_s = 0.1, ball_x = 0, ball_y = 0;
    const int64_t* defender_ids = nullptr;  // [n_defenders]
    const int64_t* receiver_ids = nullptr;  // [n_receivers]
    const double* defender_xy = nullptr;    // [n_defenders][2]
    const double* receiver_xy = nullptr;    // [n_receivers][2]
    const double* mean = nullptr;           // [n_defenders][n_receivers][horizon][2]
    const double* sigma = nullptr;          // same
    const double* metric = nullptr;         // [n_defenders][n_receivers]
};

// The seqlock writer over a block of memory (shared or not) of at least Layout::total_size.
class BlockWriter {
public:
    BlockWriter(void* base, std::size_t size, Dims dims);  // writes the constant header
    // Writes one frame; false (nothing written) when a count exceeds the block's dimensions
    // or an array pointer is missing. Never blocks.
    bool write(const FrameIn& frame) noexcept;
    uint64_t frames_written() const noexcept { return frames_; }
    const Layout& layout() const noexcept { return layout_; }

private:
    unsigned char* base_;
    Layout layout_;
    uint64_t frames_ = 0;
};

// A consistent copy of the frame area, [off::kFrame, total_size), as 8-byte words.
class FrameCopy {
public:
    int64_t i64(std::size_t offset) const noexcept;
    uint32_t u32(std::size_t offset) const noexcept;
    int32_t i32(std::size_t offset) const noexcept;
    double f64(std::size_t offset) const noexcept;
    // Element i of the 8-byte array at `array_offset` (a Layout offset).
    int64_t array_i64(std::size_t array_offset, std::size_t i) const noexcept;
    double array_f64(std::size_t array_offset, std::size_t i) const noexcept;
    std::vector<uint64_t> words;  // words[k] is the block's word at off::kFrame + 8 k
};

// The seqlock reader over a mapped block.
class BlockReader {
public:
    BlockReader(const void* base, std::size_t size);  // throws std::runtime_error: no/bad block
    // Copies the newest complete frame into `out`; returns the number of retries it took
    // (writes met in progress), or -1 after max_tries attempts without a consistent copy, or
    // when nothing has been written yet (sequence 0).
    int read(FrameCopy& out, int max_tries = 10000) const noexcept;
    uint64_t sequence() const noexcept;  // the seqlock's current value (frames written x 2)
    const Layout& layout() const noexcept { return layout_; }

private:
    const unsigned char* base_;
    Layout layout_;
};

// FNV-1a 64 over the frame's words (docs/shared-memory.md): the frame fields before the
// checksum, then each array's used elements in index order.
uint64_t frame_checksum(const FrameCopy& copy, const Layout& layout) noexcept;

// A POSIX shared-memory object mapped into this process. The creator owns the name and
// unlinks it when destroyed; readers map it read-only.
class SharedMemory {
public:
    // Creates `name` ("/" prefixed when missing; an old object of that name is replaced),
    // `size` bytes, mode 0644. Throws std::system_error.
    static SharedMemory create(const std::string& name, std::size_t size);
    static SharedMemory open_read_only(const std::string& name);  // throws std::system_error
    SharedMemory(SharedMemory&& other) noexcept;
    SharedMemory& operator=(SharedMemory&& other) noexcept;
    SharedMemory(const SharedMemory&) = delete;
    SharedMemory& operator=(const SharedMemory&) = delete;
    ~SharedMemory();
    void* data() const noexcept { return data_; }
    std::size_t size() const noexcept { return size_; }
    const std::string& name() const noexcept { return name_; }
    void close() noexcept;  // unmaps (and unlinks, if the owner); idempotent

    SharedMemory() = default;  // maps nothing

private:
    std::string name_;
    void* data_ = nullptr;
    std::size_t size_ = 0;
    bool owner_ = false;
};

std::string normalize_name(const std::string& name);  // "/" prefix; throws std::invalid_argument

}  // namespace ghostedge::shm

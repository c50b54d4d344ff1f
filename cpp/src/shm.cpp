#include "ghostedge/shm.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <utility>

namespace ghostedge::shm {

namespace {

constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ull;
constexpr uint64_t kFnvPrime = 0x100000001b3ull;
constexpr uint32_t kMaxDim = 4096;  // far beyond a roster; keeps every offset in 32 bits

// Every access to the frame area is an 8-byte atomic (GCC/Clang builtins on plain memory, so
// that the same code works on memory shared between processes).
inline uint64_t* word_ptr(unsigned char* base, std::size_t offset) {
    return reinterpret_cast<uint64_t*>(base + offset);
}
inline const uint64_t* word_ptr(const unsigned char* base, std::size_t offset) {
    return reinterpret_cast<const uint64_t*>(base + offset);
}
inline void store_word(unsigned char* base, std::size_t offset, uint64_t v) {
    __atomic_store_n(word_ptr(base, offset), v, __ATOMIC_RELEASE);
}
inline uint64_t bits_of(double v) {
    uint64_t b;
    std::memcpy(&b, &v, sizeof b);
    return b;
}
inline uint64_t bits_of(int64_t v) { return static_cast<uint64_t>(v); }
inline uint64_t pack_u32(uint32_t lo, uint32_t hi) {
    return static_cast<uint64_t>(lo) | (static_cast<uint64_t>(hi) << 32);
}
inline int64_t monotonic_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}
inline void fnv(uint64_t& h, uint64_t w) {
    h ^= w;
    h *= kFnvPrime;
}

// The used elements of every array, in index order: f(array offset, element index).
template <class F>
void for_each_used_element(const Layout& L, uint32_t nd, uint32_t nr, uint32_t h, F&& f) {
    const std::size_t R = L.dims.max_receivers, H = L.dims.max_horizon;
    for (uint32_t d = 0; d < nd; ++d) f(L.defender_ids, d);
    for (uint32_t r = 0; r < nr; ++r) f(L.receiver_ids, r);
    for (uint32_t d = 0; d < nd; ++d) {
        f(L.defender_xy, 2 * d);
        f(L.defender_xy, 2 * d + 1);
    }
    for (uint32_t r = 0; r < nr; ++r) {
        f(L.receiver_xy, 2 * r);
        f(L.receiver_xy, 2 * r + 1);
    }
    for (std::size_t a : {L.mean, L.sigma})
        for (uint32_t d = 0; d < nd; ++d)
            for (uint32_t r = 0; r < nr; ++r)
                for (uint32_t k = 0; k < h; ++k)
                    for (uint32_t c = 0; c < 2; ++c) f(a, ((d * R + r) * H + k) * 2 + c);
    for (uint32_t d = 0; d < nd; ++d)
        for (uint32_t r = 0; r < nr; ++r) f(L.metric, d * R + r);
}

}  // namespace

Layout Layout::of(Dims d) {
    if (d.max_defenders == 0 || d.max_receivers == 0 || d.max_horizon == 0 ||
        d.max_defenders > kMaxDim || d.max_receivers > kMaxDim || d.max_horizon > kMaxDim)
        throw std::invalid_argument("shared-memory block dimensions must be 1.." + std::to_string(kMaxDim));
    Layout L;
    L.dims = d;
    const std::size_t D = d.max_defenders, R = d.max_receivers, H = d.max_horizon;
    std::size_t at = kHeaderSize;
    auto take = [&at](std::size_t words) {
        const std::size_t here = at;
        at += 8 * words;
        return here;
    };
    L.defender_ids = take(D);
    L.receiver_ids = take(R);
    L.defender_xy = take(2 * D);
    L.receiver_xy = take(2 * R);
    L.mean = take(D * R * H * 2);
    L.sigma = take(D * R * H * 2);
    L.metric = take(D * R);
    L.total_size = at;
    if (L.total_size > 0xFFFFFFFFull)
        throw std::invalid_argument("shared-memory block dimensions too large");
    return L;
}

// ------------------------------------------------------------------------------------------
// Writer

BlockWriter::BlockWriter(void* base, std::size_t size, Dims dims)
    : base_(static_cast<unsigned char*>(base)), layout_(Layout::of(dims)) {
    if (size < layout_.total_size)
        throw std::invalid_argument("shared-memory block of " + std::to_string(size) + " bytes, needs " +
                                    std::to_string(layout_.total_size));
    // The constant header, magic last (release): a reader that sees the magic sees the rest.
    __atomic_store_n(reinterpret_cast<uint32_t*>(base_ + off::kMagic), 0u, __ATOMIC_RELAXED);
    std::memset(base_ + 4, 0, layout_.total_size - 4);
    auto put32 = [this](std::size_t o, uint32_t v) { std::memcpy(base_ + o, &v, 4); };
    auto put64 = [this](std::size_t o, uint64_t v) { std::memcpy(base_ + o, &v, 8); };
    put32(off::kVersion, kVersion);
    put64(off::kTotalSize, layout_.total_size);
    put32(off::kHeaderSize, static_cast<uint32_t>(kHeaderSize));
    put32(off::kMaxDefenders, dims.max_defenders);
    put32(off::kMaxReceivers, dims.max_receivers);
    put32(off::kMaxHorizon, dims.max_horizon);
    const std::size_t arrays[7] = {layout_.defender_ids, layout_.receiver_ids, layout_.defender_xy,
                                   layout_.receiver_xy, layout_.mean, layout_.sigma, layout_.metric};
    for (int i = 0; i < 7; ++i) put32(off::kArrayOffsets + 4 * i, static_cast<uint32_t>(arrays[i]));
    put32(off::kWriterPid, static_cast<uint32_t>(getpid()));
    __atomic_store_n(reinterpret_cast<uint32_t*>(base_ + off::kMagic), kMagic, __ATOMIC_RELEASE);
}

bool BlockWriter::write(const FrameIn& f) noexcept {
    const Dims& dims = layout_.dims;
    if (f.n_defenders > dims.max_defenders || f.n_receivers > dims.max_receivers ||
        f.horizon > dims.max_horizon)
        return false;
    const bool any = f.n_defenders > 0 || f.n_receivers > 0;
    if (any && (!f.defender_ids || !f.receiver_ids || !f.defender_xy || !f.receiver_xy || !f.mean ||
                !f.sigma || !f.metric))
        return false;
    uint64_t* seq = word_ptr(base_, off::kSequence);
    const uint64_t s = __atomic_load_n(seq, __ATOMIC_RELAXED);  // the one writer's own value
    __atomic_store_n(seq, s + 1, __ATOMIC_RELAXED);               // odd: a frame is being written
    // Every store below is a release: none can become visible before the odd sequence.
    uint64_t h = kFnvOffset;
    auto put = [&](std::size_t offset, uint64_t w) {
        store_word(base_, offset, w);
        fnv(h, w);
    };
    put(off::kFrameId, bits_of(f.frame_id));
    put(off::kTimeUs, bits_of(f.time_us));
    put(off::kResultSequence, f.result_sequence);
    put(off::kTickMonotonicNs, bits_of(f.tick_monotonic_ns));
    put(off::kWriteMonotonicNs, bits_of(monotonic_ns()));
    put(off::kNDefenders, pack_u32(f.n_defenders, f.n_receivers));
    put(off::kHorizon, pack_u32(f.horizon, f.flags));
    put(off::kPhase, pack_u32(static_cast<uint32_t>(f.phase), static_cast<uint32_t>(f.target_index)));
    put(off::kTargetNflId, bits_of(f.target_nfl_id));
    put(off::kPassForwardFrame, bits_of(f.pass_forward_frame));
    put(off::kPassArrivedFrame, bits_of(f.pass_arrived_frame));
    put(off::kDtS, bits_of(f.dt_s));
    put(off::kBallX, bits_of(f.ball_x));
    put(off::kBallY, bits_of(f.ball_y));
    // The arrays, in the order of for_each_used_element (the checksum's order).
    const Layout& L = layout_;
    const std::size_t nd = f.n_defenders, nr = f.n_receivers, hz = f.horizon;
    const std::size_t R = L.dims.max_receivers, H = L.dims.max_horizon;
    for (std::size_t d = 0; d < nd; ++d) put(L.defender_ids + 8 * d, bits_of(f.defender_ids[d]));
    for (std::size_t r = 0; r < nr; ++r) put(L.receiver_ids + 8 * r, bits_of(f.receiver_ids[r]));
    for (std::size_t i = 0; i < 2 * nd; ++i) put(L.defender_xy + 8 * i, bits_of(f.defender_xy[i]));
    for (std::size_t i = 0; i < 2 * nr; ++i) put(L.receiver_xy + 8 * i, bits_of(f.receiver_xy[i]));
    for (const auto& [array, src] : {std::pair{L.mean, f.mean}, std::pair{L.sigma, f.sigma}})
        for (std::size_t d = 0; d < nd; ++d)
            for (std::size_t r = 0; r < nr; ++r) {
                const double* in = src + (d * nr + r) * hz * 2;  // dense input
                const std::size_t at = array + 8 * ((d * R + r) * H * 2);  // fixed-stride block
                for (std::size_t k = 0; k < 2 * hz; ++k) put(at + 8 * k, bits_of(in[k]));
            }
    for (std::size_t d = 0; d < nd; ++d)
        for (std::size_t r = 0; r < nr; ++r) put(L.metric + 8 * (d * R + r), bits_of(f.metric[d * nr + r]));
    store_word(base_, off::kChecksum, h);
    __atomic_store_n(seq, s + 2, __ATOMIC_RELEASE);  // even: complete
    ++frames_;
    return true;
}

// ------------------------------------------------------------------------------------------
// Reader

int64_t FrameCopy::i64(std::size_t o) const noexcept {
    return static_cast<int64_t>(words[(o - off::kFrame) / 8]);
}
uint32_t FrameCopy::u32(std::size_t o) const noexcept {
    const uint64_t w = words[(o - off::kFrame) / 8];
    return static_cast<uint32_t>(o % 8 == 0 ? w : w >> 32);
}
int32_t FrameCopy::i32(std::size_t o) const noexcept { return static_cast<int32_t>(u32(o)); }
double FrameCopy::f64(std::size_t o) const noexcept {
    double v;
    std::memcpy(&v, &words[(o - off::kFrame) / 8], sizeof v);
    return v;
}
int64_t FrameCopy::array_i64(std::size_t a, std::size_t i) const noexcept { return i64(a + 8 * i); }
double FrameCopy::array_f64(std::size_t a, std::size_t i) const noexcept { return f64(a + 8 * i); }

BlockReader::BlockReader(const void* base, std::size_t size) : base_(static_cast<const unsigned char*>(base)) {
    if (size < kHeaderSize) throw std::runtime_error("shared-memory block too small for a ghostedge header");
    if (__atomic_load_n(reinterpret_cast<const uint32_t*>(base_ + off::kMagic), __ATOMIC_ACQUIRE) != kMagic)
        throw std::runtime_error("not a ghostedge shared-memory block (no GESM magic yet)");
    uint32_t version, d, r, h;
    std::memcpy(&version, base_ + off::kVersion, 4);
    if (version != kVersion)
        throw std::runtime_error("shared-memory layout version " + std::to_string(version) +
                                 ", this reader reads " + std::to_string(kVersion));
    std::memcpy(&d, base_ + off::kMaxDefenders, 4);
    std::memcpy(&r, base_ + off::kMaxReceivers, 4);
    std::memcpy(&h, base_ + off::kMaxHorizon, 4);
    layout_ = Layout::of(Dims{d, r, h});
    uint64_t total;
    std::memcpy(&total, base_ + off::kTotalSize, 8);
    if (total != layout_.total_size || size < total)
        throw std::runtime_error("shared-memory block size does not match its dimensions");
}

uint64_t BlockReader::sequence() const noexcept {
    return __atomic_load_n(word_ptr(base_, off::kSequence), __ATOMIC_ACQUIRE);
}

int BlockReader::read(FrameCopy& out, int max_tries) const noexcept {
    const std::size_t n_words = (layout_.total_size - off::kFrame) / 8;
    if (out.words.size() != n_words) out.words.assign(n_words, 0);  // once per reader
    const uint64_t* seq = word_ptr(base_, off::kSequence);
    const uint64_t* frame = word_ptr(base_, off::kFrame);
    for (int attempt = 0; attempt < max_tries; ++attempt) {
        // A writer preempted mid-write keeps the sequence odd for a scheduler slice: after a
        // few spins, let it run (a reader on its core would otherwise spin it out).
        if (attempt >= 64 && attempt % 16 == 0) std::this_thread::yield();
        const uint64_t s1 = __atomic_load_n(seq, __ATOMIC_ACQUIRE);
        if (s1 == 0) return -1;  // nothing written yet
        if (s1 & 1u) continue;   // a write in progress
        // Acquire loads: none may be reordered after the second sequence load below.
        for (std::size_t k = 0; k < n_words; ++k) out.words[k] = __atomic_load_n(frame + k, __ATOMIC_ACQUIRE);
        const uint64_t s2 = __atomic_load_n(seq, __ATOMIC_RELAXED);
        if (s1 == s2) return attempt;
    }
    return -1;
}

uint64_t frame_checksum(const FrameCopy& c, const Layout& L) noexcept {
    uint64_t h = kFnvOffset;
    for (std::size_t o = off::kFrame; o < off::kChecksum; o += 8) fnv(h, static_cast<uint64_t>(c.i64(o)));
    const uint32_t nd = c.u32(off::kNDefenders), nr = c.u32(off::kNReceivers), hz = c.u32(off::kHorizon);
    if (nd > L.dims.max_defenders || nr > L.dims.max_receivers || hz > L.dims.max_horizon) return ~h;
    for_each_used_element(L, nd, nr, hz, [&](std::size_t array, std::size_t i) {
        fnv(h, static_cast<uint64_t>(c.array_i64(array, i)));
    });
    return h;
}

// ------------------------------------------------------------------------------------------
// POSIX shared memory

std::string normalize_name(const std::string& name) {
    std::string n = (!name.empty() && name[0] == '/') ? name : "/" + name;
    if (n.size() < 2 || n.size() > 255 || n.find('/', 1) != std::string::npos)
        throw std::invalid_argument("shared-memory name must be 1..254 characters without '/': " + name);
    return n;
}

SharedMemory SharedMemory::create(const std::string& name, std::size_t size) {
    SharedMemory m;
    m.name_ = normalize_name(name);
    shm_unlink(m.name_.c_str());  // a block left by a writer that died: replace it
    const int fd = shm_open(m.name_.c_str(), O_CREAT | O_EXCL | O_RDWR, 0644);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "shm_open(" + m.name_ + ")");
    if (ftruncate(fd, static_cast<off_t>(size)) != 0) {
        const int e = errno;
        ::close(fd);
        shm_unlink(m.name_.c_str());
        throw std::system_error(e, std::generic_category(), "ftruncate(" + m.name_ + ")");
    }
    void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    const int e = errno;
    ::close(fd);
    if (p == MAP_FAILED) {
        shm_unlink(m.name_.c_str());
        throw std::system_error(e, std::generic_category(), "mmap(" + m.name_ + ")");
    }
    m.data_ = p;
    m.size_ = size;
    m.owner_ = true;
    return m;
}

SharedMemory SharedMemory::open_read_only(const std::string& name) {
    SharedMemory m;
    m.name_ = normalize_name(name);
    const int fd = shm_open(m.name_.c_str(), O_RDONLY, 0);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "shm_open(" + m.name_ + ")");
    struct stat st {};
    if (fstat(fd, &st) != 0 || st.st_size <= 0) {
        const int e = errno;
        ::close(fd);
        throw std::system_error(e, std::generic_category(), "fstat(" + m.name_ + ")");
    }
    const std::size_t size = static_cast<std::size_t>(st.st_size);
    void* p = mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
    const int e = errno;
    ::close(fd);
    if (p == MAP_FAILED) throw std::system_error(e, std::generic_category(), "mmap(" + m.name_ + ")");
    m.data_ = p;
    m.size_ = size;
    return m;
}

SharedMemory::SharedMemory(SharedMemory&& o) noexcept
    : name_(std::move(o.name_)), data_(o.data_), size_(o.size_), owner_(o.owner_) {
    o.data_ = nullptr;
    o.size_ = 0;
    o.owner_ = false;
}

SharedMemory& SharedMemory::operator=(SharedMemory&& o) noexcept {
    if (this != &o) {
        close();
        name_ = std::move(o.name_);
        data_ = o.data_;
        size_ = o.size_;
        owner_ = o.owner_;
        o.data_ = nullptr;
        o.size_ = 0;
        o.owner_ = false;
    }
    return *this;
}

SharedMemory::~SharedMemory() { close(); }

void SharedMemory::close() noexcept {
    if (data_ != nullptr) munmap(data_, size_);
    if (owner_) shm_unlink(name_.c_str());
    data_ = nullptr;
    size_ = 0;
    owner_ = false;
}

}  // namespace ghostedge::shm

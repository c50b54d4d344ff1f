#include "ghostedge/crc32c.hpp"

#include <array>
#include <cstring>

#if (defined(__x86_64__) || defined(_M_X64)) && (defined(__GNUC__) || defined(__clang__))
#define GHOSTEDGE_CRC32C_X86 1
#include <nmmintrin.h>
#endif

namespace ghostedge {
namespace {

constexpr uint32_t kPolynomial = 0x82F63B78u;  // reflected Castagnoli polynomial

using Tables = std::array<std::array<uint32_t, 256>, 8>;

// tables[k][b]: CRC of byte b followed by k zero bytes, for slicing-by-8.
constexpr Tables make_tables() {
    Tables t{};
    for (uint32_t b = 0; b < 256; ++b) {
        uint32_t c = b;
        for (int bit = 0; bit < 8; ++bit) c = (c & 1u) ? (c >> 1) ^ kPolynomial : c >> 1;
        t[0][b] = c;
    }
    for (size_t k = 1; k < 8; ++k)
        for (size_t b = 0; b < 256; ++b) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xFFu];
    return t;
}
constexpr Tables kTables = make_tables();

uint32_t load_le32(const uint8_t* p) {
    return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

// Raw CRC register update over n zero bytes, portable (used to build the shift tables).
uint32_t register_after_zeros(uint32_t reg, size_t n) {
    for (; n > 0; --n) reg = (reg >> 8) ^ kTables[0][reg & 0xFFu];
    return reg;
}

#ifdef GHOSTEDGE_CRC32C_X86
// The CRC32 instruction has a 3-cycle latency but a 1-cycle throughput, so long inputs are
// split into three interleaved lanes of kLane bytes each, combined afterwards. The register is
// linear over GF(2): reg(A || B) = shift(reg(A), |B|) ^ reg_from_zero(B), where shift() is
// "feed |B| zero bytes", tabulated here per byte of the register for |B| = kLane.
constexpr size_t kLane = 256;

struct LaneShift {
    uint32_t table[4][256];
    LaneShift() {
        uint32_t basis[32];
        for (int bit = 0; bit < 32; ++bit) basis[bit] = register_after_zeros(uint32_t(1) << bit, kLane);
        for (int k = 0; k < 4; ++k)
            for (uint32_t b = 0; b < 256; ++b) {
                uint32_t v = 0;
                for (int bit = 0; bit < 8; ++bit)
                    if (b & (1u << bit)) v ^= basis[8 * k + bit];
                table[k][b] = v;
            }
    }
    uint32_t operator()(uint32_t reg) const {
        return table[0][reg & 0xFFu] ^ table[1][(reg >> 8) & 0xFFu] ^ table[2][(reg >> 16) & 0xFFu] ^
               table[3][reg >> 24];
    }
};

__attribute__((target("sse4.2"))) uint32_t crc32c_sse42(uint32_t crc, const void* data, size_t n) {
    static const LaneShift shift;
    const auto* p = static_cast<const uint8_t*>(data);
    uint64_t c = ~crc;
    for (; n >= 3 * kLane; n -= 3 * kLane, p += 3 * kLane) {
        uint64_t c1 = 0, c2 = 0;
        for (size_t j = 0; j < kLane; j += 8) {
            uint64_t w0, w1, w2;
            std::memcpy(&w0, p + j, 8);
            std::memcpy(&w1, p + kLane + j, 8);
            std::memcpy(&w2, p + 2 * kLane + j, 8);
            c = _mm_crc32_u64(c, w0);
            c1 = _mm_crc32_u64(c1, w1);
            c2 = _mm_crc32_u64(c2, w2);
        }
        const uint32_t ab = shift(static_cast<uint32_t>(c)) ^ static_cast<uint32_t>(c1);
        c = shift(ab) ^ static_cast<uint32_t>(c2);
    }
    for (; n >= 8; n -= 8, p += 8) {
        uint64_t word;
        std::memcpy(&word, p, 8);
        c = _mm_crc32_u64(c, word);
    }
    auto c32 = static_cast<uint32_t>(c);
    for (; n > 0; --n, ++p) c32 = _mm_crc32_u8(c32, *p);
    return ~c32;
}
#endif

using CrcFunction = uint32_t (*)(uint32_t, const void*, size_t);

CrcFunction select_implementation() {
#ifdef GHOSTEDGE_CRC32C_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("sse4.2")) return crc32c_sse42;
#endif
    return crc32c_portable;
}

// A function-local static: initialised on first use, so callers from other static
// initialisers never see it unset.
CrcFunction implementation() {
    static const CrcFunction chosen = select_implementation();
    return chosen;
}

}  // namespace

uint32_t crc32c_portable(uint32_t crc, const void* data, size_t n) {
    const auto* p = static_cast<const uint8_t*>(data);
    uint32_t c = ~crc;
    for (; n >= 8; n -= 8, p += 8) {
        const uint32_t lo = load_le32(p) ^ c;
        const uint32_t hi = load_le32(p + 4);
        c = kTables[7][lo & 0xFFu] ^ kTables[6][(lo >> 8) & 0xFFu] ^ kTables[5][(lo >> 16) & 0xFFu] ^
            kTables[4][lo >> 24] ^ kTables[3][hi & 0xFFu] ^ kTables[2][(hi >> 8) & 0xFFu] ^
            kTables[1][(hi >> 16) & 0xFFu] ^ kTables[0][hi >> 24];
    }
    for (; n > 0; --n, ++p) c = (c >> 8) ^ kTables[0][(c ^ *p) & 0xFFu];
    return ~c;
}

uint32_t crc32c(uint32_t crc, const void* data, size_t n) { return implementation()(crc, data, n); }

bool crc32c_hardware() { return implementation() != &crc32c_portable; }

}  // namespace ghostedge

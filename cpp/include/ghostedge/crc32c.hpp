#pragma once
// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of the tag-read packets.
// Same convention as zlib's crc32(): pass the previous result to continue a running checksum,
// 0 to start. Check value: crc32c(0, "123456789", 9) == 0xE3069283.
#include <cstddef>
#include <cstdint>

namespace ghostedge {

// Fastest implementation for this CPU, chosen once at first use: the SSE4.2 CRC32 instruction
// on x86-64 CPUs that have it, otherwise portable slicing-by-8.
uint32_t crc32c(uint32_t crc, const void* data, size_t n);

// The portable slicing-by-8 implementation (always available; used by tests to cross-check).
uint32_t crc32c_portable(uint32_t crc, const void* data, size_t n);

// True when crc32c() uses the CPU's CRC32 instruction.
bool crc32c_hardware();

}  // namespace ghostedge

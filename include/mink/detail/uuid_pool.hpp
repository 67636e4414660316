// mink/detail/uuid_pool.hpp — version 4 UUIDs from CSPRNG bytes drawn in bulk.
//
// RAND_bytes costs ~0.7 µs per call on OpenSSL 3.0 whatever the size, which would dominate a
// command dispatch. PooledUUID() draws 4 KiB per call into a per-thread buffer and serves 16
// bytes at a time (~10 ns per UUID). The bytes are the same CSPRNG output NewUUID() uses. A
// fork() discards every thread's buffer (pthread_atfork bumps a generation), so a parent and
// child never hand out the same IDs. Thread safe. Defined in mink/uuid-inl.hpp.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "mink/uuid.hpp"

namespace mink::detail {

MINK_API std::string PooledUUID();
// The canonical text of 16 bytes with the version 4 and RFC 4122 variant bits set.
MINK_API std::string FormatUUID(std::array<uint8_t, 16> bytes);
// Fills `out` from OpenSSL's CSPRNG (kCryptoFailed when it cannot).
MINK_API void RandomBytes(uint8_t* out, std::size_t n);

}  // namespace mink::detail

// mink/uuid-inl.hpp — definitions for uuid.hpp and detail/uuid_pool.hpp (see
// mink/detail/config.hpp).
#pragma once

#ifndef MINK_HEADER_ONLY
#include "mink/detail/uuid_pool.hpp"
#include "mink/uuid.hpp"
#endif

#include <pthread.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>

#include <openssl/rand.h>

#include "mink/error.hpp"

namespace mink {

namespace detail {

MINK_INLINE void RandomBytes(uint8_t* out, std::size_t n) {
  if (RAND_bytes(out, static_cast<int>(n)) != 1) {
    throw Error(errc::kCryptoFailed, "CSPRNG failure");
  }
}

MINK_INLINE std::string FormatUUID(std::array<uint8_t, 16> b) {
  b[6] = static_cast<uint8_t>((b[6] & 0x0F) | 0x40);  // version 4
  b[8] = static_cast<uint8_t>((b[8] & 0x3F) | 0x80);  // RFC 4122 variant
  // Two hex digits per byte from one table lookup; dashes after bytes 4, 6, 8 and 10.
  static constexpr auto kPairs = [] {
    std::array<std::array<char, 2>, 256> t{};
    constexpr char kHex[] = "0123456789abcdef";
    for (int i = 0; i < 256; ++i) t[i] = {kHex[i >> 4], kHex[i & 0x0F]};
    return t;
  }();
  static constexpr std::array<uint8_t, 16> kOffset = {0,  2,  4,  6,  9,  11, 14, 16,
                                                      19, 21, 24, 26, 28, 30, 32, 34};
  std::string out(36, '-');
  for (std::size_t i = 0; i < 16; ++i) {
    out[kOffset[i]] = kPairs[b[i]][0];
    out[kOffset[i] + 1] = kPairs[b[i]][1];
  }
  return out;
}

MINK_INLINE std::atomic<uint64_t>& UuidPoolGeneration() {
  static std::atomic<uint64_t> generation{0};
  return generation;
}

MINK_INLINE void RegisterUuidPoolForkHandler() {
  static const bool registered = [] {
    pthread_atfork(nullptr, nullptr,
                   [] { UuidPoolGeneration().fetch_add(1, std::memory_order_relaxed); });
    return true;
  }();
  (void)registered;
}

MINK_INLINE std::string PooledUUID() {
  struct Pool {
    std::array<uint8_t, 4096> bytes{};
    std::size_t next = sizeof(bytes);
    uint64_t generation = 0;
  };
  thread_local Pool pool;
  RegisterUuidPoolForkHandler();
  const uint64_t generation = UuidPoolGeneration().load(std::memory_order_relaxed);
  if (pool.next + 16 > pool.bytes.size() || pool.generation != generation) {
    RandomBytes(pool.bytes.data(), pool.bytes.size());
    pool.next = 0;
    pool.generation = generation;
  }
  std::array<uint8_t, 16> b{};
  std::memcpy(b.data(), pool.bytes.data() + pool.next, b.size());
  std::memset(pool.bytes.data() + pool.next, 0, b.size());  // served bytes do not linger
  pool.next += b.size();
  return FormatUUID(b);
}

}  // namespace detail

MINK_INLINE std::string NewUUID() {
  std::array<uint8_t, 16> bytes{};
  detail::RandomBytes(bytes.data(), bytes.size());
  return detail::FormatUUID(bytes);
}

}  // namespace mink

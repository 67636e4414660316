// mink/uuid.hpp — random (version 4) UUIDs.
//
// NewUUID() draws its 122 random bits from OpenSSL's CSPRNG: use it for identifiers that must
// not be guessable (correlation IDs, aggregate IDs handed to clients). Thread safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include <openssl/rand.h>

#include "mink/error.hpp"

namespace mink {

namespace detail {
inline std::string FormatUUID(std::array<uint8_t, 16> b) {
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
}  // namespace detail

inline std::string NewUUID() {
  std::array<uint8_t, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw Error(errc::kUnknown, "CSPRNG failure while generating a UUID");
  }
  return detail::FormatUUID(bytes);
}

}  // namespace mink

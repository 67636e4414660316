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
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  std::size_t pos = 0;
  for (std::size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) ++pos;
    out[pos++] = kHex[b[i] >> 4];
    out[pos++] = kHex[b[i] & 0x0F];
  }
  return out;
}
}  // namespace detail

inline std::string NewUUID() {
  std::array<uint8_t, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw Error(ErrorCode::kUnknown, "CSPRNG failure while generating a UUID");
  }
  return detail::FormatUUID(bytes);
}

}  // namespace mink

// mink/detail/sha256-inl.hpp — definitions for sha256.hpp (see mink/detail/config.hpp).
#pragma once

#ifndef MINK_HEADER_ONLY
#include "mink/detail/sha256.hpp"
#endif

#include <openssl/evp.h>

#include "mink/error.hpp"

namespace mink::detail {

MINK_INLINE std::array<uint8_t, 32> Sha256(std::string_view data) {
  std::array<uint8_t, 32> digest{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &len, EVP_sha256(), nullptr) != 1 ||
      len != digest.size()) {
    throw Error(errc::kCryptoFailed, "SHA-256 failed");
  }
  return digest;
}

MINK_INLINE std::string Hex(const uint8_t* bytes, std::size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = kHex[bytes[i] >> 4];
    out[2 * i + 1] = kHex[bytes[i] & 0x0F];
  }
  return out;
}

}  // namespace mink::detail

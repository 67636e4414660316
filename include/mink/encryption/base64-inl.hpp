// The definitions of mink/encryption/base64.hpp (compiled into libmink by
// src/encryption_base64.cpp, or inline in the header-only shape).
#pragma once

#ifndef MINK_HEADER_ONLY
#include "mink/encryption/base64.hpp"
#include "mink/encryption/secret_bytes.hpp"
#endif

#include <array>
#include <cstdint>

#include "mink/encryption/errors.hpp"

namespace mink {
namespace detail {

inline constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

inline constexpr std::array<int8_t, 256> kBase64Values = [] {
  std::array<int8_t, 256> v{};
  v.fill(-1);
  for (std::size_t i = 0; i < kBase64Alphabet.size(); ++i) {
    v[static_cast<unsigned char>(kBase64Alphabet[i])] = static_cast<int8_t>(i);
  }
  return v;
}();

}  // namespace detail

MINK_INLINE std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  auto at = [&](std::size_t k) {
    return static_cast<uint32_t>(static_cast<unsigned char>(bytes[k]));
  };
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t n = at(i) << 16 | at(i + 1) << 8 | at(i + 2);
    out += detail::kBase64Alphabet[n >> 18 & 63];
    out += detail::kBase64Alphabet[n >> 12 & 63];
    out += detail::kBase64Alphabet[n >> 6 & 63];
    out += detail::kBase64Alphabet[n & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    const uint32_t n = at(i) << 16 | (rest == 2 ? at(i + 1) << 8 : 0);
    out += detail::kBase64Alphabet[n >> 18 & 63];
    out += detail::kBase64Alphabet[n >> 12 & 63];
    out += rest == 2 ? detail::kBase64Alphabet[n >> 6 & 63] : '=';
    out += '=';
  }
  return out;
}

MINK_INLINE bool TryBase64Decode(std::string_view text, std::string& out) {
  out.clear();
  if (text.size() % 4 != 0) return false;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = text[i + k];
      if (c == '=' && last && k >= 2) {
        v[k] = 0;
        ++pad;
        continue;
      }
      v[k] = pad > 0 ? -1 : detail::kBase64Values[static_cast<unsigned char>(c)];
      if (v[k] < 0) {
        SecretBytes::Wipe(out);  // it may hold part of a key
        return false;
      }
    }
    const uint32_t n = static_cast<uint32_t>(v[0]) << 18 | static_cast<uint32_t>(v[1]) << 12 |
                       static_cast<uint32_t>(v[2]) << 6 | static_cast<uint32_t>(v[3]);
    // Canonical form: the bits padding drops must be zero.
    if ((pad == 1 && (n & 0xFF) != 0) || (pad == 2 && (n & 0xFFFF) != 0)) {
      SecretBytes::Wipe(out);
      return false;
    }
    out += static_cast<char>(n >> 16 & 0xFF);
    if (pad < 2) out += static_cast<char>(n >> 8 & 0xFF);
    if (pad < 1) out += static_cast<char>(n & 0xFF);
  }
  return true;
}

MINK_INLINE std::string Base64Decode(std::string_view text) {
  std::string out;
  if (!TryBase64Decode(text, out)) {
    throw Error(errc::kDecryptionFailed,
                "value is not standard base64 (" + std::to_string(text.size()) + " characters)");
  }
  return out;
}

}  // namespace mink

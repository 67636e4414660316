// mink/detail/sha256.hpp — SHA-256 through OpenSSL's EVP interface, and hex encoding.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mink/detail/config.hpp"

namespace mink::detail {

MINK_API std::array<uint8_t, 32> Sha256(std::string_view data);
MINK_API std::string Hex(const uint8_t* bytes, std::size_t n);

}  // namespace mink::detail

#ifdef MINK_HEADER_ONLY
#include "mink/detail/sha256-inl.hpp"
#endif

// mink/encryption/base64.hpp — standard base64 (RFC 4648 §4, with '=' padding), the encoding
// go-mink stores sealed field values and wrapped data keys in.
//
//   std::string text  = mink::Base64Encode(bytes);
//   std::string bytes = mink::Base64Decode(text);   // or throws Error(kDecryptionFailed)
//
// The decoder is strict: only the standard alphabet, padding required, no whitespace, and the
// unused bits of the last symbol must be zero (so every byte string has exactly one encoding).
#pragma once

#include <string>
#include <string_view>

#include "mink/detail/config.hpp"

namespace mink {

MINK_API std::string Base64Encode(std::string_view bytes);
// Throws Error(kDecryptionFailed) on anything that is not canonical standard base64; the
// message never quotes the input.
MINK_API std::string Base64Decode(std::string_view text);
// The same, without throwing: false (and `out` emptied) when `text` is not valid.
MINK_API bool TryBase64Decode(std::string_view text, std::string& out);

}  // namespace mink

#ifdef MINK_HEADER_ONLY
#include "mink/encryption/base64-inl.hpp"
#endif

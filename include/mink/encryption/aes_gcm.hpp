// mink/encryption/aes_gcm.hpp — AES-256-GCM through OpenSSL, the one cipher mink seals with.
//
// Keys are 32 bytes, nonces 12 bytes (96 bits), tags 16 bytes. The sealed form go-mink stores
// is nonce ‖ ciphertext ‖ tag:
//
//   std::string sealed = mink::AesGcmEncrypt(key.View(), plaintext, aad);   // random nonce
//   std::string plain  = mink::AesGcmDecrypt(key.View(), sealed, aad);      // or throws
//
// A wrong key, a changed byte or a different AAD throws Error(kDecryptionFailed); a key of the
// wrong length throws Error(kInvalidKey). Nothing is returned unauthenticated.
#pragma once

#include <string>
#include <string_view>

#include "mink/detail/config.hpp"
#include "mink/encryption/errors.hpp"
#include "mink/encryption/secret_bytes.hpp"

namespace mink {

inline constexpr std::size_t kAesGcmKeySize = 32;
inline constexpr std::size_t kAesGcmNonceSize = 12;
inline constexpr std::size_t kAesGcmTagSize = 16;
inline constexpr std::string_view kAesGcmAlgorithm = "AES-256-GCM";  // go-mink's metadata value

// Seals with a fresh random nonce; returns nonce ‖ ciphertext ‖ tag.
MINK_API std::string AesGcmEncrypt(std::string_view key, std::string_view plaintext,
                                   std::string_view aad = {});
// Opens nonce ‖ ciphertext ‖ tag.
MINK_API std::string AesGcmDecrypt(std::string_view key, std::string_view sealed,
                                   std::string_view aad = {});

// The explicit-nonce primitives under them (for test vectors): Seal returns ciphertext ‖ tag;
// Open takes ciphertext ‖ tag. Never reuse a nonce with a key.
MINK_API std::string AesGcmSeal(std::string_view key, std::string_view nonce,
                                std::string_view plaintext, std::string_view aad);
MINK_API std::string AesGcmOpen(std::string_view key, std::string_view nonce,
                                std::string_view ciphertext_and_tag, std::string_view aad);

// A fresh random 32-byte key (a data key).
MINK_API SecretBytes GenerateAesKey();
// `n` cryptographically random bytes.
MINK_API std::string RandomBytes(std::size_t n);

}  // namespace mink

#ifdef MINK_HEADER_ONLY
#include "mink/encryption/aes_gcm-inl.hpp"
#endif

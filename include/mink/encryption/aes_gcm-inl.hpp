// The definitions of mink/encryption/aes_gcm.hpp (compiled into libmink by src/aes_gcm.cpp,
// or inline in the header-only shape).
#pragma once

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>

#include "mink/encryption/aes_gcm.hpp"

namespace mink {
namespace detail {

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const noexcept { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

inline void CheckAesGcmKeyAndNonce(std::string_view key, std::string_view nonce) {
  if (key.size() != kAesGcmKeySize) {
    throw Error(errc::kInvalidKey,
                "AES-256-GCM needs a 32-byte key, got " + std::to_string(key.size()) + " bytes");
  }
  if (nonce.size() != kAesGcmNonceSize) {
    throw Error(errc::kInvalidArgument, "AES-256-GCM needs a 12-byte nonce, got " +
                                            std::to_string(nonce.size()) + " bytes");
  }
}

inline const unsigned char* Bytes(std::string_view s) noexcept {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace detail

MINK_INLINE std::string AesGcmSeal(std::string_view key, std::string_view nonce,
                                   std::string_view plaintext, std::string_view aad) {
  detail::CheckAesGcmKeyAndNonce(key, nonce);
  detail::CipherCtx ctx(EVP_CIPHER_CTX_new());
  std::string out(plaintext.size() + kAesGcmTagSize, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  int len = 0;
  int total = 0;
  const bool ok =
      ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce.size()),
                          nullptr) == 1 &&
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, detail::Bytes(key), detail::Bytes(nonce)) ==
          1 &&
      (aad.empty() || EVP_EncryptUpdate(ctx.get(), nullptr, &len, detail::Bytes(aad),
                                        static_cast<int>(aad.size())) == 1) &&
      EVP_EncryptUpdate(ctx.get(), o, &len, detail::Bytes(plaintext),
                        static_cast<int>(plaintext.size())) == 1 &&
      (total = len, EVP_EncryptFinal_ex(ctx.get(), o + total, &len) == 1) &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kAesGcmTagSize),
                          o + total + len) == 1;
  if (!ok) {
    SecretBytes::Wipe(out);
    throw Error(errc::kEncryptionFailed, "AES-256-GCM encryption failed");
  }
  return out;
}

MINK_INLINE std::string AesGcmOpen(std::string_view key, std::string_view nonce,
                                   std::string_view ciphertext_and_tag, std::string_view aad) {
  detail::CheckAesGcmKeyAndNonce(key, nonce);
  if (ciphertext_and_tag.size() < kAesGcmTagSize) {
    throw Error(errc::kDecryptionFailed, "AES-256-GCM ciphertext is shorter than its tag");
  }
  const std::size_t n = ciphertext_and_tag.size() - kAesGcmTagSize;
  std::string tag(ciphertext_and_tag.substr(n));
  detail::CipherCtx ctx(EVP_CIPHER_CTX_new());
  std::string out(n, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  int len = 0;
  int total = 0;
  const bool ok =
      ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce.size()),
                          nullptr) == 1 &&
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, detail::Bytes(key), detail::Bytes(nonce)) ==
          1 &&
      (aad.empty() || EVP_DecryptUpdate(ctx.get(), nullptr, &len, detail::Bytes(aad),
                                        static_cast<int>(aad.size())) == 1) &&
      EVP_DecryptUpdate(ctx.get(), o, &len, detail::Bytes(ciphertext_and_tag),
                        static_cast<int>(n)) == 1 &&
      (total = len, EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG,
                                        static_cast<int>(kAesGcmTagSize), tag.data()) == 1) &&
      EVP_DecryptFinal_ex(ctx.get(), o + total, &len) == 1;
  if (!ok) {
    SecretBytes::Wipe(out);  // never hand out unauthenticated plaintext
    throw Error(errc::kDecryptionFailed,
                "AES-256-GCM authentication failed (wrong key, tampered data or wrong AAD)");
  }
  return out;
}

MINK_INLINE std::string RandomBytes(std::size_t n) {
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    throw Error(errc::kCryptoFailed, "RAND_bytes failed");
  }
  return out;
}

MINK_INLINE SecretBytes GenerateAesKey() {
  std::string key = RandomBytes(kAesGcmKeySize);
  return SecretBytes::Adopt(key);
}

MINK_INLINE std::string AesGcmEncrypt(std::string_view key, std::string_view plaintext,
                                      std::string_view aad) {
  std::string sealed = RandomBytes(kAesGcmNonceSize);
  sealed += AesGcmSeal(key, sealed, plaintext, aad);
  return sealed;
}

MINK_INLINE std::string AesGcmDecrypt(std::string_view key, std::string_view sealed,
                                      std::string_view aad) {
  if (sealed.size() < kAesGcmNonceSize + kAesGcmTagSize) {
    throw Error(errc::kDecryptionFailed, "AES-256-GCM sealed value is too short (" +
                                             std::to_string(sealed.size()) + " bytes)");
  }
  return AesGcmOpen(key, sealed.substr(0, kAesGcmNonceSize), sealed.substr(kAesGcmNonceSize), aad);
}

}  // namespace mink

// mink/encryption/errors.hpp — the encryption area's error codes and typed errors.
//
//   kEncryptionFailed       sealing a field or wrapping a key failed
//   kDecryptionFailed       tampered or relocated ciphertext, wrong key, malformed envelope
//   kKeyNotFound            the provider does not know the key ID
//   kKeyRevoked             the key was revoked (crypto-shredded) or is soft-revoked
//   kProviderClosed         the provider was closed; every call fails
//   kRevocationUnsupported  the provider has no (soft) revocation
//   kInvalidKey             a key of the wrong length or form was offered
//   kNoEncryptionKey        no key ID resolved (tenant, subject and default all empty)
//   kUnsupportedAlgorithm   stored data names an algorithm this build does not know
//   kProviderUnavailable    a remote provider timed out, refused, or answered 5xx
//
// KeyError carries the key ID (never key material). Messages never contain plaintext.
#pragma once

#include <exception>
#include <string>
#include <utility>

#include "mink/error.hpp"

namespace mink {

namespace errc {
inline constexpr ErrorCode kEncryptionFailed{ErrorArea::kEncryption, 1, "EncryptionFailed"};
inline constexpr ErrorCode kDecryptionFailed{ErrorArea::kEncryption, 2, "DecryptionFailed"};
inline constexpr ErrorCode kKeyNotFound{ErrorArea::kEncryption, 3, "KeyNotFound"};
inline constexpr ErrorCode kKeyRevoked{ErrorArea::kEncryption, 4, "KeyRevoked"};
inline constexpr ErrorCode kProviderClosed{ErrorArea::kEncryption, 5, "ProviderClosed"};
inline constexpr ErrorCode kRevocationUnsupported{ErrorArea::kEncryption, 6,
                                                  "RevocationUnsupported"};
inline constexpr ErrorCode kInvalidKey{ErrorArea::kEncryption, 7, "InvalidKey"};
inline constexpr ErrorCode kNoEncryptionKey{ErrorArea::kEncryption, 8, "NoEncryptionKey"};
inline constexpr ErrorCode kUnsupportedAlgorithm{ErrorArea::kEncryption, 9, "UnsupportedAlgorithm"};
inline constexpr ErrorCode kProviderUnavailable{ErrorArea::kEncryption, 10, "ProviderUnavailable"};
}  // namespace errc

// An error about one key (kKeyNotFound, kKeyRevoked, kDecryptionFailed, ...), naming it.
class MINK_API KeyError : public Error {
 public:
  KeyError(ErrorCode code, std::string key_id, const std::string& what,
           std::exception_ptr cause = nullptr)
      : Error(code, what + " (key \"" + key_id + "\")", std::move(cause)),
        key_id_(std::move(key_id)) {}
  const std::string& KeyID() const noexcept { return key_id_; }

 private:
  std::string key_id_;
};

}  // namespace mink

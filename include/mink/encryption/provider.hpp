// mink/encryption/provider.hpp — where keys live: the EncryptionProvider interface and its
// optional revocation capabilities (go-mink's encryption.Provider, Revocable,
// RecoverableRevocable, StatefulRevocable).
//
// A provider owns master keys by ID and never hands them out. Envelope encryption asks it for
// a data key (GenerateDataKey: a fresh 32-byte key, returned in plaintext and wrapped under the
// master key) and later to unwrap the stored wrapped key (DecryptDataKey). Providers in mink:
// LocalProvider (core, OpenSSL), the AWS KMS provider (mink::kms) and Vault Transit
// (mink::vault). Every call honours the context's deadline and cancellation; after Close every
// call throws Error(kProviderClosed).
//
// Revoking a key is crypto-shredding: every value sealed under its data keys becomes
// unreadable (KeyError kKeyRevoked). Use the free functions below; they throw
// kRevocationUnsupported when the provider cannot.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "mink/context.hpp"
#include "mink/encryption/errors.hpp"
#include "mink/encryption/secret_bytes.hpp"

namespace mink {

struct DataKey {
  SecretBytes plaintext;   // 32 bytes; wipe (let it go out of scope) as soon as it is used
  std::string ciphertext;  // the wrapped key, opaque bytes the provider can unwrap
  std::string key_id;      // the master key that wrapped it
};

class EncryptionProvider {
 public:
  virtual ~EncryptionProvider() = default;

  // Seals small data (at most a few KiB) directly under the master key.
  virtual std::string Encrypt(const Context& ctx, const std::string& key_id,
                              std::string_view plaintext) = 0;
  virtual SecretBytes Decrypt(const Context& ctx, const std::string& key_id,
                              std::string_view ciphertext) = 0;

  // A fresh data key wrapped under `key_id`.
  virtual DataKey GenerateDataKey(const Context& ctx, const std::string& key_id) = 0;
  // Unwraps a data key produced by GenerateDataKey. Throws KeyError kKeyRevoked when the
  // master key was revoked, kKeyNotFound when it is unknown, kDecryptionFailed when the
  // wrapped key does not open.
  virtual SecretBytes DecryptDataKey(const Context& ctx, const std::string& key_id,
                                     std::string_view wrapped_key) = 0;

  virtual void Close() = 0;
};

enum class RevocationState { kNotRevoked, kSoftRevoked, kRevoked };
// "not_revoked", "soft_revoked", "revoked" (go-mink's names).
constexpr std::string_view ToString(RevocationState s) noexcept {
  switch (s) {
    case RevocationState::kNotRevoked:
      return "not_revoked";
    case RevocationState::kSoftRevoked:
      return "soft_revoked";
    case RevocationState::kRevoked:
      return "revoked";
  }
  return "unknown";
}

// A provider that can revoke (shred) keys. Revoking is permanent and idempotent.
class RevocableProvider {
 public:
  virtual ~RevocableProvider() = default;
  virtual void RevokeKey(const Context& ctx, const std::string& key_id) = 0;
  virtual bool IsRevoked(const Context& ctx, const std::string& key_id) = 0;
};

// Soft revocation: the key is refused at once (kKeyRevoked) but can be restored until the
// grace period ends; after it, the next access makes the revocation permanent.
class RecoverableRevocableProvider {
 public:
  virtual ~RecoverableRevocableProvider() = default;
  virtual void SoftRevokeKey(const Context& ctx, const std::string& key_id,
                             std::chrono::seconds grace) = 0;
  virtual void UnrevokeKey(const Context& ctx, const std::string& key_id) = 0;
};

class StatefulRevocableProvider {
 public:
  virtual ~StatefulRevocableProvider() = default;
  virtual RevocationState GetRevocationState(const Context& ctx, const std::string& key_id) = 0;
};

// Capability helpers (go-mink's Revoke, IsRevoked, GetRevocationState, SoftRevoke, Unrevoke).
inline void Revoke(const Context& ctx, EncryptionProvider& p, const std::string& key_id) {
  auto* r = dynamic_cast<RevocableProvider*>(&p);
  if (!r) throw Error(errc::kRevocationUnsupported, "the provider cannot revoke keys");
  r->RevokeKey(ctx, key_id);
}
inline bool IsRevoked(const Context& ctx, EncryptionProvider& p, const std::string& key_id) {
  auto* r = dynamic_cast<RevocableProvider*>(&p);
  if (!r) throw Error(errc::kRevocationUnsupported, "the provider cannot revoke keys");
  return r->IsRevoked(ctx, key_id);
}
inline RevocationState GetRevocationState(const Context& ctx, EncryptionProvider& p,
                                          const std::string& key_id) {
  if (auto* s = dynamic_cast<StatefulRevocableProvider*>(&p)) {
    return s->GetRevocationState(ctx, key_id);
  }
  return IsRevoked(ctx, p, key_id) ? RevocationState::kRevoked : RevocationState::kNotRevoked;
}
inline void SoftRevoke(const Context& ctx, EncryptionProvider& p, const std::string& key_id,
                       std::chrono::seconds grace) {
  auto* r = dynamic_cast<RecoverableRevocableProvider*>(&p);
  if (!r) throw Error(errc::kRevocationUnsupported, "the provider cannot soft-revoke keys");
  r->SoftRevokeKey(ctx, key_id, grace);
}
inline void Unrevoke(const Context& ctx, EncryptionProvider& p, const std::string& key_id) {
  auto* r = dynamic_cast<RecoverableRevocableProvider*>(&p);
  if (!r) throw Error(errc::kRevocationUnsupported, "the provider cannot restore keys");
  r->UnrevokeKey(ctx, key_id);
}

}  // namespace mink

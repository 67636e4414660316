// The definitions of mink/encryption/local_provider.hpp (compiled into libmink by
// src/local_provider.cpp, or inline in the header-only shape).
#pragma once

#ifndef MINK_HEADER_ONLY
#include "mink/encryption/local_provider.hpp"
#endif

#include "mink/encryption/aes_gcm.hpp"

namespace mink {

MINK_INLINE LocalProvider::LocalProvider(LocalProviderOptions options)
    : clock_(std::move(options.clock)) {
  if (!clock_) clock_ = [] { return std::chrono::system_clock::now(); };
}

MINK_INLINE LocalProvider::~LocalProvider() { Close(); }

MINK_INLINE void LocalProvider::CheckKeyLength(const std::string& key_id, std::string_view key) {
  if (key.size() != kAesGcmKeySize) {
    throw KeyError(errc::kInvalidKey, key_id,
                   "a master key must be 32 bytes, got " + std::to_string(key.size()));
  }
}

MINK_INLINE void LocalProvider::CheckOpen() const {
  if (closed_) throw Error(errc::kProviderClosed, "the local key provider is closed");
}

MINK_INLINE void LocalProvider::AddKey(const std::string& key_id, std::string_view key) {
  if (key_id.empty()) throw Error(errc::kInvalidArgument, "a master key needs an ID");
  CheckKeyLength(key_id, key);
  std::lock_guard lock(mu_);
  CheckOpen();
  PromoteIfExpired(key_id);
  if (revoked_.contains(key_id)) {
    throw KeyError(errc::kKeyRevoked, key_id, "a revoked key ID cannot be added again");
  }
  if (keys_.contains(key_id)) {
    throw KeyError(errc::kInvalidArgument, key_id,
                   "the key already exists; RotateKey adds a new version without losing data");
  }
  Key k;
  k.versions.push_back(SecretBytes::CopyOf(key));
  keys_.emplace(key_id, std::move(k));
}

MINK_INLINE void LocalProvider::RotateKey(const std::string& key_id, std::string_view new_key) {
  CheckKeyLength(key_id, new_key);
  std::lock_guard lock(mu_);
  CheckOpen();
  UsableKey(Context{}, key_id).versions.push_back(SecretBytes::CopyOf(new_key));
}

MINK_INLINE std::size_t LocalProvider::KeyVersions(const std::string& key_id) const {
  std::lock_guard lock(mu_);
  auto it = keys_.find(key_id);
  return it == keys_.end() ? 0 : it->second.versions.size();
}

MINK_INLINE void LocalProvider::Shred(const std::string& key_id) {
  auto it = keys_.find(key_id);
  if (it != keys_.end()) keys_.erase(it);  // SecretBytes wipe themselves
  revoked_.insert(key_id);
}

MINK_INLINE void LocalProvider::PromoteIfExpired(const std::string& key_id) {
  auto it = keys_.find(key_id);
  if (it == keys_.end() || !it->second.soft_revoked_until) return;
  if (clock_() >= *it->second.soft_revoked_until) Shred(key_id);
}

MINK_INLINE LocalProvider::Key& LocalProvider::UsableKey(const Context& ctx,
                                                         const std::string& key_id) {
  ctx.ThrowIfDone();
  PromoteIfExpired(key_id);
  if (revoked_.contains(key_id)) throw KeyError(errc::kKeyRevoked, key_id, "the key was revoked");
  auto it = keys_.find(key_id);
  if (it == keys_.end()) throw KeyError(errc::kKeyNotFound, key_id, "no such master key");
  if (it->second.soft_revoked_until) {
    throw KeyError(errc::kKeyRevoked, key_id, "the key is soft-revoked");
  }
  return it->second;
}

MINK_INLINE std::string LocalProvider::Encrypt(const Context& ctx, const std::string& key_id,
                                               std::string_view plaintext) {
  std::lock_guard lock(mu_);
  CheckOpen();
  return AesGcmEncrypt(UsableKey(ctx, key_id).versions.back().View(), plaintext, key_id);
}

MINK_INLINE SecretBytes LocalProvider::Decrypt(const Context& ctx, const std::string& key_id,
                                               std::string_view ciphertext) {
  std::lock_guard lock(mu_);
  CheckOpen();
  const Key& k = UsableKey(ctx, key_id);
  for (auto v = k.versions.rbegin(); v != k.versions.rend(); ++v) {
    try {
      std::string plain = AesGcmDecrypt(v->View(), ciphertext, key_id);
      return SecretBytes::Adopt(plain);
    } catch (const Error&) {
      // try the next older version
    }
  }
  throw KeyError(errc::kDecryptionFailed, key_id,
                 "the ciphertext does not open under any version of the key");
}

MINK_INLINE DataKey LocalProvider::GenerateDataKey(const Context& ctx, const std::string& key_id) {
  std::lock_guard lock(mu_);
  CheckOpen();
  const Key& k = UsableKey(ctx, key_id);
  DataKey dk{GenerateAesKey(), {}, key_id};
  dk.ciphertext = AesGcmEncrypt(k.versions.back().View(), dk.plaintext.View(), key_id);
  return dk;
}

MINK_INLINE SecretBytes LocalProvider::DecryptDataKey(const Context& ctx, const std::string& key_id,
                                                      std::string_view wrapped_key) {
  SecretBytes dek = Decrypt(ctx, key_id, wrapped_key);
  if (dek.Size() != kAesGcmKeySize) {
    throw KeyError(errc::kDecryptionFailed, key_id, "the unwrapped data key is not 32 bytes");
  }
  return dek;
}

MINK_INLINE void LocalProvider::Close() {
  std::lock_guard lock(mu_);
  keys_.clear();  // wipes every version
  revoked_.clear();
  closed_ = true;
}

MINK_INLINE void LocalProvider::RevokeKey(const Context& ctx, const std::string& key_id) {
  ctx.ThrowIfDone();
  std::lock_guard lock(mu_);
  CheckOpen();
  if (revoked_.contains(key_id)) return;  // idempotent
  if (!keys_.contains(key_id)) throw KeyError(errc::kKeyNotFound, key_id, "no such master key");
  Shred(key_id);
}

MINK_INLINE bool LocalProvider::IsRevoked(const Context& ctx, const std::string& key_id) {
  return GetRevocationState(ctx, key_id) == RevocationState::kRevoked;
}

MINK_INLINE void LocalProvider::SoftRevokeKey(const Context& ctx, const std::string& key_id,
                                              std::chrono::seconds grace) {
  ctx.ThrowIfDone();
  std::lock_guard lock(mu_);
  CheckOpen();
  PromoteIfExpired(key_id);
  if (revoked_.contains(key_id)) return;  // already permanent
  auto it = keys_.find(key_id);
  if (it == keys_.end()) throw KeyError(errc::kKeyNotFound, key_id, "no such master key");
  it->second.soft_revoked_until = clock_() + grace;
  PromoteIfExpired(key_id);  // a grace period that has already passed shreds at once
}

MINK_INLINE void LocalProvider::UnrevokeKey(const Context& ctx, const std::string& key_id) {
  ctx.ThrowIfDone();
  std::lock_guard lock(mu_);
  CheckOpen();
  PromoteIfExpired(key_id);
  if (revoked_.contains(key_id)) {
    throw KeyError(errc::kKeyRevoked, key_id, "the revocation is permanent and cannot be undone");
  }
  auto it = keys_.find(key_id);
  if (it == keys_.end()) throw KeyError(errc::kKeyNotFound, key_id, "no such master key");
  it->second.soft_revoked_until.reset();
}

MINK_INLINE RevocationState LocalProvider::GetRevocationState(const Context& ctx,
                                                              const std::string& key_id) {
  ctx.ThrowIfDone();
  std::lock_guard lock(mu_);
  CheckOpen();
  PromoteIfExpired(key_id);
  if (revoked_.contains(key_id)) return RevocationState::kRevoked;
  auto it = keys_.find(key_id);
  if (it != keys_.end() && it->second.soft_revoked_until) return RevocationState::kSoftRevoked;
  return RevocationState::kNotRevoked;
}

}  // namespace mink

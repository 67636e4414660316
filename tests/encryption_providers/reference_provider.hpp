// Test support: the smallest provider that keeps the EncryptionProvider contract, to prove the
// contract suite itself (tests/conformance/encryption_provider_conformance.hpp) before the
// real providers run it. Master keys in memory; a data key is wrapped with AES-256-GCM under
// the master key with the key ID as AAD; revoking wipes the key and remembers the ID.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "mink/encryption/aes_gcm.hpp"
#include "mink/encryption/provider.hpp"

namespace mink::testing {

class ReferenceProvider final : public EncryptionProvider, public RevocableProvider {
 public:
  void AddKey(const std::string& id, std::string_view key) {
    if (key.size() != kAesGcmKeySize) throw KeyError(errc::kInvalidKey, id, "not a 32-byte key");
    std::lock_guard lock(mu_);
    keys_[id] = SecretBytes::CopyOf(key);
    revoked_.erase(id);
  }

  std::string Encrypt(const Context&, const std::string& id, std::string_view plain) override {
    std::lock_guard lock(mu_);
    return AesGcmEncrypt(KeyLocked(id).View(), plain, id);
  }
  SecretBytes Decrypt(const Context&, const std::string& id, std::string_view sealed) override {
    std::lock_guard lock(mu_);
    const SecretBytes& k = KeyLocked(id);
    try {
      std::string plain = AesGcmDecrypt(k.View(), sealed, id);
      return SecretBytes::Adopt(plain);
    } catch (const Error& e) {
      throw KeyError(errc::kDecryptionFailed, id, "the ciphertext does not open");
    }
  }
  DataKey GenerateDataKey(const Context& ctx, const std::string& id) override {
    SecretBytes dek = GenerateAesKey();
    std::string wrapped = Encrypt(ctx, id, dek.View());
    return DataKey{std::move(dek), std::move(wrapped), id};
  }
  SecretBytes DecryptDataKey(const Context& ctx, const std::string& id,
                             std::string_view wrapped) override {
    SecretBytes dek = Decrypt(ctx, id, wrapped);
    if (dek.Size() != kAesGcmKeySize) {
      throw KeyError(errc::kInvalidKey, id, "the unwrapped data key is not 32 bytes");
    }
    return dek;
  }
  void Close() override { closed_ = true; }

  void RevokeKey(const Context&, const std::string& id) override {
    std::lock_guard lock(mu_);
    ThrowIfClosed();
    if (revoked_.count(id)) return;
    if (keys_.erase(id) == 0) throw KeyError(errc::kKeyNotFound, id, "unknown key");
    revoked_.insert(id);
  }
  bool IsRevoked(const Context&, const std::string& id) override {
    std::lock_guard lock(mu_);
    ThrowIfClosed();
    return revoked_.count(id) > 0;
  }

 private:
  void ThrowIfClosed() const {
    if (closed_) throw Error(errc::kProviderClosed, "the provider is closed");
  }
  const SecretBytes& KeyLocked(const std::string& id) const {
    ThrowIfClosed();
    if (revoked_.count(id)) throw KeyError(errc::kKeyRevoked, id, "the key was revoked");
    auto it = keys_.find(id);
    if (it == keys_.end()) throw KeyError(errc::kKeyNotFound, id, "unknown key");
    return it->second;
  }

  std::atomic<bool> closed_{false};
  std::mutex mu_;
  std::map<std::string, SecretBytes> keys_;
  std::set<std::string> revoked_;
};

}  // namespace mink::testing

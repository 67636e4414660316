// mink/encryption/local_provider.hpp — LocalProvider: master keys held in this process
// (go-mink's encryption/local), on OpenSSL only.
//
//   auto keys = std::make_shared<mink::LocalProvider>();
//   keys->AddKey("tenant-A", master_key_32_bytes);          // kInvalidKey unless 32 bytes
//   mink::DataKey dk = keys->GenerateDataKey(ctx, "tenant-A");
//   mink::SecretBytes same = keys->DecryptDataKey(ctx, "tenant-A", dk.ciphertext);
//
// A data key is wrapped as AES-256-GCM(master, dek, AAD = key ID): nonce ‖ ciphertext ‖ tag,
// 60 bytes, the bytes go-mink's local provider produces. Encrypt/Decrypt seal small data the
// same way.
//
// Revocation (crypto-shredding): RevokeKey zeroes and forgets the key material at once and
// remembers the ID as revoked (idempotent; an ID never known throws KeyError kKeyNotFound).
// SoftRevokeKey refuses the key at once (kKeyRevoked) but keeps it until the grace period
// ends; UnrevokeKey restores it before then. The first access after the period (any call
// naming the key, RevocationState included) shreds it for good. A revoked ID can never be
// added again.
//
// Rotation: RotateKey(id, new_key) makes new_key the version that wraps from now on; older
// versions stay to unwrap what they wrapped (tried newest first: GCM tells which one fits),
// so no stored data is lost and key IDs in stored metadata stay valid.
//
// For development, tests and single-process deployments: the keys live and die with the
// process. After Close every call throws Error(kProviderClosed). Thread safe.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "mink/detail/config.hpp"
#include "mink/encryption/clock.hpp"
#include "mink/encryption/provider.hpp"

namespace mink {

struct LocalProviderOptions {
  EncryptionClock clock;  // default: std::chrono::system_clock::now
};

class MINK_API LocalProvider final : public EncryptionProvider,
                                     public RevocableProvider,
                                     public RecoverableRevocableProvider,
                                     public StatefulRevocableProvider {
 public:
  explicit LocalProvider(LocalProviderOptions options = {});
  ~LocalProvider() override;
  LocalProvider(const LocalProvider&) = delete;
  LocalProvider& operator=(const LocalProvider&) = delete;

  // Adds master key `key_id` (exactly 32 bytes, else kInvalidKey). Throws kInvalidArgument for
  // an empty ID or one already present (replacing a key would lose the data under it; use
  // RotateKey), KeyError kKeyRevoked for a revoked ID.
  void AddKey(const std::string& key_id, std::string_view key);
  // Makes `new_key` the current version of `key_id`; older versions keep unwrapping.
  void RotateKey(const std::string& key_id, std::string_view new_key);
  // How many versions `key_id` has (0 when unknown or revoked).
  std::size_t KeyVersions(const std::string& key_id) const;

  std::string Encrypt(const Context& ctx, const std::string& key_id,
                      std::string_view plaintext) override;
  SecretBytes Decrypt(const Context& ctx, const std::string& key_id,
                      std::string_view ciphertext) override;
  DataKey GenerateDataKey(const Context& ctx, const std::string& key_id) override;
  SecretBytes DecryptDataKey(const Context& ctx, const std::string& key_id,
                             std::string_view wrapped_key) override;
  void Close() override;

  void RevokeKey(const Context& ctx, const std::string& key_id) override;
  bool IsRevoked(const Context& ctx, const std::string& key_id) override;
  void SoftRevokeKey(const Context& ctx, const std::string& key_id,
                     std::chrono::seconds grace) override;
  void UnrevokeKey(const Context& ctx, const std::string& key_id) override;
  RevocationState GetRevocationState(const Context& ctx, const std::string& key_id) override;

 private:
  struct Key {
    std::vector<SecretBytes> versions;  // oldest first; back() wraps
    std::optional<std::chrono::system_clock::time_point> soft_revoked_until;
  };

  void CheckOpen() const;  // caller holds mu_
  // Promotes an expired soft revocation to a permanent one. Caller holds mu_.
  void PromoteIfExpired(const std::string& key_id);
  // The usable key, or throws KeyError kKeyRevoked / kKeyNotFound. Caller holds mu_.
  Key& UsableKey(const Context& ctx, const std::string& key_id);
  void Shred(const std::string& key_id);  // caller holds mu_
  static void CheckKeyLength(const std::string& key_id, std::string_view key);

  EncryptionClock clock_;
  mutable std::mutex mu_;
  std::map<std::string, Key, std::less<>> keys_;
  std::set<std::string, std::less<>> revoked_;
  bool closed_ = false;
};

}  // namespace mink

#ifdef MINK_HEADER_ONLY
#include "mink/encryption/local_provider-inl.hpp"
#endif

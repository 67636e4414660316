// mink/encryption/field_encryption.hpp — field-level envelope encryption in the EventStore
// pipeline (go-mink's FieldEncryptionConfig / WithFieldEncryption).
//
//   auto keys = std::make_shared<mink::LocalProvider>();
//   keys->AddKey("master-1", master_key);
//   mink::FieldEncryptionConfig config{.provider = keys, .default_key_id = "master-1"};
//   config.EncryptFields("CustomerCreated", {"email", "phone", "address.street"});
//   config.tenant_key_resolver = [](std::string_view t) { return "tenant-" + std::string(t); };
//   auto encryption = std::make_shared<mink::FieldEncryption>(std::move(config));
//   mink::EventStore store(adapter, {.field_transform = encryption});
//
// Save: serialize -> schema stamp -> ENCRYPT -> persist. Per append, ONE data key per master
// key from the provider (go-mink asks once per event); each configured field (a dotted path
// into nested objects; any JSON type) is replaced by base64(nonce ‖ ciphertext ‖ tag) of its
// JSON text, sealed with AES-256-GCM under a random 96-bit nonce and AAD = stream ID + "\0" +
// full dotted path. Metadata gets $encrypted_fields (JSON array of the paths sealed),
// $encryption_key_id, $encrypted_dek (base64 of the wrapped data key) and
// $encryption_algorithm ("AES-256-GCM"): go-mink's stored format, byte for byte.
// Load: load -> DECRYPT -> upcast -> deserialize. Unwrapped data keys are cached (bounded,
// TTL, wiped on eviction); decrypted events lose the $encrypt* markers.
//
// Master key: tenant_key_resolver(metadata.tenant_id) -> subject_key_resolver(first tag of
// the reserved "$subjects" metadata key) -> default_key_id; the first non-empty wins, none is
// Error(kNoEncryptionKey). Decryption failures (revoked key, tampering, bad envelope) go to
// on_decryption_error: kSkip keeps the stored ciphertext (crypto-shredding), kFail (or no
// handler) throws the typed error. Nothing in any message or log is plaintext.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mink/detail/config.hpp"
#include "mink/encryption/clock.hpp"
#include "mink/encryption/data_key_cache.hpp"
#include "mink/encryption/provider.hpp"
#include "mink/es/event_store.hpp"

namespace mink {

// The reserved metadata keys (go-mink's names).
inline constexpr std::string_view kEncryptedFieldsKey = "$encrypted_fields";
inline constexpr std::string_view kEncryptionKeyIDKey = "$encryption_key_id";
inline constexpr std::string_view kEncryptedDEKKey = "$encrypted_dek";
inline constexpr std::string_view kEncryptionAlgorithmKey = "$encryption_algorithm";
inline constexpr std::string_view kSubjectsKey = "$subjects";  // JSON array of subject IDs

// What a decryption error handler decides.
enum class DecryptionErrorAction {
  kFail,  // throw the error
  kSkip,  // keep the event as stored: encrypted fields stay ciphertext, markers stay
};
// Called with the error, the event type and the stored metadata (never the data). It may also
// throw an error of its own.
using DecryptionErrorHandler = std::function<DecryptionErrorAction(
    const Error& error, std::string_view event_type, const Metadata& metadata)>;

// The usual crypto-shredding handler: skip events whose key was revoked, fail on the rest.
inline DecryptionErrorAction SkipRevokedKeys(const Error& error, std::string_view,
                                             const Metadata&) {
  return error.Is(errc::kKeyRevoked) ? DecryptionErrorAction::kSkip : DecryptionErrorAction::kFail;
}

// How much one data key may protect on the save path (the AWS Encryption SDK's caching
// materials manager bounds). By default a data key serves one append only; with max_age > 0
// it is reused across appends to the same master key until any bound is reached.
struct DataKeyLimits {
  std::chrono::milliseconds max_age{0};    // 0: never reused across appends
  uint64_t max_events = 100'000;           // events sealed under one data key
  uint64_t max_bytes = uint64_t{1} << 30;  // plaintext bytes sealed under one data key
};

struct FieldEncryptionConfig {
  std::shared_ptr<EncryptionProvider> provider;
  std::string default_key_id;
  // event type -> dotted field paths (go-mink's WithEncryptedFields).
  std::map<std::string, std::vector<std::string>, std::less<>> fields;
  std::function<std::string(std::string_view tenant_id)> tenant_key_resolver;
  std::function<std::string(std::string_view subject_id)> subject_key_resolver;
  DecryptionErrorHandler on_decryption_error;
  DataKeyCacheOptions cache;               // the load path's unwrapped data keys
  DataKeyLimits data_key_limits;           // the save path
  EncryptionClock clock;                   // default: system_clock::now
  std::shared_ptr<spdlog::logger> logger;  // default: none (skips are not logged)

  FieldEncryptionConfig& EncryptFields(std::string event_type,
                                       std::initializer_list<std::string_view> paths) {
    auto& list = fields[std::move(event_type)];
    for (std::string_view p : paths) list.emplace_back(p);
    return *this;
  }
};

// go-mink's metadata helpers.
MINK_API bool IsEncrypted(const Metadata& metadata);
MINK_API std::vector<std::string> GetEncryptedFields(const Metadata& metadata);
MINK_API std::string GetEncryptionKeyID(const Metadata& metadata);
MINK_API std::string GetEncryptionAlgorithm(const Metadata& metadata);

class MINK_API FieldEncryption final : public RecordTransform {
 public:
  // Throws kInvalidArgument without a provider or for an empty path or path segment.
  explicit FieldEncryption(FieldEncryptionConfig config);

  // RecordTransform: the EventStore calls these.
  void Encode(const Context& ctx, EventRecord& record) const override;
  void EncodeBatch(const Context& ctx, std::string_view stream_id,
                   std::span<EventRecord> records) const override;
  void Decode(const Context& ctx, StoredEvent& stored) const override;
  bool KeptEncoded(const StoredEvent& stored) const override {
    return IsEncrypted(stored.metadata);
  }

  // Seals `records` of `stream_id` under master key `key_id` (empty: resolve as usual).
  void EncodeBatchWithKey(const Context& ctx, std::string_view stream_id,
                          std::span<EventRecord> records, const std::string& key_id) const;
  // Decrypts without consulting the error handler: every failure throws.
  void DecodeStrict(const Context& ctx, StoredEvent& stored) const;

  bool HasEncryptedFields(std::string_view event_type) const;
  // The master key an event with this metadata is sealed under, or Error(kNoEncryptionKey).
  std::string ResolveKeyID(const Metadata& metadata) const;
  EncryptionProvider& Provider() const noexcept { return *config_.provider; }
  const FieldEncryptionConfig& Config() const noexcept { return config_; }

  // Revocation through the provider's capabilities (kRevocationUnsupported when it has none).
  // Revoking through here also purges this process's cached data keys of that master key at
  // once; a revocation elsewhere is noticed within cache.ttl (or call PurgeKey).
  void RevokeKey(const Context& ctx, const std::string& key_id);
  void SoftRevokeKey(const Context& ctx, const std::string& key_id, std::chrono::seconds grace);
  void UnrevokeKey(const Context& ctx, const std::string& key_id);
  bool IsRevoked(const Context& ctx, const std::string& key_id);
  RevocationState GetRevocationState(const Context& ctx, const std::string& key_id);
  void PurgeKey(const std::string& key_id);
  DataKeyCacheStats CacheStats() const { return cache_.Stats(); }

 private:
  struct ActiveKey;  // a data key in use on the save path
  SecretBytes UnwrapDataKey(const Context& ctx, const std::string& key_id,
                            std::string_view wrapped) const;
  void DecodeImpl(const Context& ctx, StoredEvent& stored) const;

  FieldEncryptionConfig config_;
  mutable DataKeyCache cache_;
  mutable std::mutex active_mu_;
  mutable std::map<std::string, std::shared_ptr<ActiveKey>, std::less<>> active_;  // reuse
};

}  // namespace mink

#ifdef MINK_HEADER_ONLY
#include "mink/encryption/field_encryption-inl.hpp"
#endif

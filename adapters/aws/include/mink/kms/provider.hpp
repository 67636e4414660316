// mink/kms/provider.hpp — AWS KMS as an EncryptionProvider (go-mink's encryption/kms), over
// the JSON 1.1 protocol with SigV4 (mink::aws), no AWS SDK.
//
//   auto kms = std::make_shared<mink::kms::Provider>(mink::kms::ProviderOptions{
//       .service = {.config = mink::aws::LoadConfig("kms")},   // env, or explicit values
//       .pending_deletion_window_days = 7});
//   mink::DataKey dk = kms->GenerateDataKey(ctx, "alias/orders");   // KMS GenerateDataKey
//   mink::SecretBytes k = kms->DecryptDataKey(ctx, "alias/orders", dk.ciphertext);  // Decrypt
//   mink::Revoke(ctx, *kms, "alias/orders");                       // ScheduleKeyDeletion
//
// Calls: GenerateDataKey (KeySpec AES_256), Decrypt (with KeyId, so a blob of another key is
// refused by KMS), Encrypt, ScheduleKeyDeletion, DescribeKey. The endpoint comes from the
// aws::Config (AWS_ENDPOINT_URL_KMS, a VPC endpoint, a local emulator). DataKey::ciphertext is
// KMS's CiphertextBlob (raw bytes); DataKey::key_id is the ID the caller named.
//
// Revocation (go-mink): RevokeKey schedules the key's deletion (the window clamped to 7..30
// days, default 7). IsRevoked is true iff DescribeKey says PendingDeletion or KMS answers
// NotFoundException (a deleted key). A *disabled* key is NOT revoked: it can be enabled again.
// RevokeKey is idempotent: a key already pending deletion, or gone (NotFoundException), counts
// as done.
//
// Errors (all mink::KeyError naming the key, AWS's own error kept as the cause):
//   kKeyNotFound          GenerateDataKey / Encrypt / DescribeKey under a key KMS does not know
//   kKeyRevoked           any use of a key pending deletion; Decrypt / DecryptDataKey under a
//                         key KMS no longer has (deleted = shredded, as go-mink)
//   kDecryptionFailed     InvalidCiphertextException, IncorrectKeyException (a blob of another
//                         key), a disabled key, a ciphertext KMS refuses as invalid
//   kEncryptionFailed     a disabled key, or another refusal on Encrypt / GenerateDataKey
//   kInvalidKey           DecryptDataKey unwrapped something that is not a 32-byte key
//   kProviderUnavailable  5xx, throttling, KMSInternal / DependencyTimeout / KeyUnavailable,
//                         denied credentials, transport failures, replies that do not parse,
//                         once aws::RetryOptions are used up. The cause is the aws::ServiceError
//                         or http::HttpError (whose RequestSent() says whether KMS saw it).
//   kCancelled / kDeadlineExceeded  the Context ended the call (as thrown by mink::http)
//   kProviderClosed       any call after Close()
// Every KMS call here is safe to repeat, so service.retry.retry_when_outcome_unknown may be
// turned on (a lost GenerateDataKey reply only wastes a data key).
// Messages never contain key material, plaintext or the secret key.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "mink/aws/protocol.hpp"
#include "mink/encryption/provider.hpp"

namespace mink::kms {

inline constexpr int kMinPendingWindowDays = 7;
inline constexpr int kMaxPendingWindowDays = 30;
// go-mink's WithPendingDeletionWindow: clamped to 7..30.
constexpr int ClampPendingWindowDays(int days) noexcept {
  return days < kMinPendingWindowDays   ? kMinPendingWindowDays
         : days > kMaxPendingWindowDays ? kMaxPendingWindowDays
                                        : days;
}

struct ProviderOptions {
  // Region, credentials, endpoint (aws::LoadConfig("kms", ...)), transport, retries, per-attempt
  // timeout, signer clock. signing_name defaults to "kms".
  aws::ServiceOptions service;
  // Days between RevokeKey and the key's deletion (clamped to 7..30).
  int pending_deletion_window_days = kMinPendingWindowDays;
  // Sent with every Encrypt / GenerateDataKey / Decrypt; KMS binds the ciphertext to it.
  std::map<std::string, std::string> encryption_context;
};

// DescribeKey's KeyMetadata (the fields mink reads).
struct KeyMetadata {
  std::string key_id;
  std::string arn;
  std::string key_state;  // Enabled, Disabled, PendingDeletion, ...
  bool enabled = false;
  std::optional<std::chrono::system_clock::time_point> deletion_date;
};

class Provider final : public EncryptionProvider, public RevocableProvider {
 public:
  // Throws like aws::JsonProtocolClient (kAwsInvalidEndpoint, kAwsMissingCredentials ...).
  explicit Provider(ProviderOptions options);
  ~Provider() override;

  std::string Encrypt(const Context& ctx, const std::string& key_id,
                      std::string_view plaintext) override;
  SecretBytes Decrypt(const Context& ctx, const std::string& key_id,
                      std::string_view ciphertext) override;
  DataKey GenerateDataKey(const Context& ctx, const std::string& key_id) override;
  SecretBytes DecryptDataKey(const Context& ctx, const std::string& key_id,
                             std::string_view wrapped_key) override;
  void Close() override;

  // ScheduleKeyDeletion with the configured window.
  void RevokeKey(const Context& ctx, const std::string& key_id) override;
  bool IsRevoked(const Context& ctx, const std::string& key_id) override;

  // DescribeKey. Throws KeyError kKeyNotFound when KMS does not know the key.
  KeyMetadata DescribeKey(const Context& ctx, const std::string& key_id);

  int pending_deletion_window_days() const noexcept { return window_days_; }

 private:
  enum class Use { kEncrypt, kDecrypt, kManage };
  // One KMS call; every failure leaves as the typed error Translate picks.
  nlohmann::json Call(const Context& ctx, std::string_view operation, const std::string& key_id,
                      nlohmann::json input, Use use);
  // Rethrows the exception being handled as the provider's typed error.
  [[noreturn]] void Translate(const Context& ctx, std::string_view operation,
                              const std::string& key_id, Use use);
  void ThrowIfClosed() const;

  std::unique_ptr<aws::JsonProtocolClient> client_;
  std::map<std::string, std::string> encryption_context_;
  int window_days_;
  std::atomic<bool> closed_{false};
};

}  // namespace mink::kms

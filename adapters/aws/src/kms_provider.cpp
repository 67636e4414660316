// AWS KMS as an EncryptionProvider (see mink/kms/provider.hpp).
#include "mink/kms/provider.hpp"

#include <array>
#include <cmath>

#include "mink/encryption/aes_gcm.hpp"
#include "mink/encryption/base64.hpp"

namespace mink::kms {
namespace {

std::string Base64(std::string_view in) { return Base64Encode(in); }

// Strict standard base64 (padding required); nullopt when malformed.
std::optional<std::string> Unbase64(std::string_view in) {
  std::string out;
  if (!TryBase64Decode(in, out)) return std::nullopt;
  return out;
}

bool IsContextEnd(const Error& e) {
  return e.code() == errc::kCancelled || e.code() == errc::kDeadlineExceeded;
}

// Codes that mean "KMS (or the path to it) cannot serve this now", whatever the status.
bool IsUnavailableCode(const aws::ServiceError& e) {
  for (std::string_view c :
       {"KMSInternal", "DependencyTimeout", "KeyUnavailable", "AccessDenied", "UnrecognizedClient",
        "InvalidSignature", "IncompleteSignature", "MissingAuthenticationToken", "ExpiredToken",
        "InvalidClientTokenId", "ServiceUnavailable", "InternalFailure"}) {
    if (e.IsCode(c)) return true;
  }
  return e.Retryable() || e.status() >= 500;
}

ErrorCode RefusalCode(int use) {  // 0 encrypt, 1 decrypt, 2 manage
  return use == 0   ? errc::kEncryptionFailed
         : use == 1 ? errc::kDecryptionFailed
                    : errc::kInvalidArgument;
}

// A required base64 field of a reply, decoded.
std::string DecodeField(nlohmann::json& out, const char* field, std::string_view op,
                        const std::string& key_id) {
  auto it = out.find(field);
  std::optional<std::string> bytes;
  if (it != out.end() && it->is_string()) {
    bytes = Unbase64(it->get_ref<const std::string&>());
    SecretBytes::Wipe(it->get_ref<std::string&>());  // Plaintext: wipe the base64 copy too
  }
  if (!bytes) {
    throw KeyError(errc::kProviderUnavailable, key_id,
                   "kms: " + std::string(op) + ": the reply has no valid " + field);
  }
  return std::move(*bytes);
}

}  // namespace

Provider::Provider(ProviderOptions options)
    : encryption_context_(std::move(options.encryption_context)),
      window_days_(ClampPendingWindowDays(options.pending_deletion_window_days)) {
  if (options.service.signing_name.empty()) options.service.signing_name = "kms";
  client_ = std::make_unique<aws::JsonProtocolClient>(std::move(options.service), "TrentService");
}

Provider::~Provider() = default;

void Provider::ThrowIfClosed() const {
  if (closed_.load()) throw Error(errc::kProviderClosed, "kms: the provider is closed");
}

void Provider::Close() { closed_.store(true); }

nlohmann::json Provider::Call(const Context& ctx, std::string_view operation,
                              const std::string& key_id, nlohmann::json input, Use use) {
  ThrowIfClosed();
  if (key_id.empty()) throw KeyError(errc::kKeyNotFound, key_id, "kms: no key ID");
  if (use != Use::kManage && !encryption_context_.empty()) {
    input["EncryptionContext"] = encryption_context_;
  }
  try {
    return client_->Call(ctx, operation, input);
  } catch (...) {
    Translate(ctx, operation, key_id, use);
  }
}

void Provider::Translate(const Context& ctx, std::string_view operation, const std::string& key_id,
                         Use use) {
  const std::string op = "kms: " + std::string(operation);
  const int u = static_cast<int>(use);
  const auto cause = std::current_exception();
  try {
    throw;
  } catch (const KeyError&) {
    throw;
  } catch (const aws::ServiceError& e) {
    if (e.IsCode("NotFound")) {
      // A key that existed (it sealed this data) and is gone was deleted: shredded.
      if (use == Use::kDecrypt) {
        throw KeyError(errc::kKeyRevoked, key_id, op + ": the key no longer exists", cause);
      }
      throw KeyError(errc::kKeyNotFound, key_id, op + ": KMS does not know the key", cause);
    }
    if (e.IsCode("KMSInvalidState") && use != Use::kManage) {
      std::string state = "unknown";
      try {
        const KeyMetadata md = DescribeKey(ctx, key_id);
        state = md.key_state;
      } catch (const KeyError& d) {
        if (d.code() == errc::kKeyNotFound) state = "deleted";
      } catch (const Error& d) {
        if (IsContextEnd(d)) throw;  // the caller's deadline, not the key's state
      }
      if (state == "PendingDeletion" || state == "deleted") {
        throw KeyError(errc::kKeyRevoked, key_id, op + ": the key is " + state, cause);
      }
      throw KeyError(RefusalCode(u), key_id, op + ": the key is in state " + state, cause);
    }
    if (e.IsCode("Disabled")) {
      throw KeyError(RefusalCode(u), key_id, op + ": the key is disabled", cause);
    }
    if (e.IsCode("InvalidCiphertext") || e.IsCode("IncorrectKey")) {
      throw KeyError(errc::kDecryptionFailed, key_id, op + ": " + e.aws_code(), cause);
    }
    if (IsUnavailableCode(e)) {
      throw KeyError(
          errc::kProviderUnavailable, key_id,
          op + ": KMS refused or failed (" +
              (e.aws_code().empty() ? "HTTP " + std::to_string(e.status()) : e.aws_code()) + ")",
          cause);
    }
    throw KeyError(RefusalCode(u), key_id, op + ": " + e.aws_code(), cause);
  } catch (const http::HttpError& e) {
    if (IsContextEnd(e)) throw;
    throw KeyError(errc::kProviderUnavailable, key_id,
                   op + (e.RequestSent() ? ": no reply from KMS (" : ": KMS unreachable (") +
                       std::string(e.code().name()) + ")",
                   cause);
  } catch (const Error& e) {
    if (IsContextEnd(e)) throw;
    if (e.code() == errc::kAwsInvalidResponse) {
      throw KeyError(errc::kProviderUnavailable, key_id, op + ": the reply is not JSON", cause);
    }
    throw;
  }
}

std::string Provider::Encrypt(const Context& ctx, const std::string& key_id,
                              std::string_view plaintext) {
  nlohmann::json in{{"KeyId", key_id}, {"Plaintext", Base64(plaintext)}};
  nlohmann::json out = Call(ctx, "Encrypt", key_id, std::move(in), Use::kEncrypt);
  return DecodeField(out, "CiphertextBlob", "Encrypt", key_id);
}

SecretBytes Provider::Decrypt(const Context& ctx, const std::string& key_id,
                              std::string_view ciphertext) {
  nlohmann::json in{{"KeyId", key_id}, {"CiphertextBlob", Base64(ciphertext)}};
  nlohmann::json out = Call(ctx, "Decrypt", key_id, std::move(in), Use::kDecrypt);
  std::string plain = DecodeField(out, "Plaintext", "Decrypt", key_id);
  return SecretBytes::Adopt(plain);
}

DataKey Provider::GenerateDataKey(const Context& ctx, const std::string& key_id) {
  nlohmann::json in{{"KeyId", key_id}, {"KeySpec", "AES_256"}};
  nlohmann::json out = Call(ctx, "GenerateDataKey", key_id, std::move(in), Use::kEncrypt);
  std::string plain = DecodeField(out, "Plaintext", "GenerateDataKey", key_id);
  SecretBytes key = SecretBytes::Adopt(plain);
  std::string blob = DecodeField(out, "CiphertextBlob", "GenerateDataKey", key_id);
  if (key.Size() != kAesGcmKeySize) {
    throw KeyError(errc::kInvalidKey, key_id, "kms: GenerateDataKey: the data key is not 32 bytes");
  }
  return DataKey{std::move(key), std::move(blob), key_id};
}

SecretBytes Provider::DecryptDataKey(const Context& ctx, const std::string& key_id,
                                     std::string_view wrapped_key) {
  SecretBytes key = Decrypt(ctx, key_id, wrapped_key);
  if (key.Size() != kAesGcmKeySize) {
    throw KeyError(
        errc::kInvalidKey, key_id,
        "kms: Decrypt: the unwrapped data key is " + std::to_string(key.Size()) + " bytes, not 32");
  }
  return key;
}

KeyMetadata Provider::DescribeKey(const Context& ctx, const std::string& key_id) {
  nlohmann::json out = Call(ctx, "DescribeKey", key_id, {{"KeyId", key_id}}, Use::kManage);
  const auto& md = out.value("KeyMetadata", nlohmann::json::object());
  if (!md.is_object() || !md.contains("KeyState") || !md["KeyState"].is_string()) {
    throw KeyError(errc::kProviderUnavailable, key_id,
                   "kms: DescribeKey: the reply has no KeyMetadata.KeyState");
  }
  KeyMetadata m;
  m.key_id = md.value("KeyId", "");
  m.arn = md.value("Arn", "");
  m.key_state = md["KeyState"].get<std::string>();
  m.enabled = md.value("Enabled", false);
  if (auto it = md.find("DeletionDate"); it != md.end() && it->is_number()) {
    const double secs = it->get<double>();
    m.deletion_date = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::duration<double>(secs)));
  }
  return m;
}

bool Provider::IsRevoked(const Context& ctx, const std::string& key_id) {
  try {
    return DescribeKey(ctx, key_id).key_state == "PendingDeletion";
  } catch (const KeyError& e) {
    if (e.code() == errc::kKeyNotFound && !key_id.empty()) return true;  // deleted
    throw;
  }
}

void Provider::RevokeKey(const Context& ctx, const std::string& key_id) {
  try {
    Call(ctx, "ScheduleKeyDeletion", key_id,
         {{"KeyId", key_id}, {"PendingWindowInDays", window_days_}}, Use::kManage);
  } catch (const KeyError& e) {
    if (key_id.empty()) throw;
    if (e.code() == errc::kKeyNotFound) return;  // already deleted
    // KMSInvalidState: already pending deletion counts as done.
    if (IsRevoked(ctx, key_id)) return;
    throw;
  }
}

}  // namespace mink::kms

// mink/vault/provider.hpp — HashiCorp Vault's Transit engine as an EncryptionProvider
// (go-mink's encryption/vault), over mink::http.
//
//   auto vault = std::make_shared<mink::vault::Provider>(mink::vault::OptionsFromEnvironment());
//   // or explicitly:
//   mink::vault::Provider vault({.address = "https://vault.internal:8200", .token = token,
//                                .namespace_name = "team-a", .ca_file = "/etc/vault/ca.pem"});
//   mink::DataKey dk = vault.GenerateDataKey(ctx, "orders");   // local key, wrapped by Transit
//
// Data keys are generated locally (OpenSSL) and wrapped by POST /v1/<mount>/encrypt/<key>
// (base64 plaintext) into Vault's own "vault:v<N>:..." ciphertext, stored as it is and
// unwrapped by POST /v1/<mount>/decrypt/<key>. Encrypt/Decrypt seal small data the same way.
// Every request carries X-Vault-Token and, when set, X-Vault-Namespace.
//
// Transit's encrypt *creates* a missing key when the token may (upsert), which would silently
// re-create a revoked key. So before wrapping, the provider checks the key exists
// (GET /v1/<mount>/keys/<key>) unless check_key_before_wrap is off: an unknown or revoked key
// is then kKeyNotFound, never a fresh key.
//
// Revocation (go-mink): RevokeKey deletes the Transit key, which needs two calls:
// POST keys/<key>/config {"deletion_allowed":true}, then DELETE keys/<key>. Idempotent: a
// key already gone counts as done. IsRevoked is "the key does not exist" (GET → 404); Vault
// cannot tell a deleted key from one that never existed.
//
// Errors (mink::KeyError naming the key; Vault's reply kept as the cause, an
// http::StatusError, or the http::HttpError of a transport failure):
//   kKeyNotFound          Encrypt / GenerateDataKey under a key that does not exist
//   kKeyRevoked           Decrypt / DecryptDataKey under a key that does not exist (deleted)
//   kDecryptionFailed     a ciphertext Vault refuses (tampered, another key's, not vault:v...)
//   kEncryptionFailed     Vault refused to encrypt (400)
//   kInvalidKey           DecryptDataKey unwrapped something that is not a 32-byte key
//   kInvalidArgument      a key name outside [A-Za-z0-9_.-]
//   kProviderUnavailable  5xx (sealed, standby), 429, 401/403 (token), transport failures and
//                         replies that do not parse, once max_attempts are used up
//   kCancelled / kDeadlineExceeded  the Context ended the call
//   kProviderClosed       any call after Close()
// Messages never contain the token, key material or plaintext.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "mink/encryption/provider.hpp"
#include "mink/http/client.hpp"

namespace mink::vault {

struct ProviderOptions {
  std::string address;         // "https://vault.example.com:8200" (VAULT_ADDR)
  std::string token;           // X-Vault-Token (VAULT_TOKEN)
  std::string namespace_name;  // X-Vault-Namespace, Vault Enterprise / HCP (VAULT_NAMESPACE)
  std::string mount = "transit";
  // TLS of the default transport: trust these CAs instead of the system store.
  std::string ca_file;     // PEM bundle (VAULT_CACERT)
  std::string ca_path;     // directory of hashed CA certificates (VAULT_CAPATH)
  bool verify_tls = true;  // false is for tests only (VAULT_SKIP_VERIFY), and is logged
  // Bound of one request; the Context's deadline bounds the whole call, retries included.
  std::chrono::milliseconds timeout{10000};
  // Attempts for a connect failure, 429 or 5xx (Vault sealed or standby), a fixed delay apart.
  int max_attempts = 3;
  std::chrono::milliseconds retry_delay{200};
  // GET the key before each wrap, so encrypt's upsert never re-creates a revoked key.
  bool check_key_before_wrap = true;
  // The transport; default: an http::Client built from the TLS options above.
  std::shared_ptr<http::HttpClient> http_client;
};

using Environment = std::function<std::optional<std::string>(std::string_view name)>;
// Fills the fields left empty from VAULT_ADDR, VAULT_TOKEN, VAULT_NAMESPACE, VAULT_CACERT,
// VAULT_CAPATH and VAULT_SKIP_VERIFY (the vault CLI's variables). Default: the process env.
ProviderOptions OptionsFromEnvironment(ProviderOptions given = {}, const Environment& env = {});

class Provider final : public EncryptionProvider, public RevocableProvider {
 public:
  // Throws Error(kInvalidArgument) without an http(s):// address or a token.
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

  void RevokeKey(const Context& ctx, const std::string& key_id) override;
  bool IsRevoked(const Context& ctx, const std::string& key_id) override;
  // GET /v1/<mount>/keys/<key>: 200 → true, 404 → false.
  bool KeyExists(const Context& ctx, const std::string& key_id);

 private:
  enum class Use { kEncrypt, kDecrypt, kManage };
  http::Response Send(const Context& ctx, const std::string& method, const std::string& path,
                      std::string body, const std::string& key_id);
  [[noreturn]] void Fail(const http::Response& res, const std::string& what,
                         const std::string& key_id, Use use) const;
  std::string KeyPath(const std::string& verb, const std::string& key_id) const;
  void ThrowIfClosed() const;

  ProviderOptions options_;
  std::atomic<bool> closed_{false};
};

}  // namespace mink::vault

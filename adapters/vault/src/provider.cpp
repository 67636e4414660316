// Vault Transit as an EncryptionProvider (see mink/vault/provider.hpp).
#include "mink/vault/provider.hpp"

#include <array>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "mink/encryption/aes_gcm.hpp"
#include "mink/encryption/base64.hpp"

namespace mink::vault {
namespace {

std::string Base64(std::string_view in) { return Base64Encode(in); }

// Strict standard base64 (padding required); nullopt when malformed.
std::optional<std::string> Unbase64(std::string_view in) {
  std::string out;
  if (!TryBase64Decode(in, out)) return std::nullopt;
  return out;
}

bool ValidName(std::string_view s) {
  if (s.empty() || s.size() > 256) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return s != "." && s != "..";
}

// A mount path: names joined by single '/', no leading or trailing '/'.
bool ValidMount(std::string_view s) {
  std::size_t from = 0;
  while (true) {
    const auto slash = s.find('/', from);
    if (!ValidName(s.substr(from, slash - from))) return false;
    if (slash == std::string_view::npos) return true;
    from = slash + 1;
  }
}

// A Transit ciphertext: "vault:v<digits>:" then printable ASCII.
bool LooksLikeTransitCiphertext(std::string_view s) {
  if (!s.starts_with("vault:v")) return false;
  std::size_t i = 7;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  if (i == 7 || i >= s.size() || s[i] != ':' || i + 1 == s.size()) return false;
  for (char c : s) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

// Vault's {"errors":[...]} joined, cut short (never holds plaintext or the token).
std::string VaultErrors(const http::Response& res) {
  std::string out;
  auto body = nlohmann::json::parse(res.body, nullptr, false);
  if (body.is_object()) {
    if (auto it = body.find("errors"); it != body.end() && it->is_array()) {
      for (const auto& e : *it) {
        if (!e.is_string()) continue;
        if (!out.empty()) out += "; ";
        out += e.get<std::string>();
      }
    }
  }
  if (out.size() > 200) out = out.substr(0, 200) + "...";
  return out;
}

bool MentionsMissingKey(const std::string& errors) {
  return errors.find("key not found") != std::string::npos ||
         errors.find("no existing key") != std::string::npos ||
         errors.find("does not exist") != std::string::npos;
}

bool IsContextEnd(const Error& e) {
  return e.code() == errc::kCancelled || e.code() == errc::kDeadlineExceeded;
}

bool Retryable(int status) { return status == 429 || status >= 500; }

}  // namespace

ProviderOptions OptionsFromEnvironment(ProviderOptions given, const Environment& env) {
  const Environment get = env ? env : [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr || *v == '\0') return std::nullopt;
    return std::string(v);
  };
  auto fill = [&](std::string& field, std::string_view name) {
    if (field.empty()) {
      if (auto v = get(name)) field = *v;
    }
  };
  fill(given.address, "VAULT_ADDR");
  fill(given.token, "VAULT_TOKEN");
  fill(given.namespace_name, "VAULT_NAMESPACE");
  fill(given.ca_file, "VAULT_CACERT");
  fill(given.ca_path, "VAULT_CAPATH");
  if (auto v = get("VAULT_SKIP_VERIFY"); v && (*v == "1" || *v == "true" || *v == "TRUE")) {
    given.verify_tls = false;
  }
  return given;
}

Provider::Provider(ProviderOptions options) : options_(std::move(options)) {
  while (options_.address.ends_with('/')) options_.address.pop_back();
  if (!options_.address.starts_with("http://") && !options_.address.starts_with("https://")) {
    throw Error(errc::kInvalidArgument, "vault: the address must be an http(s):// URL");
  }
  if (options_.token.empty()) throw Error(errc::kInvalidArgument, "vault: no token");
  if (!ValidMount(options_.mount)) {
    throw Error(errc::kInvalidArgument, "vault: the mount path must be [A-Za-z0-9_.-/]");
  }
  if (options_.max_attempts < 1) options_.max_attempts = 1;
  if (!options_.http_client) {
    options_.http_client =
        std::make_shared<http::Client>(http::ClientOptions{.timeout = options_.timeout,
                                                           .verify_tls = options_.verify_tls,
                                                           .ca_file = options_.ca_file,
                                                           .ca_path = options_.ca_path,
                                                           .user_agent = "mink-vault/0.1"});
  }
}

Provider::~Provider() = default;

void Provider::ThrowIfClosed() const {
  if (closed_.load()) throw Error(errc::kProviderClosed, "vault: the provider is closed");
}

void Provider::Close() { closed_.store(true); }

std::string Provider::KeyPath(const std::string& verb, const std::string& key_id) const {
  if (!ValidName(key_id)) {
    throw KeyError(errc::kInvalidArgument, key_id,
                   "vault: a Transit key name is [A-Za-z0-9_.-], 1 to 256 characters");
  }
  return "/v1/" + options_.mount + "/" + verb + "/" + key_id;
}

http::Response Provider::Send(const Context& ctx, const std::string& method,
                              const std::string& path, std::string body,
                              const std::string& key_id) {
  http::Request req{.method = method, .url = options_.address + path, .body = std::move(body)};
  req.headers.emplace_back("X-Vault-Token", options_.token);
  if (!options_.namespace_name.empty()) {
    req.headers.emplace_back("X-Vault-Namespace", options_.namespace_name);
  }
  if (!req.body.empty()) req.headers.emplace_back("Content-Type", "application/json");
  req.timeout = options_.timeout;
  const std::string what = "vault: " + method + " " + path;
  for (int attempt = 1;; ++attempt) {
    std::exception_ptr failure;
    try {
      http::Response res = options_.http_client->Do(ctx, req);
      if (!Retryable(res.status) || attempt >= options_.max_attempts) {
        SecretBytes::Wipe(req.body);
        return res;
      }
    } catch (const http::HttpError& e) {
      if (IsContextEnd(e)) {
        SecretBytes::Wipe(req.body);
        throw;
      }
      failure = std::current_exception();
      if (e.code() != errc::kHttpConnectFailed || attempt >= options_.max_attempts) {
        SecretBytes::Wipe(req.body);
        throw KeyError(errc::kProviderUnavailable, key_id,
                       what + (e.RequestSent() ? ": no reply (" : ": unreachable (") +
                           std::string(e.code().name()) + ")",
                       failure);
      }
    }
    if (!ctx.SleepFor(options_.retry_delay)) {
      SecretBytes::Wipe(req.body);
      throw Error(ctx.Err().value_or(errc::kCancelled), what + ": context ended between attempts",
                  failure);
    }
  }
}

void Provider::Fail(const http::Response& res, const std::string& what, const std::string& key_id,
                    Use use) const {
  const std::string errors = VaultErrors(res);
  const auto cause = std::make_exception_ptr(http::StatusError(res, what));
  const std::string msg = what + ": " + std::to_string(res.status) +
                          (errors.empty() ? std::string() : " (" + errors + ")");
  const bool missing = res.status == 404 || (res.status == 400 && MentionsMissingKey(errors));
  if (missing && use == Use::kDecrypt) throw KeyError(errc::kKeyRevoked, key_id, msg, cause);
  if (missing) throw KeyError(errc::kKeyNotFound, key_id, msg, cause);
  if (res.status == 400 && use == Use::kDecrypt) {
    throw KeyError(errc::kDecryptionFailed, key_id, msg, cause);
  }
  if (res.status == 400 && use == Use::kEncrypt) {
    throw KeyError(errc::kEncryptionFailed, key_id, msg, cause);
  }
  if (res.status == 400) throw KeyError(errc::kInvalidArgument, key_id, msg, cause);
  throw KeyError(errc::kProviderUnavailable, key_id, msg, cause);
}

bool Provider::KeyExists(const Context& ctx, const std::string& key_id) {
  ThrowIfClosed();
  const std::string path = KeyPath("keys", key_id);
  http::Response res = Send(ctx, "GET", path, {}, key_id);
  if (res.Ok()) return true;
  if (res.status == 404) return false;
  Fail(res, "vault: GET " + path, key_id, Use::kManage);
}

std::string Provider::Encrypt(const Context& ctx, const std::string& key_id,
                              std::string_view plaintext) {
  ThrowIfClosed();
  const std::string path = KeyPath("encrypt", key_id);
  if (options_.check_key_before_wrap && !KeyExists(ctx, key_id)) {
    throw KeyError(errc::kKeyNotFound, key_id,
                   "vault: the Transit key does not exist (not created, or revoked)");
  }
  // Built by hand (base64 needs no JSON escaping) so no untracked copy of the key is left.
  std::string b64 = Base64(plaintext);
  std::string body;
  body.reserve(b64.size() + 16);
  body.append(R"({"plaintext":")").append(b64).append(R"("})");
  SecretBytes::Wipe(b64);
  http::Response res = Send(ctx, "POST", path, std::move(body), key_id);
  if (!res.Ok()) Fail(res, "vault: POST " + path, key_id, Use::kEncrypt);
  auto out = nlohmann::json::parse(res.body, nullptr, false);
  const nlohmann::json* ct = nullptr;
  if (out.is_object() && out.contains("data") && out["data"].is_object()) {
    auto it = out["data"].find("ciphertext");
    if (it != out["data"].end() && it->is_string()) ct = &*it;
  }
  if (ct == nullptr || !LooksLikeTransitCiphertext(ct->get_ref<const std::string&>())) {
    throw KeyError(errc::kProviderUnavailable, key_id,
                   "vault: POST " + path + ": the reply has no vault:v... ciphertext");
  }
  return ct->get<std::string>();
}

SecretBytes Provider::Decrypt(const Context& ctx, const std::string& key_id,
                              std::string_view ciphertext) {
  ThrowIfClosed();
  const std::string path = KeyPath("decrypt", key_id);
  if (!LooksLikeTransitCiphertext(ciphertext)) {
    throw KeyError(errc::kDecryptionFailed, key_id,
                   "vault: not a Transit ciphertext (vault:v<N>:...)");
  }
  http::Response res = Send(ctx, "POST", path,
                            nlohmann::json{{"ciphertext", std::string(ciphertext)}}.dump(), key_id);
  if (!res.Ok()) Fail(res, "vault: POST " + path, key_id, Use::kDecrypt);
  auto out = nlohmann::json::parse(res.body, nullptr, false);
  SecretBytes::Wipe(res.body);
  std::optional<std::string> plain;
  if (out.is_object() && out.contains("data") && out["data"].is_object()) {
    auto it = out["data"].find("plaintext");
    if (it != out["data"].end() && it->is_string()) {
      plain = Unbase64(it->get_ref<const std::string&>());
      SecretBytes::Wipe(it->get_ref<std::string&>());
    }
  }
  if (!plain) {
    throw KeyError(errc::kProviderUnavailable, key_id,
                   "vault: POST " + path + ": the reply has no base64 plaintext");
  }
  return SecretBytes::Adopt(*plain);
}

DataKey Provider::GenerateDataKey(const Context& ctx, const std::string& key_id) {
  ThrowIfClosed();
  SecretBytes key = GenerateAesKey();
  std::string wrapped = Encrypt(ctx, key_id, key.View());
  return DataKey{std::move(key), std::move(wrapped), key_id};
}

SecretBytes Provider::DecryptDataKey(const Context& ctx, const std::string& key_id,
                                     std::string_view wrapped_key) {
  SecretBytes key = Decrypt(ctx, key_id, wrapped_key);
  if (key.Size() != kAesGcmKeySize) {
    throw KeyError(
        errc::kInvalidKey, key_id,
        "vault: the unwrapped data key is " + std::to_string(key.Size()) + " bytes, not 32");
  }
  return key;
}

bool Provider::IsRevoked(const Context& ctx, const std::string& key_id) {
  return !KeyExists(ctx, key_id);
}

void Provider::RevokeKey(const Context& ctx, const std::string& key_id) {
  ThrowIfClosed();
  const std::string keys = KeyPath("keys", key_id);
  http::Response res = Send(ctx, "POST", keys + "/config",
                            nlohmann::json{{"deletion_allowed", true}}.dump(), key_id);
  if (!res.Ok()) {
    // A key already gone: revoking again is done (idempotent).
    if ((res.status == 404 || res.status == 400) && !KeyExists(ctx, key_id)) return;
    Fail(res, "vault: POST " + keys + "/config", key_id, Use::kManage);
  }
  res = Send(ctx, "DELETE", keys, {}, key_id);
  if (res.Ok() || res.status == 404) return;
  Fail(res, "vault: DELETE " + keys, key_id, Use::kManage);
}

}  // namespace mink::vault

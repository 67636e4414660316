// Test support: a local Vault Transit engine on 127.0.0.1 (wave2-testing.md §4.3, §5.3), plain
// HTTP or TLS with a self-signed certificate.
//
//   * X-Vault-Token must equal kToken, else 403 {"errors":["permission denied"]}; when a
//     namespace is required, X-Vault-Namespace must match (else 403 too).
//   * Per key, versions of 32-byte material. Ciphertext = "vault:v<ver>:" + base64(nonce ‖ ct ‖
//     tag), real AES-256-GCM with the key name as AAD. Decrypt parses the prefix and answers
//     400 for a missing key ("encryption key not found"), a bad prefix, version or base64, or
//     a tag that does not verify.
//   * encrypt UPSERTS a missing key, as real Vault does with create capability.
//   * keys/<name>/config sets deletion_allowed; DELETE without it is 400; GET of a missing key
//     is 404 {"errors":[]}.
//   * Hooks: faults (e.g. 503 sealed), a reply delay, Rotate, the requests seen.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "encryption_providers/base64.hpp"
#include "encryption_providers/fake_support.hpp"
#include "http/local_server.hpp"
#include "mink/encryption/aes_gcm.hpp"

namespace mink::testing {

class FakeVault {
 public:
  static constexpr char kToken[] = "hvs.fake-vault-token-never-printed";

  explicit FakeVault(const SelfSignedCert* tls = nullptr, std::string require_namespace = {})
      : server_(tls ? std::unique_ptr<httplib::Server>(std::make_unique<httplib::SSLServer>(
                          tls->cert_path().c_str(), tls->key_path().c_str()))
                    : std::make_unique<httplib::Server>()),
        namespace_(std::move(require_namespace)),
        scheme_(tls ? "https" : "http") {
    const std::string name = "([A-Za-z0-9_.-]+)";
    auto route = [this](auto op) {
      return [this, op](const httplib::Request& q, httplib::Response& res) {
        delay_.Wait();
        if (!Admit(q, res)) return;
        std::lock_guard lock(mu_);
        (this->*op)(q, res);
      };
    };
    server_->Post("/v1/transit/encrypt/" + name, route(&FakeVault::EncryptRoute));
    server_->Post("/v1/transit/decrypt/" + name, route(&FakeVault::DecryptRoute));
    server_->Post("/v1/transit/keys/" + name + "/config", route(&FakeVault::ConfigRoute));
    server_->Get("/v1/transit/keys/" + name, route(&FakeVault::ReadRoute));
    server_->Delete("/v1/transit/keys/" + name, route(&FakeVault::DeleteRoute));
    server_.Start();
  }
  ~FakeVault() {
    delay_.Set(std::chrono::milliseconds(0));
    server_.Stop();
  }
  FakeVault(const FakeVault&) = delete;
  FakeVault& operator=(const FakeVault&) = delete;

  std::string Url() const { return scheme_ + "://127.0.0.1:" + std::to_string(server_.port()); }

  void CreateKey(const std::string& name) {
    std::lock_guard lock(mu_);
    keys_[name] = Key{{RandomBytes(32)}, false};
  }
  void Rotate(const std::string& name) {
    std::lock_guard lock(mu_);
    keys_.at(name).versions.push_back(RandomBytes(32));
  }
  bool Exists(const std::string& name) {
    std::lock_guard lock(mu_);
    return keys_.count(name) > 0;
  }
  void SetDelay(std::chrono::milliseconds d) { delay_.Set(d); }
  void Fail(Fault f, int times = 1) { faults_.Push(std::move(f), times); }
  // "METHOD path" of every request that reached a route, in order.
  std::vector<std::string> Requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }
  nlohmann::json LastBody() {
    std::lock_guard lock(mu_);
    return last_body_;
  }

 private:
  struct Key {
    std::vector<std::string> versions;  // material of v1, v2, ...
    bool deletion_allowed;
  };

  static void Reply(httplib::Response& res, int status, const nlohmann::json& body) {
    res.status = status;
    res.set_content(body.dump(), "application/json");
  }
  static void Errors(httplib::Response& res, int status, const std::string& e) {
    Reply(res, status, {{"errors", e.empty() ? nlohmann::json::array() : nlohmann::json{e}}});
  }

  bool Admit(const httplib::Request& q, httplib::Response& res) {
    {
      std::lock_guard lock(mu_);
      requests_.push_back(q.method + " " + q.path);
      last_body_ = nlohmann::json::parse(q.body, nullptr, false);
    }
    if (q.get_header_value("X-Vault-Token") != kToken ||
        q.get_header_value("X-Vault-Namespace") != namespace_) {
      Errors(res, 403, "permission denied");
      return false;
    }
    if (auto f = faults_.Next()) {
      Errors(res, f->status, f->code);
      return false;
    }
    return true;
  }

  void EncryptRoute(const httplib::Request& q, httplib::Response& res) {
    const std::string name = q.matches[1];
    auto in = nlohmann::json::parse(q.body, nullptr, false);
    if (!in.is_object() || !in.contains("plaintext") || !in["plaintext"].is_string()) {
      return Errors(res, 400, "missing plaintext to encrypt");
    }
    auto plain = UnB64(in["plaintext"].get<std::string>());
    if (!plain) return Errors(res, 400, "failed to base64-decode plaintext");
    auto it = keys_.find(name);
    if (it == keys_.end()) {  // upsert, as Vault does for a token with create capability
      it = keys_.emplace(name, Key{{RandomBytes(32)}, false}).first;
    }
    const auto ver = it->second.versions.size();
    Reply(res, 200,
          {{"data",
            {{"ciphertext", "vault:v" + std::to_string(ver) + ":" +
                                B64(AesGcmEncrypt(it->second.versions.back(), *plain, name))},
             {"key_version", ver}}}});
  }

  void DecryptRoute(const httplib::Request& q, httplib::Response& res) {
    const std::string name = q.matches[1];
    auto in = nlohmann::json::parse(q.body, nullptr, false);
    if (!in.is_object() || !in.contains("ciphertext") || !in["ciphertext"].is_string()) {
      return Errors(res, 400, "missing ciphertext to decrypt");
    }
    auto it = keys_.find(name);
    if (it == keys_.end()) return Errors(res, 400, "encryption key not found");
    const std::string ct = in["ciphertext"].get<std::string>();
    if (ct.rfind("vault:v", 0) != 0) return Errors(res, 400, "invalid ciphertext: no prefix");
    const auto colon = ct.find(':', 7);
    std::size_t ver = 0;
    try {
      ver = colon == std::string::npos ? 0 : std::stoul(ct.substr(7, colon - 7));
    } catch (const std::exception&) {
      ver = 0;
    }
    if (ver == 0 || ver > it->second.versions.size()) {
      return Errors(res, 400, "invalid ciphertext: invalid key version");
    }
    auto sealed = UnB64(ct.substr(colon + 1));
    if (!sealed) return Errors(res, 400, "invalid ciphertext: could not decode");
    try {
      const std::string plain = AesGcmDecrypt(it->second.versions[ver - 1], *sealed, name);
      Reply(res, 200, {{"data", {{"plaintext", B64(plain)}}}});
    } catch (const Error&) {
      Errors(res, 400, "cipher: message authentication failed");
    }
  }

  void ConfigRoute(const httplib::Request& q, httplib::Response& res) {
    const std::string name = q.matches[1];
    auto it = keys_.find(name);
    if (it == keys_.end()) {
      return Errors(res, 400, "no existing key named " + name + " could be found");
    }
    auto in = nlohmann::json::parse(q.body, nullptr, false);
    if (in.is_object() && in.contains("deletion_allowed") && in["deletion_allowed"].is_boolean()) {
      it->second.deletion_allowed = in["deletion_allowed"].get<bool>();
    }
    res.status = 204;
  }

  void ReadRoute(const httplib::Request& q, httplib::Response& res) {
    const std::string name = q.matches[1];
    auto it = keys_.find(name);
    if (it == keys_.end()) return Errors(res, 404, "");
    nlohmann::json versions = nlohmann::json::object();
    for (std::size_t v = 1; v <= it->second.versions.size(); ++v) versions[std::to_string(v)] = 1;
    Reply(res, 200,
          {{"data",
            {{"name", name},
             {"type", "aes256-gcm96"},
             {"deletion_allowed", it->second.deletion_allowed},
             {"keys", versions},
             {"latest_version", it->second.versions.size()}}}});
  }

  void DeleteRoute(const httplib::Request& q, httplib::Response& res) {
    const std::string name = q.matches[1];
    auto it = keys_.find(name);
    if (it == keys_.end()) return Errors(res, 404, "");
    if (!it->second.deletion_allowed) {
      return Errors(res, 400, "deletion is not allowed for this key");
    }
    keys_.erase(it);
    res.status = 204;
  }

  LocalServer server_;
  std::string namespace_;
  std::string scheme_;
  ReplyDelay delay_;
  FaultQueue faults_;
  std::mutex mu_;
  std::map<std::string, Key> keys_;
  std::vector<std::string> requests_;
  nlohmann::json last_body_;
};

}  // namespace mink::testing

// Test support: a local AWS KMS on 127.0.0.1 that speaks the JSON 1.1 protocol faithfully
// (wave2-testing.md §4.1, §5.1): every request's SigV4 signature is verified
// (aws/sigv4_verifier.hpp), and keys are real AES-256 material.
//
//   * Blob = u8 len ‖ keyId ‖ nonce(12) ‖ ct ‖ tag(16), sealed under the key's material with
//     AAD = keyId + "\0" + the sorted "k=v\n" lines of EncryptionContext. So Decrypt finds the
//     key from the blob, a wrong context is InvalidCiphertextException, and a KeyId other than
//     the blob's is IncorrectKeyException.
//   * KeyId is accepted as an id or an ARN. Key states Enabled / Disabled / PendingDeletion;
//     ScheduleKeyDeletion (7..30 days, else ValidationException) moves to PendingDeletion, and
//     any use then is KMSInvalidStateException; Disabled is DisabledException; a deleted or
//     unknown key is NotFoundException.
//   * Hooks: SetState, Delete (the window ran out), scripted faults (500 / throttling), a
//     reply delay, the operations seen and the last body of each operation.
#pragma once

#include <algorithm>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "aws/sigv4_verifier.hpp"
#include "encryption_providers/base64.hpp"
#include "encryption_providers/fake_support.hpp"
#include "http/local_server.hpp"
#include "mink/encryption/aes_gcm.hpp"

namespace mink::testing {

class FakeKms {
 public:
  static constexpr char kAccessKey[] = "AKIDKMSFAKE";
  static constexpr char kSecret[] = "kms/fake/secret/never/printed/0123456789";
  static constexpr char kAccount[] = "arn:aws:kms:us-east-1:111122223333:key/";

  FakeKms() {
    server_->Post("/", [this](const httplib::Request& q, httplib::Response& res) {
      delay_.Wait();
      Handle(q, res);
    });
    server_.Start();
  }
  ~FakeKms() {
    delay_.Set(std::chrono::milliseconds(0));
    server_.Stop();
  }
  FakeKms(const FakeKms&) = delete;
  FakeKms& operator=(const FakeKms&) = delete;

  std::string Url() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }

  // A new Enabled key with random material; returns its id.
  std::string CreateKey(const std::string& id) {
    std::lock_guard lock(mu_);
    keys_[id] = Key{RandomBytes(32), "Enabled", 0};
    return id;
  }
  void SetState(const std::string& id, const std::string& state) {
    std::lock_guard lock(mu_);
    keys_.at(id).state = state;
  }
  void Delete(const std::string& id) {
    std::lock_guard lock(mu_);
    keys_.erase(id);
  }
  std::string State(const std::string& id) {
    std::lock_guard lock(mu_);
    auto it = keys_.find(id);
    return it == keys_.end() ? "" : it->second.state;
  }
  void SetDelay(std::chrono::milliseconds d) { delay_.Set(d); }
  void Fail(Fault f, int times = 1) { faults_.Push(std::move(f), times); }
  // Operations received with a valid signature, in order ("GenerateDataKey", ...).
  std::vector<std::string> Operations() {
    std::lock_guard lock(mu_);
    return ops_;
  }
  int Count(const std::string& op) {
    auto v = Operations();
    return static_cast<int>(std::count(v.begin(), v.end(), op));
  }
  nlohmann::json LastBody(const std::string& op) {
    std::lock_guard lock(mu_);
    return last_body_[op];
  }
  std::vector<std::string> Rejections() {
    std::lock_guard lock(mu_);
    return rejections_;
  }

 private:
  struct Key {
    std::string material;
    std::string state;
    double deletion_date;
  };
  struct KmsError {
    std::string type, message;
    int status = 400;
  };

  static void Reply(httplib::Response& res, int status, const nlohmann::json& body) {
    res.status = status;
    res.set_content(body.dump(), "application/x-amz-json-1.1");
  }

  void Handle(const httplib::Request& q, httplib::Response& res) {
    auto fault = VerifySigV4(
        q,
        [](const std::string& akid) -> std::optional<std::string> {
          if (akid == kAccessKey) return std::string(kSecret);
          return std::nullopt;
        },
        "us-east-1", "kms", std::chrono::system_clock::now());
    if (fault) {
      std::lock_guard lock(mu_);
      rejections_.push_back(fault->code);
      return Reply(res, 400, {{"__type", fault->code}, {"message", fault->message}});
    }
    const std::string target = q.get_header_value("X-Amz-Target");
    if (target.rfind("TrentService.", 0) != 0 ||
        q.get_header_value("Content-Type") != "application/x-amz-json-1.1") {
      return Reply(res, 400, {{"__type", "UnknownOperationException"}});
    }
    const std::string op = target.substr(13);
    auto in = nlohmann::json::parse(q.body, nullptr, false);
    if (!in.is_object()) return Reply(res, 400, {{"__type", "SerializationException"}});
    {
      std::lock_guard lock(mu_);
      ops_.push_back(op);
      last_body_[op] = in;
    }
    if (auto f = faults_.Next()) {
      return Reply(res, f->status, {{"__type", f->code}, {"message", "injected"}});
    }
    std::lock_guard lock(mu_);
    try {
      Reply(res, 200, Dispatch(op, in));
    } catch (const KmsError& e) {
      Reply(res, e.status, {{"__type", "com.amazonaws.kms#" + e.type}, {"message", e.message}});
    }
  }

  static std::string IdOf(const std::string& key_id) {
    const std::string prefix = kAccount;
    return key_id.rfind(prefix, 0) == 0 ? key_id.substr(prefix.size()) : key_id;
  }
  // The key, checked usable for a cryptographic operation.
  Key& Usable(const std::string& id) {
    auto it = keys_.find(id);
    if (it == keys_.end()) throw KmsError{"NotFoundException", "Key '" + id + "' does not exist"};
    if (it->second.state == "Disabled") throw KmsError{"DisabledException", id + " is disabled."};
    if (it->second.state != "Enabled") {
      throw KmsError{"KMSInvalidStateException", id + " is pending deletion."};
    }
    return it->second;
  }
  static std::string Aad(const std::string& id, const nlohmann::json& in) {
    std::string aad = id + '\0';
    if (auto it = in.find("EncryptionContext"); it != in.end() && it->is_object()) {
      std::map<std::string, std::string> sorted;
      for (const auto& [k, v] : it->items()) sorted[k] = v.is_string() ? v.get<std::string>() : "";
      for (const auto& [k, v] : sorted) aad += k + "=" + v + "\n";
    }
    return aad;
  }
  static std::string Bytes(const nlohmann::json& in, const char* field) {
    auto it = in.find(field);
    if (it == in.end() || !it->is_string()) {
      throw KmsError{"ValidationException", std::string(field) + " is required"};
    }
    auto b = UnB64(it->get<std::string>());
    if (!b) throw KmsError{"SerializationException", std::string(field) + " is not base64"};
    return *b;
  }
  std::string Seal(const std::string& id, const std::string& plain, const nlohmann::json& in) {
    const Key& k = Usable(id);
    return std::string(1, static_cast<char>(id.size())) + id +
           AesGcmEncrypt(k.material, plain, Aad(id, in));
  }
  nlohmann::json Meta(const std::string& id) {
    auto it = keys_.find(id);
    if (it == keys_.end()) throw KmsError{"NotFoundException", "Key '" + id + "' does not exist"};
    nlohmann::json md{{"KeyId", id},
                      {"Arn", kAccount + id},
                      {"KeyState", it->second.state},
                      {"Enabled", it->second.state == "Enabled"},
                      {"KeyUsage", "ENCRYPT_DECRYPT"},
                      {"KeySpec", "SYMMETRIC_DEFAULT"},
                      {"CreationDate", 1.6e9}};
    if (it->second.state == "PendingDeletion") md["DeletionDate"] = it->second.deletion_date;
    return md;
  }

  nlohmann::json Dispatch(const std::string& op, const nlohmann::json& in) {
    const std::string key_id = in.value("KeyId", "");
    const std::string id = IdOf(key_id);
    if (op == "GenerateDataKey") {
      if (key_id.empty()) throw KmsError{"ValidationException", "KeyId is required"};
      std::size_t n = 32;
      if (in.value("KeySpec", "") == "AES_128") n = 16;
      if (in.contains("NumberOfBytes")) n = in["NumberOfBytes"].get<std::size_t>();
      const std::string plain = RandomBytes(n);
      return {{"CiphertextBlob", B64(Seal(id, plain, in))},
              {"Plaintext", B64(plain)},
              {"KeyId", kAccount + id}};
    }
    if (op == "Encrypt") {
      if (key_id.empty()) throw KmsError{"ValidationException", "KeyId is required"};
      const std::string plain = Bytes(in, "Plaintext");
      if (plain.empty() || plain.size() > 4096) {
        throw KmsError{"ValidationException", "Plaintext must be 1 to 4096 bytes"};
      }
      return {{"CiphertextBlob", B64(Seal(id, plain, in))},
              {"KeyId", kAccount + id},
              {"EncryptionAlgorithm", "SYMMETRIC_DEFAULT"}};
    }
    if (op == "Decrypt") {
      const std::string blob = Bytes(in, "CiphertextBlob");
      if (blob.empty()) throw KmsError{"ValidationException", "CiphertextBlob is too short"};
      const std::size_t len = static_cast<std::uint8_t>(blob[0]);
      if (blob.size() < 1 + len + 28) throw KmsError{"InvalidCiphertextException", ""};
      const std::string blob_id = blob.substr(1, len);
      if (!key_id.empty()) {
        if (!keys_.count(id))
          throw KmsError{"NotFoundException", "Key '" + id + "' does not exist"};
        if (id != blob_id) {
          throw KmsError{"IncorrectKeyException",
                         "The key ID in the request does not identify a CMK that can perform this "
                         "operation."};
        }
      }
      if (!keys_.count(blob_id)) throw KmsError{"InvalidCiphertextException", ""};
      const Key& k = Usable(blob_id);
      std::string plain;
      try {
        plain = AesGcmDecrypt(k.material, blob.substr(1 + len), Aad(blob_id, in));
      } catch (const Error&) {
        throw KmsError{"InvalidCiphertextException", ""};
      }
      return {{"KeyId", kAccount + blob_id},
              {"Plaintext", B64(plain)},
              {"EncryptionAlgorithm", "SYMMETRIC_DEFAULT"}};
    }
    if (op == "ScheduleKeyDeletion") {
      const int days = in.value("PendingWindowInDays", 30);
      if (days < 7 || days > 30) {
        throw KmsError{"ValidationException", "PendingWindowInDays must be 7..30"};
      }
      auto it = keys_.find(id);
      if (it == keys_.end()) throw KmsError{"NotFoundException", "Key '" + id + "' does not exist"};
      if (it->second.state == "PendingDeletion") {
        throw KmsError{"KMSInvalidStateException", id + " is pending deletion."};
      }
      it->second.state = "PendingDeletion";
      it->second.deletion_date =
          static_cast<double>(std::chrono::duration_cast<std::chrono::seconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count()) +
          days * 86400.0;
      return {{"KeyId", kAccount + id},
              {"DeletionDate", it->second.deletion_date},
              {"KeyState", "PendingDeletion"},
              {"PendingWindowInDays", days}};
    }
    if (op == "DescribeKey") return {{"KeyMetadata", Meta(id)}};
    throw KmsError{"UnknownOperationException", op};
  }

  LocalServer server_;
  ReplyDelay delay_;
  FaultQueue faults_;
  std::mutex mu_;
  std::map<std::string, Key> keys_;
  std::vector<std::string> ops_;
  std::map<std::string, nlohmann::json> last_body_;
  std::vector<std::string> rejections_;
};

}  // namespace mink::testing

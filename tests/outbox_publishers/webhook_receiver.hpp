// A webhook receiver on 127.0.0.1 for the publisher tests and the bench: records every POST,
// verifies Standard Webhooks signatures with its OWN HMAC (OpenSSL directly, not mink's
// SigningKey), and fails on demand: every Nth request (503), requests carrying the header
// X-Outbox-poison (422), a fixed status for a path, or a delay.
#pragma once

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "http/local_server.hpp"

namespace mink::testing {

struct WebhookDelivery {
  std::string path;
  std::string body;
  httplib::Headers headers;
  int status = 0;  // what the receiver answered
};

class WebhookReceiver {
 public:
  // `secret_b64`: the key's base64 (without "whsec_"); empty: signatures are not checked.
  explicit WebhookReceiver(std::string secret_b64 = {}) {
    if (!secret_b64.empty()) {
      key_.resize(secret_b64.size());
      const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(key_.data()),
                                    reinterpret_cast<const unsigned char*>(secret_b64.data()),
                                    static_cast<int>(secret_b64.size()));
      key_.resize(static_cast<std::size_t>(n));
      while (!secret_b64.empty() && secret_b64.back() == '=') {
        secret_b64.pop_back();
        key_.pop_back();
      }
    }
    server_->Post(".*",
                  [this](const httplib::Request& q, httplib::Response& res) { Handle(q, res); });
    server_->Get("/redirect-target",
                 [](const httplib::Request&, httplib::Response& res) { res.status = 200; });
    server_.Start();
  }
  ~WebhookReceiver() { server_.Stop(); }

  std::string Url(const std::string& path = "/hook") const { return server_.Url(path); }

  void FailEveryNth(int n) {
    std::lock_guard lock(mu_);
    fail_every_ = n;
  }
  void Delay(std::chrono::milliseconds d) {
    std::lock_guard lock(mu_);
    delay_ = d;
  }
  // Deliveries the receiver accepted (2xx), in arrival order.
  std::vector<WebhookDelivery> Accepted() {
    std::lock_guard lock(mu_);
    std::vector<WebhookDelivery> out;
    for (const auto& d : all_) {
      if (d.status >= 200 && d.status < 300) out.push_back(d);
    }
    return out;
  }
  std::vector<WebhookDelivery> All() {
    std::lock_guard lock(mu_);
    return all_;
  }
  // Waits (at most `limit`) until `n` deliveries were accepted.
  std::vector<WebhookDelivery> WaitAccepted(
      std::size_t n, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, limit, [&] { return accepted_ >= n; });
    lock.unlock();
    return Accepted();
  }

  // Independent Standard Webhooks check: HMAC-SHA256(key, id.ts.body), base64, "v1," entries.
  bool SignatureValid(const httplib::Request& q) const {
    const std::string id = q.get_header_value("webhook-id");
    const std::string ts = q.get_header_value("webhook-timestamp");
    const std::string sigs = q.get_header_value("webhook-signature");
    if (id.empty() || ts.empty() || sigs.empty()) return false;
    const long long t = std::stoll(ts);
    const long long now = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
    if (t < now - 300 || t > now + 300) return false;
    const std::string content = id + "." + ts + "." + q.body;
    unsigned char mac[32];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
         reinterpret_cast<const unsigned char*>(content.data()), content.size(), mac, &len);
    std::string b64(44, '\0');
    EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), mac, 32);
    const std::string want = "v1," + b64;
    std::size_t pos = 0;
    while (pos <= sigs.size()) {
      auto end = sigs.find(' ', pos);
      if (end == std::string::npos) end = sigs.size();
      const std::string entry = sigs.substr(pos, end - pos);
      if (entry.size() == want.size() &&
          CRYPTO_memcmp(entry.data(), want.data(), want.size()) == 0) {
        return true;
      }
      pos = end + 1;
    }
    return false;
  }

 private:
  void Handle(const httplib::Request& q, httplib::Response& res) {
    std::chrono::milliseconds delay{0};
    {
      std::lock_guard lock(mu_);
      delay = delay_;
    }
    if (delay.count() > 0) std::this_thread::sleep_for(delay);  // a slow receiver, on purpose
    std::lock_guard lock(mu_);
    ++requests_;
    int status = 200;
    if (!key_.empty() && !SignatureValid(q)) {
      status = 401;
    } else if (q.has_header("X-Outbox-poison")) {
      status = 422;
    } else if (q.path == "/status/302") {
      status = 302;
      res.set_header("Location", Url("/redirect-target"));
    } else if (q.path.rfind("/status/", 0) == 0) {
      status = std::stoi(q.path.substr(8));
    } else if (fail_every_ > 0 && requests_ % fail_every_ == 0) {
      status = 503;
    }
    res.status = status;
    all_.push_back({q.path, q.body, q.headers, status});
    if (status >= 200 && status < 300) ++accepted_;
    cv_.notify_all();
  }

  LocalServer server_;
  std::string key_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<WebhookDelivery> all_;
  std::size_t accepted_ = 0;
  int requests_ = 0;
  int fail_every_ = 0;
  std::chrono::milliseconds delay_{0};
};

}  // namespace mink::testing

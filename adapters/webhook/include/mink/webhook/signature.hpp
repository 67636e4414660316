// mink/webhook/signature.hpp — Standard Webhooks 1.0.0 signatures (standardwebhooks.com).
//
// Each signed delivery carries three headers:
//   webhook-id         the outbox message ID: the same on every retry (an idempotency key)
//   webhook-timestamp  Unix seconds of this attempt
//   webhook-signature  "v1,<base64(HMAC-SHA256(key, id + "." + timestamp + "." + body))>"
// where key = base64-decode(secret without its "whsec_" prefix). Several space-separated
// signatures may be sent while a secret is rotated; a receiver accepts any that matches.
//
//   auto key = mink::webhook::SigningKey::Parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
//   std::string sig = key.Sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, R"({"test":
//   2432232314})");
//   // sig == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
//
//   // A receiver (see docs/outbox-publishers.md):
//   bool ok = key.Verify(id, timestamp_header, body, signature_header, now);
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "mink/error.hpp"

namespace mink {
namespace errc {
// A signing secret that is not "whsec_<base64>" (or plain base64) of 24..64 bytes.
inline constexpr ErrorCode kWebhookInvalidSecret{ErrorArea::kHttp, 0x41, "WebhookInvalidSecret"};
}  // namespace errc

namespace webhook {

class SigningKey {
 public:
  // "whsec_<base64>" or bare base64; the decoded key must be 24..64 bytes (the spec's range).
  // Throws Error(kWebhookInvalidSecret) otherwise; the message never contains the secret.
  static SigningKey Parse(std::string_view secret);

  // "v1,<base64 signature>" of `body` for message `id` at `timestamp` (Unix seconds).
  std::string Sign(std::string_view id, std::int64_t timestamp, std::string_view body) const;

  // True when `signature_header` (space-separated "v1,<sig>" entries) holds a valid v1
  // signature of (id, timestamp, body), compared in constant time, and `timestamp` parses as
  // Unix seconds within `tolerance` of `now`.
  bool Verify(std::string_view id, std::string_view timestamp, std::string_view body,
              std::string_view signature_header, std::chrono::system_clock::time_point now,
              std::chrono::seconds tolerance = std::chrono::minutes(5)) const;

  // The raw signature (32 bytes) of id "." timestamp "." body.
  std::string Mac(std::string_view id, std::string_view timestamp, std::string_view body) const;

 private:
  struct Template;  // an HMAC-SHA256 context keyed once; each signature starts from a copy
  explicit SigningKey(std::shared_ptr<const Template> mac) : mac_(std::move(mac)) {}
  std::shared_ptr<const Template> mac_;
};

// Standard base64 (with padding), as the scheme uses.
std::string Base64Encode(std::string_view bytes);
// Throws Error(kInvalidArgument) for malformed input.
std::string Base64Decode(std::string_view text);

}  // namespace webhook
}  // namespace mink

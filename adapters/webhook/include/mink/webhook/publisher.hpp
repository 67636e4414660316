// mink/webhook/publisher.hpp — the outbox publisher for "webhook:<url>" destinations.
//
//   auto publisher = std::make_shared<mink::webhook::Publisher>(mink::webhook::PublisherOptions{
//       .timeout = std::chrono::seconds(10),
//       .default_headers = {{"Authorization", "Bearer ..."}},
//       .signing_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"});
//   processor_options.publishers.push_back(publisher);
//
// Each message is one POST to the URL after "webhook:" (go-mink's contract):
//   Content-Type: application/json, then the default headers (which may replace it), then
//   X-Outbox-<key>: <value> for every message header; the body is the payload as stored.
//   With a signing secret, also the Standard Webhooks headers webhook-id (the message ID,
//   stable across retries), webhook-timestamp and webhook-signature (signature.hpp).
// Only a 2xx reply counts as delivered. 3xx (never followed), 4xx and 5xx fail that message
// with http::StatusError (kHttpRedirect / kHttpClientError / kHttpServerError, messages
// "unexpected status 302", "client error 404", "server error 503"); a transport failure with
// http::HttpError; a destination without an http(s) URL with Error(kWebhookInvalidDestination).
// The other messages of the batch are still sent: Publish returns one outcome per message.
// Each request is bounded by `timeout` and by the Context's deadline; once the Context is
// done, the messages not yet sent fail with kCancelled / kDeadlineExceeded without being sent.
// Messages are sent one after the other, in batch order, over the client's kept-alive
// connections. Thread-safe: Publish may be called from several threads at once.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "mink/http/client.hpp"
#include "mink/outbox/publisher.hpp"
#include "mink/webhook/signature.hpp"

namespace mink {
namespace errc {
// A "webhook:" destination whose target is missing or not an http:// / https:// URL.
inline constexpr ErrorCode kWebhookInvalidDestination{ErrorArea::kHttp, 0x40,
                                                      "WebhookInvalidDestination"};
}  // namespace errc

namespace webhook {

struct PublisherOptions {
  // The transport (go-mink's WithHTTPClient); default: a new http::Client (no redirects).
  std::shared_ptr<http::HttpClient> http_client;
  // Bound of one delivery, connect to last byte (go-mink's WithTimeout; default 30 s).
  std::chrono::milliseconds timeout{30000};
  // Sent with every delivery (go-mink's WithDefaultHeaders), after Content-Type.
  http::Headers default_headers;
  // Standard Webhooks secret ("whsec_<base64>"); empty: deliveries are not signed.
  std::string signing_secret;
  // Clock of webhook-timestamp; default std::chrono::system_clock::now.
  std::function<std::chrono::system_clock::time_point()> clock;
};

class Publisher final : public mink::Publisher {
 public:
  // Throws Error(kWebhookInvalidSecret) for a malformed signing secret.
  explicit Publisher(PublisherOptions options = {});

  std::string Destination() const override { return "webhook"; }
  std::vector<PublishOutcome> Publish(const Context& ctx,
                                      std::span<const OutboxMessage> batch) override;
  // Later Publish calls fail every message with Error(kAdapterClosed).
  void Close() override;

  // The request Publish sends for `message` (signed when a secret is set). Throws
  // Error(kWebhookInvalidDestination) for a bad destination. Public for tests and benchmarks.
  http::Request BuildRequest(const OutboxMessage& message) const;

 private:
  void Deliver(const Context& ctx, const OutboxMessage& message);

  PublisherOptions options_;
  std::shared_ptr<http::HttpClient> client_;
  std::optional<SigningKey> key_;
  std::atomic<bool> closed_{false};
};

}  // namespace webhook
}  // namespace mink

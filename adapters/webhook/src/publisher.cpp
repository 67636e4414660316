#include "mink/webhook/publisher.hpp"

#include <algorithm>
#include <cctype>

namespace mink::webhook {

namespace {

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Sets `name` (replacing every header of that name, case-insensitively).
void SetHeader(http::Headers& headers, const std::string& name, const std::string& value) {
  std::erase_if(headers, [&](const auto& h) { return IEquals(h.first, name); });
  headers.emplace_back(name, value);
}

std::string_view ValidatedUrl(const OutboxMessage& message) {
  const std::string_view url = DestinationTarget(message.destination);
  if (url.empty()) {
    throw Error(errc::kWebhookInvalidDestination,
                "webhook: destination of message " + message.id + " has no URL after \"webhook:\"");
  }
  const bool http = url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
  const auto host_start = url.find("://") + 3;
  if (!http || host_start >= url.size() || url[host_start] == '/') {
    throw Error(errc::kWebhookInvalidDestination,
                "webhook: destination of message " + message.id +
                    " is not an http(s) URL: " + http::RedactUrl(url));
  }
  return url;
}

}  // namespace

Publisher::Publisher(PublisherOptions options) : options_(std::move(options)) {
  client_ = options_.http_client ? options_.http_client : std::make_shared<http::Client>();
  if (!options_.signing_secret.empty()) key_ = SigningKey::Parse(options_.signing_secret);
  options_.signing_secret.clear();  // keep only the decoded key
}

void Publisher::Close() { closed_ = true; }

http::Request Publisher::BuildRequest(const OutboxMessage& message) const {
  http::Request request;
  request.method = "POST";
  request.url = std::string(ValidatedUrl(message));
  request.timeout = options_.timeout;
  request.headers.emplace_back("Content-Type", "application/json");
  for (const auto& [name, value] : options_.default_headers) {
    SetHeader(request.headers, name, value);
  }
  for (const auto& [key, value] : message.headers) {
    SetHeader(request.headers, "X-Outbox-" + key, value);
  }
  if (key_) {
    const auto now = options_.clock ? options_.clock() : std::chrono::system_clock::now();
    const auto ts =
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    SetHeader(request.headers, "webhook-id", message.id);
    SetHeader(request.headers, "webhook-timestamp", std::to_string(ts));
    SetHeader(request.headers, "webhook-signature", key_->Sign(message.id, ts, message.payload));
  }
  request.body = message.payload;
  return request;
}

void Publisher::Deliver(const Context& ctx, const OutboxMessage& message) {
  const http::Request request = BuildRequest(message);
  const http::Response response = client_->Do(ctx, request);
  http::CheckStatus(response, "webhook: POST " + http::RedactUrl(request.url));
}

std::vector<PublishOutcome> Publisher::Publish(const Context& ctx,
                                               std::span<const OutboxMessage> batch) {
  std::vector<PublishOutcome> outcomes(batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    try {
      if (closed_) throw Error(errc::kAdapterClosed, "webhook: publisher is closed");
      ctx.ThrowIfDone();
      Deliver(ctx, batch[i]);
    } catch (...) {
      outcomes[i].error = std::current_exception();
    }
  }
  return outcomes;
}

}  // namespace mink::webhook

// mink/http/client.hpp — the HTTP transport every HTTP-speaking adapter shares (webhook
// publisher, AWS KMS and SNS, Vault): a small value API over libcurl.
//
//   auto client = std::make_shared<mink::http::Client>(mink::http::ClientOptions{
//       .timeout = 10s, .max_response_bytes = 1 << 20});
//   mink::http::Response res = client->Do(ctx, {.method = "POST",
//                                               .url = "https://example.com/hook",
//                                               .headers = {{"Content-Type", "application/json"}},
//                                               .body = R"({"id":1})"});
//   mink::http::CheckStatus(res);   // throws StatusError for anything but 2xx
//
// HttpClient is the interface (go-mink's WithHTTPClient): adapters take a
// std::shared_ptr<HttpClient>, so users and tests can inject their own transport. Client is
// the libcurl implementation:
//   * Do() returns every complete reply as a Response, whatever its status; CheckStatus turns
//     3xx/4xx/5xx into StatusError. Transport failures throw HttpError (see errors.hpp), which
//     says whether the request can have reached the server.
//   * Connections are reused: the client keeps a pool of idle libcurl handles, each with its own
//     connection cache; a request takes one, and gives it back when done. Any number of threads
//     may call Do() on one Client at once.
//   * TLS peers are verified by default (system CA store, or ca_file / ca_path). Turning it off
//     is an explicit option and is logged as a warning when the client is built.
//   * Proxies come from the environment (http_proxy, https_proxy, no_proxy) exactly as curl
//     reads them, unless ClientOptions::proxy says otherwise. Redirects are not followed unless
//     follow_redirects is set.
//   * Every request is bounded: by its own timeout (or ClientOptions::timeout) and by the
//     Context's deadline, whichever is sooner; cancelling the Context aborts a request in
//     flight at once (errc::kCancelled). A reply over max_response_bytes is cut off
//     (errc::kHttpResponseTooLarge).
// libcurl stays out of this header: nothing here needs it to compile.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <spdlog/logger.h>

#include "mink/context.hpp"
#include "mink/http/errors.hpp"

namespace mink::http {

// Header fields in order; names compare case-insensitively (see Find). Repeated names allowed.
using Headers = std::vector<std::pair<std::string, std::string>>;

// The value of the first header named `name` (ASCII case-insensitive), or nullopt.
std::optional<std::string_view> FindHeader(const Headers& headers, std::string_view name);

struct Request {
  std::string method = "GET";
  std::string url;  // absolute http:// or https:// URL, query included
  Headers headers;
  std::string body;  // sent as is (may hold NULs); empty = no body for GET/HEAD/DELETE
  // Bound for this request alone (connect + send + reply); zero = ClientOptions::timeout.
  std::chrono::milliseconds timeout{0};
};

struct Response {
  int status = 0;
  Headers headers;  // of the final reply (interim 1xx replies are dropped)
  std::string body;

  std::optional<std::string_view> Header(std::string_view name) const {
    return FindHeader(headers, name);
  }
  bool Ok() const noexcept { return status >= 200 && status < 300; }
};

// A complete reply whose status was not 2xx (thrown by CheckStatus). The request was sent.
// Code by status class: 5xx -> kHttpServerError (worth retrying), 4xx -> kHttpClientError,
// anything else (3xx) -> kHttpRedirect. Messages follow go-mink's webhook publisher:
// "server error 503", "client error 404", "unexpected status 302".
class StatusError : public HttpError {
 public:
  explicit StatusError(Response response, const std::string& context = {});
  int status() const noexcept { return response_.status; }
  const Response& response() const noexcept { return response_; }

 private:
  Response response_;
};

// Throws StatusError unless response.status is 2xx. `context` prefixes the message
// ("POST https://host/path"); it must not contain secrets.
void CheckStatus(const Response& response, std::string_view context = {});

// The transport interface. Implementations must be safe to call from many threads.
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Sends `request` and returns the reply, whatever its status. Throws HttpError (or
  // mink::Error kCancelled / kDeadlineExceeded, as HttpError) when no complete reply came.
  virtual Response Do(const Context& ctx, const Request& request) = 0;
};

struct ClientOptions {
  // Default bound of one request, connect to last byte (Request::timeout overrides it).
  std::chrono::milliseconds timeout{30000};
  // Bound of the TCP connect + TLS handshake.
  std::chrono::milliseconds connect_timeout{10000};
  // Replies longer than this fail with kHttpResponseTooLarge.
  std::size_t max_response_bytes = std::size_t{16} << 20;
  // Idle handles (each with its live connections) kept for reuse.
  std::size_t max_idle_handles = 16;
  // TLS: verify the peer's certificate and host name. false is for tests only and is logged.
  bool verify_tls = true;
  std::string ca_file;  // PEM bundle to trust instead of the system store
  std::string ca_path;  // directory of hashed CA certificates
  // nullopt: the environment's http_proxy/https_proxy/no_proxy, as curl reads them.
  // "": no proxy at all. Otherwise the proxy URL.
  std::optional<std::string> proxy;
  // Follow 3xx Location replies (at most max_redirects). Off by default: a redirect is a reply.
  bool follow_redirects = false;
  int max_redirects = 5;
  // Sent when the request has no User-Agent header.
  std::string user_agent = "mink-http/0.1";
  // Receives the TLS-off warning; default: spdlog's default logger.
  std::shared_ptr<spdlog::logger> logger;
};

class Client final : public HttpClient {
 public:
  explicit Client(ClientOptions options = {});
  ~Client() override;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  Response Do(const Context& ctx, const Request& request) override;

  const ClientOptions& options() const noexcept { return options_; }

 private:
  struct Handle;
  struct Pool;
  ClientOptions options_;
  std::unique_ptr<Pool> pool_;
};

// The URL without user info, query or fragment: safe to put in messages and logs.
std::string RedactUrl(std::string_view url);

}  // namespace mink::http

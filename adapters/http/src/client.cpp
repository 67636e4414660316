// mink::http::Client — libcurl implementation. See mink/http/client.hpp for the contract.
//
// Each pooled Handle is one multi handle with one easy handle. The multi handle owns the
// connection cache, so a handle returned to the pool keeps its keep-alive connections for the
// next request. Requests run the multi loop themselves (curl_multi_perform + curl_multi_poll)
// instead of curl_easy_perform so that a Context cancellation wakes the poll at once
// (curl_multi_wakeup from a std::stop_callback: under 1 ms in the tests) rather than when
// libcurl's next internal timer fires (~50 ms) or a progress callback ticks (up to 1 s).
#include "mink/http/client.hpp"

#include <algorithm>
#include <cctype>
#include <limits>
#include <mutex>
#include <stop_token>

#include <curl/curl.h>
#include <spdlog/spdlog.h>

namespace mink::http {
namespace {

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (c <= 0x20 || c >= 0x7f) return false;
    if (std::string_view("()<>@,;:\\\"/[]?={}").find(static_cast<char>(c)) !=
        std::string_view::npos) {
      return false;
    }
  }
  return true;
}

bool HasLineBreak(std::string_view s) {
  return s.find_first_of("\r\n") != std::string_view::npos || s.find('\0') != s.npos;
}

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      throw HttpError(errc::kHttpInvalidRequest, "curl_global_init failed", false);
    }
  });
}

// Per-request state the libcurl callbacks write into.
struct Transfer {
  Response response;
  std::size_t max_body = 0;
  bool too_large = false;
};

std::size_t OnBody(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t len = size * n;
  if (t->response.body.size() + len > t->max_body) {
    t->too_large = true;
    return 0;  // != len: libcurl aborts the transfer with CURLE_WRITE_ERROR
  }
  t->response.body.append(data, len);
  return len;
}

std::size_t OnHeader(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t len = size * n;
  std::string_view line(data, len);
  if (line.starts_with("HTTP/")) {
    t->response.headers.clear();  // a new reply (after a 1xx or a followed redirect)
    return len;
  }
  if ((line.front() == ' ' || line.front() == '\t') && !t->response.headers.empty()) {
    auto& value = t->response.headers.back().second;  // obsolete line folding
    value += ' ';
    value += Trim(line);
    return len;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return len;  // the blank line ending the block
  t->response.headers.emplace_back(std::string(Trim(line.substr(0, colon))),
                                   std::string(Trim(line.substr(colon + 1))));
  return len;
}

struct SlistDeleter {
  void operator()(curl_slist* l) const noexcept { curl_slist_free_all(l); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

void Append(Slist& list, const std::string& line) {
  curl_slist* next = curl_slist_append(list.get(), line.c_str());
  if (next == nullptr) throw std::bad_alloc();
  (void)list.release();
  list.reset(next);
}

long ToMillis(std::chrono::milliseconds d) {
  return static_cast<long>(
      std::clamp<std::chrono::milliseconds::rep>(d.count(), 1, std::numeric_limits<long>::max()));
}

}  // namespace

std::optional<std::string_view> FindHeader(const Headers& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (IEquals(n, name)) return std::string_view(v);
  }
  return std::nullopt;
}

std::string RedactUrl(std::string_view url) {
  std::string_view rest = url;
  std::string out;
  if (auto scheme = rest.find("://"); scheme != std::string_view::npos) {
    out = std::string(rest.substr(0, scheme + 3));
    rest.remove_prefix(scheme + 3);
  }
  const auto end = rest.find_first_of("?#");
  rest = rest.substr(0, end);
  const auto slash = rest.find('/');
  const auto at = rest.substr(0, slash).rfind('@');
  if (at != std::string_view::npos) rest.remove_prefix(at + 1);
  out += rest;
  return out;
}

namespace {
ErrorCode StatusCode(int status) {
  if (status >= 500) return errc::kHttpServerError;
  if (status >= 400) return errc::kHttpClientError;
  return errc::kHttpRedirect;
}
std::string StatusMessage(int status, const std::string& context) {
  std::string kind = status >= 500   ? "server error "
                     : status >= 400 ? "client error "
                                     : "unexpected status ";
  return (context.empty() ? "" : context + ": ") + kind + std::to_string(status);
}
}  // namespace

StatusError::StatusError(Response response, const std::string& context)
    : HttpError(StatusCode(response.status), StatusMessage(response.status, context), true),
      response_(std::move(response)) {}

void CheckStatus(const Response& response, std::string_view context) {
  if (!response.Ok()) throw StatusError(response, std::string(context));
}

struct Client::Handle {
  CURLM* multi = nullptr;
  CURL* easy = nullptr;
  char error[CURL_ERROR_SIZE] = {};

  Handle() : multi(curl_multi_init()), easy(curl_easy_init()) {
    if (multi == nullptr || easy == nullptr) {
      Free();
      throw HttpError(errc::kHttpConnectFailed, "could not create a libcurl handle", false);
    }
  }
  ~Handle() { Free(); }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

 private:
  void Free() noexcept {
    if (easy != nullptr) curl_easy_cleanup(easy);
    if (multi != nullptr) curl_multi_cleanup(multi);
  }
};

struct Client::Pool {
  std::mutex mu;
  std::vector<std::unique_ptr<Handle>> idle;
  std::size_t max_idle = 0;

  std::unique_ptr<Handle> Take() {
    {
      std::lock_guard lock(mu);
      if (!idle.empty()) {
        auto h = std::move(idle.back());
        idle.pop_back();
        return h;
      }
    }
    return std::make_unique<Handle>();
  }
  void Give(std::unique_ptr<Handle> h) {
    std::lock_guard lock(mu);
    if (idle.size() < max_idle) idle.push_back(std::move(h));
    // else: h (and its connections) is released here, outside no lock that matters
  }
};

Client::Client(ClientOptions options) : options_(std::move(options)), pool_(new Pool) {
  GlobalInit();
  pool_->max_idle = options_.max_idle_handles;
  if (!options_.logger) options_.logger = spdlog::default_logger();
  if (options_.timeout <= std::chrono::milliseconds::zero())
    options_.timeout = std::chrono::seconds(30);
  if (options_.connect_timeout <= std::chrono::milliseconds::zero()) {
    options_.connect_timeout = std::chrono::seconds(10);
  }
  if (!options_.verify_tls) {
    options_.logger->warn(
        "mink http: TLS certificate verification is OFF (ClientOptions::verify_tls = false); "
        "any server can impersonate any host. Use this for tests only.");
  }
}

Client::~Client() = default;

Response Client::Do(const Context& ctx, const Request& request) {
  const std::string what = request.method + " " + RedactUrl(request.url);
  auto ctx_error = [&](bool sent) {
    if (ctx.Cancelled()) return HttpError(errc::kCancelled, what + ": context cancelled", sent);
    return HttpError(errc::kDeadlineExceeded, what + ": context deadline exceeded", sent);
  };
  if (ctx.Done()) throw ctx_error(false);

  // ---- validate before touching the network ----
  if (!IsToken(request.method)) {
    throw HttpError(errc::kHttpInvalidRequest, "invalid method \"" + request.method + "\"", false);
  }
  if (!(request.url.starts_with("http://") || request.url.starts_with("https://")) ||
      HasLineBreak(request.url)) {
    throw HttpError(errc::kHttpInvalidRequest, "not an http(s) URL: " + RedactUrl(request.url),
                    false);
  }
  Slist headers;
  bool has_expect = false, has_content_type = false, has_user_agent = false;
  for (const auto& [name, value] : request.headers) {
    if (!IsToken(name) || HasLineBreak(value)) {
      std::string message = what;
      message.append(": invalid header \"").append(name).append("\"");
      throw HttpError(errc::kHttpInvalidRequest, message, false);
    }
    has_expect |= IEquals(name, "Expect");
    has_content_type |= IEquals(name, "Content-Type");
    has_user_agent |= IEquals(name, "User-Agent");
    // "Name;" is libcurl's spelling of a header with an empty value.
    std::string line = name;
    line += value.empty() ? ";" : ": ";
    line += value;
    Append(headers, line);
  }
  if (!has_expect) Append(headers, "Expect:");  // no 100-continue round trip
  // Send exactly the headers given: libcurl would otherwise invent a form Content-Type.
  if (!has_content_type) Append(headers, "Content-Type:");

  // ---- time bound: the request's own timeout, capped by the Context's deadline ----
  auto timeout =
      request.timeout > std::chrono::milliseconds::zero() ? request.timeout : options_.timeout;
  bool deadline_bound = false;
  if (auto deadline = ctx.Deadline()) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Context::Clock::now());
    if (left <= std::chrono::milliseconds::zero()) throw ctx_error(false);
    if (left < timeout) {
      timeout = left;
      deadline_bound = true;
    }
  }

  std::unique_ptr<Handle> handle = pool_->Take();
  CURL* easy = handle->easy;
  curl_easy_reset(easy);  // keeps live connections, DNS and TLS session caches
  Transfer transfer;
  transfer.max_body = options_.max_response_bytes;
  handle->error[0] = '\0';

  curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, handle->error);
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers.get());
  if (!has_user_agent) curl_easy_setopt(easy, CURLOPT_USERAGENT, options_.user_agent.c_str());
  if (request.method == "GET" && request.body.empty()) {
    curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
  } else if (request.method == "HEAD") {
    curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
  } else {
    if (request.method != "POST" || request.body.empty()) {
      curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
    if (!request.body.empty() || request.method == "POST" || request.method == "PUT" ||
        request.method == "PATCH") {
      curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
      curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.data());
    }
  }
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, ToMillis(timeout));
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                   ToMillis(std::min(timeout, options_.connect_timeout)));
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L);
  if (!options_.ca_file.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, options_.ca_file.c_str());
  if (!options_.ca_path.empty()) curl_easy_setopt(easy, CURLOPT_CAPATH, options_.ca_path.c_str());
  if (options_.proxy) curl_easy_setopt(easy, CURLOPT_PROXY, options_.proxy->c_str());
  if (options_.follow_redirects) {
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(easy, CURLOPT_MAXREDIRS, static_cast<long>(options_.max_redirects));
  }

  // ---- run it; a cancellation wakes the poll ----
  CURLM* multi = handle->multi;
  CURLcode result = CURLE_OK;
  bool cancelled = false;
  if (curl_multi_add_handle(multi, easy) != CURLM_OK) {
    pool_->Give(std::move(handle));
    throw HttpError(errc::kHttpConnectFailed, what + ": curl_multi_add_handle failed", false);
  }
  {
    std::stop_callback wake(ctx.StopToken(), [multi]() noexcept { curl_multi_wakeup(multi); });
    int running = 1;
    while (true) {
      if (curl_multi_perform(multi, &running) != CURLM_OK) {
        result = CURLE_RECV_ERROR;
        break;
      }
      if (running == 0) {
        int left = 0;
        while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
          if (msg->msg == CURLMSG_DONE && msg->easy_handle == easy) result = msg->data.result;
        }
        break;
      }
      if (ctx.Cancelled()) {
        cancelled = true;
        break;
      }
      curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
    }
  }
  curl_multi_remove_handle(multi, easy);

  curl_off_t request_size = 0;
  long status = 0;
  curl_easy_getinfo(easy, CURLINFO_REQUEST_SIZE, &request_size);
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  const std::string detail = handle->error[0] != '\0' ? std::string(handle->error)
                                                      : std::string(curl_easy_strerror(result));
  pool_->Give(std::move(handle));

  const bool sent = request_size > 0 || status != 0;
  if (cancelled) throw ctx_error(sent);
  if (result == CURLE_OK) {
    transfer.response.status = static_cast<int>(status);
    return std::move(transfer.response);
  }
  switch (result) {
    case CURLE_WRITE_ERROR:
      if (transfer.too_large) {
        throw HttpError(errc::kHttpResponseTooLarge,
                        what + ": response larger than " +
                            std::to_string(options_.max_response_bytes) + " bytes",
                        true);
      }
      break;
    case CURLE_OPERATION_TIMEDOUT:
      if (deadline_bound || ctx.DeadlineExceeded()) throw ctx_error(sent);
      throw HttpError(sent ? errc::kHttpReplyLost : errc::kHttpConnectFailed,
                      what + ": timed out after " + std::to_string(timeout.count()) + " ms " +
                          (sent ? "waiting for the reply" : "before the request was sent") + " (" +
                          detail + ")",
                      sent);
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_BAD_FUNCTION_ARGUMENT:
      throw HttpError(errc::kHttpInvalidRequest, what + ": " + detail, false);
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
      throw HttpError(errc::kHttpTlsFailed, what + ": TLS verification failed: " + detail, false);
    case CURLE_TOO_MANY_REDIRECTS:
      throw HttpError(errc::kHttpRedirect, what + ": " + detail, true);
    case CURLE_ABORTED_BY_CALLBACK:
      throw ctx_error(sent);
    default:
      break;
  }
  if (!sent) {
    throw HttpError(errc::kHttpConnectFailed, what + ": could not send the request: " + detail,
                    false);
  }
  throw HttpError(errc::kHttpReplyLost, what + ": request sent but no complete reply: " + detail,
                  true);
}

}  // namespace mink::http

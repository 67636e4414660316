// JSON 1.1 and Query protocol clients (see mink/aws/protocol.hpp).
#include "mink/aws/protocol.hpp"

#include <algorithm>
#include <random>

namespace mink::aws {
namespace {

std::string_view Before(std::string_view s, char c) { return s.substr(0, s.find(c)); }

std::string DecodeEntities(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    const auto semi = s.find(';', i);
    if (semi == std::string_view::npos || semi - i > 10) {
      out += s[i];
      continue;
    }
    const std::string_view ent = s.substr(i + 1, semi - i - 1);
    std::optional<unsigned long> code;
    if (ent == "lt")
      code = '<';
    else if (ent == "gt")
      code = '>';
    else if (ent == "amp")
      code = '&';
    else if (ent == "quot")
      code = '"';
    else if (ent == "apos")
      code = '\'';
    else if (ent.size() > 1 && ent[0] == '#') {
      try {
        code = ent[1] == 'x' ? std::stoul(std::string(ent.substr(2)), nullptr, 16)
                             : std::stoul(std::string(ent.substr(1)), nullptr, 10);
      } catch (const std::exception&) {
        code.reset();
      }
    }
    if (!code || *code > 0x10FFFF) {
      out += s[i];
      continue;
    }
    // UTF-8 encode.
    const unsigned long cp = *code;
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
    i = semi;
  }
  return out;
}

// Finds the next <element ...> at or after `from`: returns {start of inner, end of inner,
// position after the closing tag}, or nullopt.
struct Span {
  std::size_t inner_begin, inner_end, after;
};
std::optional<Span> NextElement(std::string_view xml, std::string_view element, std::size_t from) {
  // Built with append: GCC 12 at -O3 warns falsely (-Wrestrict) on "<" + std::string.
  std::string open(1, '<');
  open.append(element);
  std::string close("</");
  close.append(element).push_back('>');
  while (true) {
    const auto at = xml.find(open, from);
    if (at == std::string_view::npos) return std::nullopt;
    const auto after_name = at + open.size();
    if (after_name >= xml.size()) return std::nullopt;
    const char c = xml[after_name];
    if (c != '>' && c != ' ' && c != '/' && c != '\t' && c != '\n' && c != '\r') {
      from = after_name;  // a longer name with this prefix
      continue;
    }
    const auto gt = xml.find('>', after_name);
    if (gt == std::string_view::npos) return std::nullopt;
    if (xml[gt - 1] == '/') return Span{gt + 1, gt + 1, gt + 1};  // <element/>
    const auto end = xml.find(close, gt + 1);
    if (end == std::string_view::npos) return std::nullopt;
    return Span{gt + 1, end, end + close.size()};
  }
}

thread_local std::mt19937_64 tls_rng{std::random_device{}()};

}  // namespace

std::optional<std::string> XmlText(std::string_view xml, std::string_view element) {
  auto span = NextElement(xml, element, 0);
  if (!span) return std::nullopt;
  return DecodeEntities(xml.substr(span->inner_begin, span->inner_end - span->inner_begin));
}

std::vector<std::string_view> XmlElements(std::string_view xml, std::string_view element) {
  std::vector<std::string_view> out;
  std::size_t from = 0;
  while (auto span = NextElement(xml, element, from)) {
    out.push_back(xml.substr(span->inner_begin, span->inner_end - span->inner_begin));
    from = span->after;
  }
  return out;
}

std::string FormEncode(const QueryParams& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out += '&';
    out += UriEncode(k, false);
    out += '=';
    out += UriEncode(v, false);
  }
  return out;
}

ServiceError ParseJsonError(std::string_view operation, const http::Response& res) {
  std::string code, message;
  if (auto h = res.Header("x-amzn-query-error")) code = std::string(Before(*h, ';'));
  auto body = nlohmann::json::parse(res.body, nullptr, false);
  if (body.is_object()) {
    if (code.empty()) {
      if (auto it = body.find("__type"); it != body.end() && it->is_string()) {
        std::string_view type = it->get_ref<const std::string&>();
        if (auto hash = type.rfind('#'); hash != std::string_view::npos)
          type.remove_prefix(hash + 1);
        code = std::string(type);
      }
    }
    for (const char* key : {"message", "Message"}) {
      if (auto it = body.find(key); it != body.end() && it->is_string()) {
        message = it->get<std::string>();
        break;
      }
    }
  }
  if (code.empty()) {
    if (auto h = res.Header("x-amzn-ErrorType")) code = std::string(Before(*h, ':'));
  }
  std::string request_id(res.Header("x-amzn-RequestId").value_or(""));
  return ServiceError(std::string(operation), res.status, std::move(code), std::move(message),
                      std::move(request_id));
}

ServiceError ParseQueryError(std::string_view operation, const http::Response& res) {
  std::string code = XmlText(res.body, "Code").value_or("");
  if (code.empty()) {
    if (auto h = res.Header("x-amzn-query-error")) code = std::string(Before(*h, ';'));
  }
  std::string message = XmlText(res.body, "Message").value_or("");
  std::string request_id = XmlText(res.body, "RequestId")
                               .value_or(std::string(res.Header("x-amzn-RequestId").value_or("")));
  return ServiceError(std::string(operation), res.status, std::move(code), std::move(message),
                      std::move(request_id));
}

// ---- ServiceClient ----

namespace {
SignerOptions MakeSignerOptions(const ServiceOptions& o) {
  return SignerOptions{.region = o.config.region, .service = o.signing_name, .clock = o.clock};
}
}  // namespace

ServiceClient::ServiceClient(ServiceOptions options)
    : options_(std::move(options)),
      signer_(options_.config.credentials, MakeSignerOptions(options_)) {
  if (options_.config.endpoint_url.empty()) {
    throw Error(errc::kAwsInvalidEndpoint, "aws: no endpoint URL (use LoadConfig)");
  }
  if (!options_.http_client) options_.http_client = std::make_shared<http::Client>();
  if (options_.retry.max_attempts <= 0) options_.retry.max_attempts = 1;
  if (options_.retry.base_delay <= std::chrono::milliseconds::zero()) {
    options_.retry.base_delay = std::chrono::milliseconds(100);
  }
  if (options_.retry.max_delay < options_.retry.base_delay) {
    options_.retry.max_delay = options_.retry.base_delay;
  }
}

http::Response ServiceClient::Invoke(
    const Context& ctx, std::string_view operation, http::Request request,
    const std::function<std::exception_ptr(const http::Response&)>& parse_error) const {
  if (options_.timeout > std::chrono::milliseconds::zero()) request.timeout = options_.timeout;
  std::chrono::milliseconds ceiling = options_.retry.base_delay;
  for (int attempt = 1;; ++attempt) {
    http::Request signed_request = request;
    signer_.Sign(signed_request);
    std::exception_ptr failure;
    bool retryable = false;
    std::string reason;
    try {
      http::Response res = options_.http_client->Do(ctx, signed_request);
      if (res.Ok()) return res;
      failure = parse_error(res);
      try {
        std::rethrow_exception(failure);
      } catch (const ServiceError& e) {
        retryable = e.Retryable();
        reason = e.aws_code().empty() ? "HTTP " + std::to_string(e.status()) : e.aws_code();
      } catch (...) {
      }
    } catch (const http::HttpError& e) {
      if (e.code() == errc::kCancelled || e.code() == errc::kDeadlineExceeded) throw;
      failure = std::current_exception();
      retryable = e.code() == errc::kHttpConnectFailed ||
                  (e.code() == errc::kHttpReplyLost && options_.retry.retry_when_outcome_unknown);
      reason = std::string(e.code().name());
    }
    if (!retryable || attempt >= options_.retry.max_attempts) std::rethrow_exception(failure);

    std::uniform_int_distribution<std::chrono::milliseconds::rep> pick(0, ceiling.count());
    const std::chrono::milliseconds wait(pick(tls_rng));
    ceiling = std::min(ceiling * 2, options_.retry.max_delay);
    if (options_.logger) {
      options_.logger->warn("mink aws {} {}: attempt {} failed ({}), retrying in {} ms",
                            options_.signing_name, operation, attempt, reason, wait.count());
    }
    if (!ctx.SleepFor(wait)) {
      const ErrorCode code = ctx.Err().value_or(errc::kCancelled);
      throw Error(code, "aws: " + std::string(operation) + ": context ended while waiting to retry",
                  failure);
    }
  }
}

// ---- JSON 1.1 ----

JsonProtocolClient::JsonProtocolClient(ServiceOptions options, std::string target_prefix)
    : ServiceClient(std::move(options)), target_prefix_(std::move(target_prefix)) {}

nlohmann::json JsonProtocolClient::Call(const Context& ctx, std::string_view operation,
                                        const nlohmann::json& input) {
  const std::string target = target_prefix_ + "." + std::string(operation);
  http::Request req{
      .method = "POST",
      .url = options_.config.endpoint_url + "/",
      .headers = {{"Content-Type", "application/x-amz-json-1.1"}, {"X-Amz-Target", target}},
      .body = input.is_null() ? std::string("{}") : input.dump()};
  http::Response res = Invoke(ctx, target, std::move(req), [&](const http::Response& r) {
    return std::make_exception_ptr(ParseJsonError(target, r));
  });
  if (res.body.empty()) return nlohmann::json::object();
  auto out = nlohmann::json::parse(res.body, nullptr, false);
  if (out.is_discarded()) {
    throw Error(errc::kAwsInvalidResponse, "aws: " + target + ": the reply is not JSON");
  }
  return out;
}

// ---- Query ----

QueryProtocolClient::QueryProtocolClient(ServiceOptions options, std::string api_version)
    : ServiceClient(std::move(options)), api_version_(std::move(api_version)) {}

std::string QueryProtocolClient::Call(const Context& ctx, std::string_view action,
                                      const QueryParams& params) {
  QueryParams all;
  all.reserve(params.size() + 2);
  all.emplace_back("Action", std::string(action));
  all.emplace_back("Version", api_version_);
  all.insert(all.end(), params.begin(), params.end());
  const std::string op = options_.signing_name + "." + std::string(action);
  http::Request req{
      .method = "POST",
      .url = options_.config.endpoint_url + "/",
      .headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}},
      .body = FormEncode(all)};
  http::Response res = Invoke(ctx, op, std::move(req), [&](const http::Response& r) {
    return std::make_exception_ptr(ParseQueryError(op, r));
  });
  if (res.body.find('<') == std::string::npos) {
    throw Error(errc::kAwsInvalidResponse, "aws: " + op + ": the reply is not XML");
  }
  return std::move(res.body);
}

}  // namespace mink::aws

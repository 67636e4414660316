// Credentials, region and endpoint resolution (see mink/aws/config.hpp), and ServiceError.
#include <cctype>
#include <cstdlib>

#include "mink/aws/config.hpp"
#include "mink/aws/errors.hpp"

namespace mink::aws {

std::string Credentials::Redacted() const {
  std::string out = access_key_id.empty() ? std::string("<no access key>") : access_key_id;
  out += secret_access_key.empty() ? " (no secret" : " (secret redacted";
  out += session_token.empty() ? ")" : ", session token redacted)";
  return out;
}

Environment ProcessEnvironment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr || *v == '\0') return std::nullopt;
    return std::string(v);
  };
}

namespace {

std::string NormalizeEndpoint(std::string url) {
  const bool http = url.starts_with("http://"), https = url.starts_with("https://");
  const std::size_t host_at = https ? 8 : 7;
  if ((!http && !https) || url.size() <= host_at ||
      url.find_first_of("?# \t\r\n") != std::string::npos) {
    // The URL may embed user info; report only that it is malformed.
    throw Error(errc::kAwsInvalidEndpoint,
                "aws: the endpoint URL must look like http(s)://host[:port][/path]");
  }
  while (url.size() > host_at && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace

Config LoadConfig(std::string_view service, Config given, const Environment& env) {
  Config cfg = std::move(given);
  if (cfg.credentials.Empty()) {
    auto key = env("AWS_ACCESS_KEY_ID");
    auto secret = env("AWS_SECRET_ACCESS_KEY");
    if (key && secret) {
      cfg.credentials = {*key, *secret, env("AWS_SESSION_TOKEN").value_or("")};
    } else if (key || secret) {
      throw Error(errc::kAwsMissingCredentials,
                  "aws: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together");
    }
  }
  if (cfg.credentials.access_key_id.empty() || cfg.credentials.secret_access_key.empty()) {
    throw Error(errc::kAwsMissingCredentials,
                "aws: no credentials: pass Config::credentials or set AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY");
  }
  if (cfg.region.empty())
    cfg.region = env("AWS_REGION").value_or(env("AWS_DEFAULT_REGION").value_or(""));
  if (cfg.region.empty()) {
    throw Error(errc::kAwsMissingRegion,
                "aws: no region: pass Config::region or set AWS_REGION / AWS_DEFAULT_REGION");
  }
  if (cfg.endpoint_url.empty()) {
    std::string var = "AWS_ENDPOINT_URL_";
    for (char c : service) {
      var += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    cfg.endpoint_url = env(var).value_or(env("AWS_ENDPOINT_URL").value_or(""));
  }
  if (cfg.endpoint_url.empty()) {
    cfg.endpoint_url = "https://" + std::string(service) + "." + cfg.region + ".amazonaws.com";
    if (cfg.region.starts_with("cn-")) cfg.endpoint_url += ".cn";
  }
  cfg.endpoint_url = NormalizeEndpoint(std::move(cfg.endpoint_url));
  return cfg;
}

// ---- errors ----

bool IsThrottlingCode(std::string_view c) {
  static constexpr std::string_view kCodes[] = {"Throttling",
                                                "ThrottlingException",
                                                "ThrottledException",
                                                "Throttled",
                                                "RequestThrottledException",
                                                "RequestThrottled",
                                                "TooManyRequestsException",
                                                "ProvisionedThroughputExceededException",
                                                "TransactionInProgressException",
                                                "RequestLimitExceeded",
                                                "BandwidthLimitExceeded",
                                                "LimitExceededException",
                                                "SlowDown",
                                                "PriorRequestNotComplete",
                                                "EC2ThrottledException"};
  for (auto k : kCodes) {
    if (c == k) return true;
  }
  return false;
}

namespace {
ErrorCode ServiceErrorCode(int status, std::string_view aws_code) {
  if (status == 429 || IsThrottlingCode(aws_code)) return errc::kAwsThrottled;
  if (status >= 500) return errc::kAwsServiceUnavailable;
  return errc::kAwsServiceError;
}
std::string_view StripException(std::string_view s) {
  constexpr std::string_view kSuffix = "Exception";
  if (s.size() > kSuffix.size() && s.ends_with(kSuffix)) s.remove_suffix(kSuffix.size());
  return s;
}
}  // namespace

ServiceError::ServiceError(std::string operation, int status, std::string aws_code,
                           std::string aws_message, std::string request_id)
    : Error(ServiceErrorCode(status, aws_code),
            "aws: " + operation + ": " + (aws_code.empty() ? "error" : aws_code) + " (HTTP " +
                std::to_string(status) + ")" + (aws_message.empty() ? "" : ": " + aws_message)),
      operation_(std::move(operation)),
      status_(status),
      aws_code_(std::move(aws_code)),
      aws_message_(std::move(aws_message)),
      request_id_(std::move(request_id)) {}

bool ServiceError::IsCode(std::string_view name) const noexcept {
  return StripException(aws_code_) == StripException(name);
}

}  // namespace mink::aws

// mink/aws/protocol.hpp — calling AWS services: the JSON 1.1 protocol (KMS) and the Query
// protocol (SNS), signed with SigV4, retried with exponential backoff and full jitter.
//
//   auto cfg = mink::aws::LoadConfig("kms");
//   mink::aws::JsonProtocolClient kms({.config = cfg, .signing_name = "kms"}, "TrentService");
//   nlohmann::json out = kms.Call(ctx, "GenerateDataKey",
//                                 {{"KeyId", "alias/mink"}, {"KeySpec", "AES_256"}});
//
//   mink::aws::QueryProtocolClient sns({.config = LoadConfig("sns"), .signing_name = "sns"},
//                                      "2010-03-31");
//   std::string xml = sns.Call(ctx, "Publish", {{"TopicArn", arn}, {"Message", body}});
//   auto id = mink::aws::XmlText(xml, "MessageId");
//
// JSON 1.1: POST / with Content-Type application/x-amz-json-1.1 and X-Amz-Target
// <prefix>.<Operation>. An error reply's code comes from the x-amzn-query-error header, else
// from "__type" (anything up to the last '#' removed), else from x-amzn-ErrorType; its message
// from "message" or "Message" (botocore's rules).
// Query: POST / with a form body Action=<action>&Version=<version>&<params...> (RFC 3986
// encoding); errors are <ErrorResponse><Error><Code/><Message/></Error><RequestId/>.
//
// Failures:
//   * an error reply -> ServiceError (errors.hpp); throttling and 5xx are retried, 4xx are not;
//   * transport: http::HttpError. kHttpConnectFailed (the request never left) is retried;
//     kHttpReplyLost (outcome unknown) only with RetryOptions::retry_when_outcome_unknown;
//   * a 2xx reply that does not parse -> Error(kAwsInvalidResponse);
//   * the Context bounds the whole call, waits included (kCancelled / kDeadlineExceeded).
// The last failure is rethrown as it was once attempts run out. Every attempt is signed anew.
// Secrets never reach a message or a log line.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <spdlog/logger.h>
#include <nlohmann/json.hpp>

#include "mink/aws/config.hpp"
#include "mink/aws/errors.hpp"
#include "mink/aws/signer.hpp"
#include "mink/context.hpp"
#include "mink/http/client.hpp"

namespace mink::aws {

struct RetryOptions {
  int max_attempts = 3;  // including the first; <= 0 means 1
  // Wait before retry n is uniform in [0, min(max_delay, base_delay * 2^(n-1))] (full jitter).
  std::chrono::milliseconds base_delay{100};
  std::chrono::milliseconds max_delay{5000};
  // Also retry when the request was sent and the reply lost (a duplicate may result).
  bool retry_when_outcome_unknown = false;
};

struct ServiceOptions {
  Config config;             // region, credentials, endpoint_url (see LoadConfig)
  std::string signing_name;  // "kms", "sns"
  // The transport (go-mink's WithHTTPClient); default: a new http::Client.
  std::shared_ptr<http::HttpClient> http_client;
  RetryOptions retry;
  std::chrono::milliseconds timeout{0};  // per attempt; zero = the HTTP client's default
  std::function<SystemTime()> clock;     // the signer's clock (tests pin or skew it)
  // Told about each retry (operation, AWS code or transport error, wait); default: none.
  std::shared_ptr<spdlog::logger> logger;
};

// What a protocol client shares: signing, sending, retrying.
class ServiceClient {
 public:
  explicit ServiceClient(ServiceOptions options);
  virtual ~ServiceClient() = default;
  const ServiceOptions& options() const noexcept { return options_; }

 protected:
  // Sends `request` (URL, method, headers, body set; unsigned) with retries. `parse_error`
  // turns a non-2xx reply into the exception to throw. Returns the 2xx reply.
  http::Response Invoke(
      const Context& ctx, std::string_view operation, http::Request request,
      const std::function<std::exception_ptr(const http::Response&)>& parse_error) const;

  ServiceOptions options_;
  Signer signer_;
};

class JsonProtocolClient : public ServiceClient {
 public:
  // target_prefix: "TrentService" for KMS.
  JsonProtocolClient(ServiceOptions options, std::string target_prefix);
  nlohmann::json Call(const Context& ctx, std::string_view operation, const nlohmann::json& input);

 private:
  std::string target_prefix_;
};

using QueryParams = std::vector<std::pair<std::string, std::string>>;

class QueryProtocolClient : public ServiceClient {
 public:
  // api_version: "2010-03-31" for SNS.
  QueryProtocolClient(ServiceOptions options, std::string api_version);
  // Returns the XML body of the 2xx reply.
  std::string Call(const Context& ctx, std::string_view action, const QueryParams& params);

 private:
  std::string api_version_;
};

// ---- helpers, public for tests and for the KMS / SNS adapters ----

// The ServiceError for a JSON-protocol error reply.
ServiceError ParseJsonError(std::string_view operation, const http::Response& response);
// The ServiceError for a Query-protocol error reply.
ServiceError ParseQueryError(std::string_view operation, const http::Response& response);
// "Action=...&Version=...&k=v..." with RFC 3986 encoding (a space is %20).
std::string FormEncode(const QueryParams& params);
// The text of the first <element> in an AWS XML reply, entities decoded; nullopt when absent.
// Enough for AWS's flat, namespace-default replies; not a general XML parser.
std::optional<std::string> XmlText(std::string_view xml, std::string_view element);
// The inner XML of every <element> at any depth, in document order, as views into `xml`
// (keep it alive). Nest calls to walk a structure:
//   for (auto m : XmlElements(XmlElements(xml, "Successful").at(0), "member")) XmlText(m, "Id");
std::vector<std::string_view> XmlElements(std::string_view xml, std::string_view element);

}  // namespace mink::aws

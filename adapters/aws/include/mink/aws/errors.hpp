// mink/aws/errors.hpp — the AWS layer's error codes and ServiceError, an error AWS returned.
//
//   kAwsMissingCredentials  no access key / secret given and none in the environment
//   kAwsMissingRegion       no region given and neither AWS_REGION nor AWS_DEFAULT_REGION set
//   kAwsInvalidEndpoint     the endpoint URL is not http(s)://host[:port][/]
//   kAwsThrottled           ServiceError: a throttling code (ThrottlingException, Throttled,
//                           429 ...): retried with backoff
//   kAwsServiceUnavailable  ServiceError: a 5xx reply: retried with backoff
//   kAwsServiceError        ServiceError: any other error reply (4xx): not retried
//   kAwsInvalidResponse     a 2xx reply that is not the JSON / XML the protocol promises
//
// ServiceError keeps AWS's own error code ("NotFoundException", "InvalidParameter") so
// callers can branch on it; IsCode accepts a name with or without the "Exception" suffix,
// because AWS spells the same error both ways on different pages and services. Transport
// failures surface as mink::http::HttpError (see mink/http/errors.hpp), unwrapped.
// No message built here contains a secret key or session token.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "mink/error.hpp"

namespace mink {

namespace errc {
inline constexpr ErrorCode kAwsMissingCredentials{ErrorArea::kAws, 1, "AwsMissingCredentials"};
inline constexpr ErrorCode kAwsMissingRegion{ErrorArea::kAws, 2, "AwsMissingRegion"};
inline constexpr ErrorCode kAwsInvalidEndpoint{ErrorArea::kAws, 3, "AwsInvalidEndpoint"};
inline constexpr ErrorCode kAwsThrottled{ErrorArea::kAws, 4, "AwsThrottled"};
inline constexpr ErrorCode kAwsServiceUnavailable{ErrorArea::kAws, 5, "AwsServiceUnavailable"};
inline constexpr ErrorCode kAwsServiceError{ErrorArea::kAws, 6, "AwsServiceError"};
inline constexpr ErrorCode kAwsInvalidResponse{ErrorArea::kAws, 7, "AwsInvalidResponse"};
}  // namespace errc

namespace aws {

// True for AWS's throttling error codes (ThrottlingException, Throttled, SlowDown, ...).
bool IsThrottlingCode(std::string_view aws_code);

class ServiceError : public Error {
 public:
  ServiceError(std::string operation, int status, std::string aws_code, std::string aws_message,
               std::string request_id);

  int status() const noexcept { return status_; }
  // AWS's error code as sent ("NotFoundException", "Throttled").
  const std::string& aws_code() const noexcept { return aws_code_; }
  const std::string& aws_message() const noexcept { return aws_message_; }
  const std::string& request_id() const noexcept { return request_id_; }
  const std::string& operation() const noexcept { return operation_; }
  // Throttling and 5xx: worth another attempt after a backoff.
  bool Retryable() const noexcept {
    return code() == errc::kAwsThrottled || code() == errc::kAwsServiceUnavailable;
  }
  // aws_code() equals `name`, ignoring a trailing "Exception" on either side.
  bool IsCode(std::string_view name) const noexcept;

 private:
  std::string operation_;
  int status_;
  std::string aws_code_;
  std::string aws_message_;
  std::string request_id_;
};

}  // namespace aws
}  // namespace mink

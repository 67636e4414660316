// mink/http/errors.hpp — what can go wrong with an HTTP request, and whether it is safe to retry.
//
// The question a caller must answer after a failure is "did the server see my request?":
//
//   code                  class              request sent?  meaning
//   kHttpConnectFailed    HttpError          no             DNS, refused, TLS handshake, or the
//                                                           time ran out before the request was
//                                                           written: safe to send again
//   kHttpTlsFailed        HttpError          no             the peer's certificate did not verify;
//                                                           retrying will not help
//   kHttpReplyLost        HttpError          yes (maybe)    the request was (or may have been)
//                                                           written but no complete reply came:
//                                                           the outcome is unknown
//   kHttpResponseTooLarge HttpError          yes            the reply exceeded max_response_bytes
//   kHttpInvalidRequest   HttpError          no             malformed URL, method or header
//   kHttpRedirect /       StatusError        yes            a complete reply with a 3xx / 4xx /
//   kHttpClientError /                                      5xx status (only from CheckStatus:
//   kHttpServerError                                        Do() returns every status as a value)
//   errc::kCancelled /    HttpError          either         the Context ended the request;
//   errc::kDeadlineExceeded                                 RequestSent() says which side it was
//
// HttpError::RequestSent() is false only when mink knows the server cannot have seen the
// request. Messages name the method and the URL without its query or user info, never headers
// or bodies (they may carry credentials).
#pragma once

#include <string>
#include <utility>

#include "mink/error.hpp"

namespace mink {

namespace errc {
inline constexpr ErrorCode kHttpConnectFailed{ErrorArea::kHttp, 1, "HttpConnectFailed"};
inline constexpr ErrorCode kHttpTlsFailed{ErrorArea::kHttp, 2, "HttpTlsFailed"};
inline constexpr ErrorCode kHttpReplyLost{ErrorArea::kHttp, 3, "HttpReplyLost"};
inline constexpr ErrorCode kHttpResponseTooLarge{ErrorArea::kHttp, 4, "HttpResponseTooLarge"};
inline constexpr ErrorCode kHttpInvalidRequest{ErrorArea::kHttp, 5, "HttpInvalidRequest"};
inline constexpr ErrorCode kHttpRedirect{ErrorArea::kHttp, 6, "HttpRedirect"};
inline constexpr ErrorCode kHttpClientError{ErrorArea::kHttp, 7, "HttpClientError"};
inline constexpr ErrorCode kHttpServerError{ErrorArea::kHttp, 8, "HttpServerError"};
}  // namespace errc

namespace http {

class HttpError : public Error {
 public:
  HttpError(ErrorCode code, const std::string& message, bool request_sent,
            std::exception_ptr cause = nullptr)
      : Error(code, "http: " + message, std::move(cause)), request_sent_(request_sent) {}

  // False only when the server cannot have seen the request (safe to send it again).
  bool RequestSent() const noexcept { return request_sent_; }

 private:
  bool request_sent_;
};

}  // namespace http
}  // namespace mink

// mink/aws/signer.hpp — AWS Signature Version 4 (header signing), on OpenSSL SHA-256 / HMAC.
//
//   mink::aws::Signer signer(cfg.credentials, {.region = "us-east-1", .service = "kms"});
//   mink::http::Request req{.method = "POST", .url = "https://kms.us-east-1.amazonaws.com/",
//                           .headers = {{"Content-Type", "application/x-amz-json-1.1"},
//                                       {"X-Amz-Target", "TrentService.Decrypt"}},
//                           .body = payload};
//   signer.Sign(req);   // adds Host, X-Amz-Date, [X-Amz-Security-Token], Authorization
//
// The steps are exposed one by one (CanonicalRequest, StringToSign, DeriveSigningKey) and
// Sign(SigningRequest) returns every intermediate, so the tests compare each against AWS's
// published suites, botocore and libcurl's own signer, not just the final header.
//
// Rules (AWS SigV4 docs, pinned by the suites and botocore):
//   * the path is taken as sent on the wire; with normalize_path (all services but S3) dot
//     segments are removed and repeated '/' collapsed (a trailing '/' stays), then every byte
//     but A-Za-z0-9-_.~/ is percent-encoded with upper-case hex, so a '%' on the wire becomes
//     "%25" (AWS's "encode twice");
//   * the query is split on '&' and the first '=', each part decoded and re-encoded ('/' too),
//     and the pairs sorted by name, then value; '+' is taken literally, not as a space;
//   * header names are lower-cased, values trimmed with inner runs of blanks collapsed to one
//     space, repeated names joined with ',' in order; Host and X-Amz-Date are always signed.
//   * sign what you send: Sign(http::Request&) sets the Host header itself (with ":port" when
//     the port is not the scheme's default) so libcurl sends exactly the signed value, and
//     leaves headers libcurl may rewrite (User-Agent, Expect, Accept, Content-Length ...)
//     out of the signature.
// The clock is injectable (SignerOptions::clock) so tests can pin the suites' time and skew it.
// The derived signing key is cached for the UTC day it belongs to, as AWS SDKs do.
// A Signer may be used from many threads at once. Nothing here logs; no message contains the
// secret key or the session token.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "mink/aws/config.hpp"
#include "mink/aws/errors.hpp"
#include "mink/http/client.hpp"

namespace mink::aws {

using SystemTime = std::chrono::system_clock::time_point;

struct SignerOptions {
  std::string region;   // "us-east-1"
  std::string service;  // signing name: "kms", "sns"
  // Remove dot segments and collapse "//" before encoding (false only for S3-style services).
  bool normalize_path = true;
  // Add and sign x-amz-content-sha256 (S3 requires it; most services do not).
  bool sign_body_hash = false;
  // Add X-Amz-Security-Token after signing instead of signing it (a few legacy services).
  bool omit_session_token = false;
  // Current time; default std::chrono::system_clock::now.
  std::function<SystemTime()> clock;
};

// The parts of an HTTP request that SigV4 covers, as they go on the wire.
struct SigningRequest {
  std::string_view method;
  std::string_view path = "/";  // percent-encoded as sent, without the query
  std::string_view query;       // raw query string, without '?'
  // Every header here is signed (Host included). X-Amz-Date, X-Amz-Security-Token,
  // x-amz-content-sha256 and Authorization are ignored: the signer adds its own.
  const http::Headers* headers = nullptr;
  std::string_view body;
};

// Everything one signing produced.
struct Signature {
  std::string amz_date;           // 20150830T123600Z
  std::string scope;              // 20150830/us-east-1/service/aws4_request
  std::string canonical_request;  // step 1
  std::string string_to_sign;     // step 2
  std::string signed_headers;     // host;x-amz-date
  std::string signature;          // lower-case hex HMAC (step 4)
  std::string authorization;      // the Authorization header value
  // Headers to add to the request, in this order: X-Amz-Date, [X-Amz-Security-Token],
  // [x-amz-content-sha256], Authorization.
  http::Headers headers;
};

class Signer {
 public:
  // Throws Error(kAwsMissingCredentials) without an access key id and secret, and
  // Error(kAwsMissingRegion) without a region or service.
  Signer(Credentials credentials, SignerOptions options);

  Signature Sign(const SigningRequest& request) const { return Sign(request, Now()); }
  Signature Sign(const SigningRequest& request, SystemTime at) const;

  // Signs an outgoing request in place: drops any old signing headers, sets Host from the URL
  // unless present, signs every other header except kUnsignedHeaders, and appends
  // Signature::headers. Throws Error(kInvalidArgument) for a URL that is not http(s)://.
  void Sign(http::Request& request) const { Sign(request, Now()); }
  void Sign(http::Request& request, SystemTime at) const;

  const SignerOptions& options() const noexcept { return options_; }
  const std::string& access_key_id() const noexcept { return credentials_.access_key_id; }

 private:
  SystemTime Now() const {
    return options_.clock ? options_.clock() : std::chrono::system_clock::now();
  }
  // The derived key for `date` (yyyymmdd): four HMACs, so it is kept for the day it covers.
  std::array<std::uint8_t, 32> SigningKey(std::string_view date) const;

  struct KeyCache;
  Credentials credentials_;
  SignerOptions options_;
  std::shared_ptr<KeyCache> key_cache_;  // shared by copies, which sign with the same secret
};

// Headers Sign(http::Request&) never signs: a proxy or libcurl may add, drop or rewrite them.
inline constexpr std::array<std::string_view, 8> kUnsignedHeaders = {
    "user-agent",        "expect",         "accept", "content-length", "connection", "keep-alive",
    "transfer-encoding", "x-amzn-trace-id"};

// ---- the steps, for tests and for servers that verify ----

// RFC 3986 encoding with upper-case hex; unreserved A-Za-z0-9-_.~ kept, and '/' when
// keep_slash.
std::string UriEncode(std::string_view s, bool keep_slash);
// Percent-decoding; a '%' not followed by two hex digits stays as it is.
std::string UriDecode(std::string_view s);
std::string CanonicalUri(std::string_view wire_path, bool normalize_path);
std::string CanonicalQuery(std::string_view wire_query);
// "20150830T123600Z"
std::string FormatAmzDate(SystemTime t);
// hex(SHA-256(data)), lower case.
std::string Sha256Hex(std::string_view data);
// HMAC chain "AWS4"+secret -> date (yyyymmdd) -> region -> service -> "aws4_request".
std::array<std::uint8_t, 32> DeriveSigningKey(std::string_view secret, std::string_view date,
                                              std::string_view region, std::string_view service);
// "AWS4-HMAC-SHA256\n<amz_date>\n<scope>\nhex(sha256(canonical_request))"
std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request);
// hex(HMAC-SHA256(key, string_to_sign))
std::string SignatureHex(const std::array<std::uint8_t, 32>& key, std::string_view string_to_sign);

}  // namespace mink::aws

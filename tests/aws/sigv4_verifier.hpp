// Test support: verifies the SigV4 signature of a request a cpp-httplib server received, the
// way AWS does (wave2-testing.md §5.1 order): Authorization present, well formed, known key,
// date within 15 minutes, scope, host and x-amz-date signed, every signed header present,
// signature equal (constant-time compare).
//
// It recomputes with mink's own canonicalizer, so on its own it cannot catch a
// canonicalization bug; the AWS suites, botocore and libcurl checks do that. Its job is to
// catch what changes after signing: body, headers, date, secret.
#pragma once

#include <chrono>
#include <ctime>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include <httplib.h>
#include <openssl/crypto.h>

#include "aws/amz_date.hpp"
#include "mink/aws/signer.hpp"

namespace mink::testing {

struct AwsFault {
  std::string code;  // AWS's error code, e.g. "InvalidSignatureException"
  std::string message;
};

// Parsed fields of an Authorization header, as the verifier saw them (tests inspect them).
struct ParsedAuthorization {
  std::string access_key, date, region, service, signed_headers, signature;
};

inline std::optional<ParsedAuthorization> ParseAuthorization(const std::string& auth) {
  const std::string prefix = "AWS4-HMAC-SHA256 ";
  if (auth.rfind(prefix, 0) != 0) return std::nullopt;
  std::map<std::string, std::string> fields;
  std::size_t pos = prefix.size();
  while (pos < auth.size()) {
    auto end = auth.find(',', pos);
    if (end == std::string::npos) end = auth.size();
    std::string item = auth.substr(pos, end - pos);
    while (!item.empty() && item.front() == ' ') item.erase(0, 1);
    const auto eq = item.find('=');
    if (eq != std::string::npos) fields[item.substr(0, eq)] = item.substr(eq + 1);
    pos = end + 1;
  }
  if (!fields.count("Credential") || !fields.count("SignedHeaders") || !fields.count("Signature")) {
    return std::nullopt;
  }
  ParsedAuthorization p;
  std::vector<std::string> parts;
  std::string cred = fields["Credential"];
  for (std::size_t s = 0, e; s <= cred.size(); s = e + 1) {
    e = cred.find('/', s);
    if (e == std::string::npos) e = cred.size();
    parts.push_back(cred.substr(s, e - s));
  }
  if (parts.size() != 5 || parts[4] != "aws4_request") return std::nullopt;
  p.access_key = parts[0];
  p.date = parts[1];
  p.region = parts[2];
  p.service = parts[3];
  p.signed_headers = fields["SignedHeaders"];
  p.signature = fields["Signature"];
  return p;
}

// nullopt when the request's signature is valid.
inline std::optional<AwsFault> VerifySigV4(
    const httplib::Request& q,
    const std::function<std::optional<std::string>(const std::string&)>& secret_for,
    const std::string& region, const std::string& service, aws::SystemTime now) {
  if (!q.has_header("Authorization")) {
    return AwsFault{"MissingAuthenticationTokenException", "Missing Authentication Token"};
  }
  const auto auth = ParseAuthorization(q.get_header_value("Authorization"));
  if (!auth) return AwsFault{"IncompleteSignatureException", "malformed Authorization header"};
  const auto secret = secret_for(auth->access_key);
  if (!secret) {
    return AwsFault{"UnrecognizedClientException",
                    "The security token included in the request is invalid."};
  }
  const auto when = ParseAmzDate(q.get_header_value("X-Amz-Date"));
  if (!when) return AwsFault{"IncompleteSignatureException", "missing or malformed X-Amz-Date"};
  if (*when > now + std::chrono::minutes(15) || *when < now - std::chrono::minutes(15)) {
    return AwsFault{"InvalidSignatureException", "Signature expired"};
  }
  if (auth->date != q.get_header_value("X-Amz-Date").substr(0, 8) || auth->region != region ||
      auth->service != service) {
    return AwsFault{"InvalidSignatureException", "Credential should be scoped correctly"};
  }
  // Signed header names, and the headers to recompute with.
  http::Headers headers;
  bool host = false, date = false, token_signed = false, body_hash_signed = false;
  for (std::size_t s = 0, e; s <= auth->signed_headers.size(); s = e + 1) {
    e = auth->signed_headers.find(';', s);
    if (e == std::string::npos) e = auth->signed_headers.size();
    const std::string name = auth->signed_headers.substr(s, e - s);
    host |= name == "host";
    date |= name == "x-amz-date";
    token_signed |= name == "x-amz-security-token";
    body_hash_signed |= name == "x-amz-content-sha256";
    const auto count = q.get_header_value_count(name.c_str());
    if (count == 0) {
      return AwsFault{"InvalidSignatureException", "signed header missing: " + name};
    }
    for (std::size_t i = 0; i < count; ++i) {
      headers.emplace_back(name, q.get_header_value(name.c_str(), i));
    }
  }
  if (!host || !date) {
    return AwsFault{"InvalidSignatureException", "host and x-amz-date must be signed"};
  }
  const std::string token = q.get_header_value("X-Amz-Security-Token");
  aws::Signer signer({auth->access_key, *secret, token}, {.region = region,
                                                          .service = service,
                                                          .sign_body_hash = body_hash_signed,
                                                          .omit_session_token = !token_signed});
  const auto qm = q.target.find('?');  // the raw target: q.path is already decoded
  const std::string path = q.target.substr(0, qm);
  const std::string query = qm == std::string::npos ? "" : q.target.substr(qm + 1);
  const auto expected = signer.Sign(
      aws::SigningRequest{
          .method = q.method, .path = path, .query = query, .headers = &headers, .body = q.body},
      *when);
  if (expected.signature.size() != auth->signature.size() ||
      CRYPTO_memcmp(expected.signature.data(), auth->signature.data(), auth->signature.size()) !=
          0) {
    return AwsFault{"InvalidSignatureException",
                    "The request signature we calculated does not match the signature you "
                    "provided."};
  }
  return std::nullopt;
}

}  // namespace mink::testing

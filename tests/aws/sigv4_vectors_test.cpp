// Every case of AWS's two published SigV4 suites (tests/aws/vectors, see SOURCES.md there):
// the canonical request, the string to sign and the signature are each compared, not just the
// final header. Exactly the published files known to be wrong are skipped, and each runner
// fails if it ran fewer cases than the suite holds (zero included).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "mink/aws/signer.hpp"

namespace fs = std::filesystem;
using mink::aws::Credentials;
using mink::aws::Signer;
using mink::aws::SignerOptions;
using mink::aws::SigningRequest;

namespace {

const fs::path kVectors = MINK_SIGV4_VECTORS_DIR;
constexpr char kAccessKey[] = "AKIDEXAMPLE";
constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
// 2015-08-30T12:36:00Z
const mink::aws::SystemTime kSuiteTime{std::chrono::seconds(1440938160)};

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A request as the suites write it: request line with the target as sent, headers (folded
// continuation lines kept with their line break, as on the wire), blank line, body.
struct ParsedRequest {
  std::string method, path, query, body;
  mink::http::Headers headers;
};

ParsedRequest ParseRequest(const std::string& text) {
  ParsedRequest r;
  std::vector<std::string> lines;
  std::size_t pos = 0;
  std::size_t body_at = std::string::npos;
  while (pos <= text.size()) {
    auto nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string line = text.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    pos = nl + 1;
    if (line.empty() && !lines.empty()) {
      body_at = pos;
      break;
    }
    lines.push_back(line);
  }
  if (body_at != std::string::npos && body_at < text.size()) r.body = text.substr(body_at);
  const std::string& first = lines.at(0);
  const auto sp1 = first.find(' ');
  const auto sp2 = first.rfind(' ');
  r.method = first.substr(0, sp1);
  const std::string target = first.substr(sp1 + 1, sp2 - sp1 - 1);
  const auto q = target.find('?');
  r.path = target.substr(0, q);
  if (q != std::string::npos) r.query = target.substr(q + 1);
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if ((line[0] == ' ' || line[0] == '\t') && !r.headers.empty()) {
      r.headers.back().second += "\n" + line;
      continue;
    }
    const auto colon = line.find(':');
    r.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  return r;
}

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

}  // namespace

TEST(SigV4Vectors, ClassicSuite) {
  const fs::path root = kVectors / "aws-sig-v4-test-suite";
  ASSERT_TRUE(fs::is_directory(root)) << root;
  // Published files known to be wrong (SOURCES.md): case -> the extensions not to compare.
  const std::map<std::string, std::set<std::string>> kKnownBad = {
      {"post-x-www-form-urlencoded", {".sts", ".authz"}},
      {"post-x-www-form-urlencoded-parameters", {".sts"}}};
  int cases = 0, checks = 0, skipped = 0;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.path().extension() != ".req") continue;
    const std::string name = entry.path().stem().string();
    SCOPED_TRACE(name);
    const fs::path base = entry.path().parent_path() / name;
    auto file = [&](const char* ext) { return ReadFile(base.string() + ext); };
    ParsedRequest req = ParseRequest(file(".req"));
    Credentials creds{kAccessKey, kSecret, ""};
    if (auto t = mink::http::FindHeader(req.headers, "X-Amz-Security-Token")) {
      creds.session_token = std::string(*t);  // post-sts-header-before: the token is in .req
    }
    if (name == "get-vanilla-with-session-token") {
      // aws-c-auth's case: the token comes from the credentials (SOURCES.md).
      creds.session_token = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";
    }
    Signer signer(creds, {.region = "us-east-1",
                          .service = "service",
                          .omit_session_token = name == "post-sts-header-after"});
    if (name == "post-sts-header-after") {
      // The token is added after signing: .req does not carry it, the signer must not sign it.
      signer = Signer(Credentials{kAccessKey, kSecret, "AQoDYXdzEPT//////////wEXAMPLE"},
                      {.region = "us-east-1", .service = "service", .omit_session_token = true});
    }
    const auto sig = signer.Sign(SigningRequest{.method = req.method,
                                                .path = req.path,
                                                .query = req.query,
                                                .headers = &req.headers,
                                                .body = req.body},
                                 kSuiteTime);
    ++cases;
    // Each step from the published input of that step (so one defective file fails one
    // check), then the whole chain end to end where no file of the case is defective.
    const auto bad = kKnownBad.count(name) ? kKnownBad.at(name) : std::set<std::string>{};
    const std::string creq = Trimmed(file(".creq"));
    EXPECT_EQ(sig.canonical_request, creq);
    ++checks;
    if (bad.count(".sts")) {
      ++skipped;
    } else {
      EXPECT_EQ(mink::aws::StringToSign(sig.amz_date, sig.scope, creq), Trimmed(file(".sts")));
      ++checks;
    }
    if (bad.count(".authz")) {
      ++skipped;
    } else {
      const auto key = mink::aws::DeriveSigningKey(kSecret, "20150830", "us-east-1", "service");
      EXPECT_EQ("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/" + sig.scope +
                    ", SignedHeaders=" + sig.signed_headers +
                    ", Signature=" + mink::aws::SignatureHex(key, Trimmed(file(".sts"))),
                Trimmed(file(".authz")));
      ++checks;
    }
    if (bad.empty()) {
      EXPECT_EQ(sig.string_to_sign, Trimmed(file(".sts")));
      EXPECT_EQ(sig.authorization, Trimmed(file(".authz")));
    }
  }
  std::cout << "classic suite: " << cases << " cases, " << checks << " checks run, " << skipped
            << " known-bad files skipped\n";
  EXPECT_EQ(cases, 33) << "the classic suite has 33 cases";
  EXPECT_EQ(checks, 96);
  EXPECT_EQ(skipped, 3);
}

TEST(SigV4Vectors, SigningSuiteV4) {
  const fs::path root = kVectors / "aws-signing-test-suite-v4";
  ASSERT_TRUE(fs::is_directory(root)) << root;
  int cases = 0, checks = 0;
  for (const auto& entry : fs::directory_iterator(root)) {
    if (!entry.is_directory()) continue;
    const std::string name = entry.path().filename().string();
    SCOPED_TRACE(name);
    const nlohmann::json context = nlohmann::json::parse(ReadFile(entry.path() / "context.json"));
    const auto& c = context.at("credentials");
    Credentials creds{c.at("access_key_id"), c.at("secret_access_key"), c.value("token", "")};
    Signer signer(creds, {.region = context.at("region"),
                          .service = context.at("service"),
                          .normalize_path = context.value("normalize", true),
                          .sign_body_hash = context.value("sign_body", false),
                          .omit_session_token = context.value("omit_session_token", false)});
    EXPECT_EQ(context.at("timestamp"), "2015-08-30T12:36:00Z");
    ParsedRequest req = ParseRequest(ReadFile(entry.path() / "request.txt"));
    const auto sig = signer.Sign(SigningRequest{.method = req.method,
                                                .path = req.path,
                                                .query = req.query,
                                                .headers = &req.headers,
                                                .body = req.body},
                                 kSuiteTime);
    ++cases;
    EXPECT_EQ(sig.canonical_request,
              Trimmed(ReadFile(entry.path() / "header-canonical-request.txt")));
    EXPECT_EQ(sig.string_to_sign, Trimmed(ReadFile(entry.path() / "header-string-to-sign.txt")));
    EXPECT_EQ(sig.signature, Trimmed(ReadFile(entry.path() / "header-signature.txt")));
    checks += 3;
    // The signed request shows which headers a client adds: the token whether or not signed.
    const std::string signed_request = ReadFile(entry.path() / "header-signed-request.txt");
    EXPECT_EQ(signed_request.find("X-Amz-Security-Token:") != std::string::npos,
              !creds.session_token.empty());
  }
  std::cout << "v4 suite: " << cases << " cases, " << checks << " checks run, 0 skipped\n";
  EXPECT_EQ(cases, 38) << "the v4 suite has 38 cases";
  EXPECT_EQ(checks, 114);
}

// The KMS-shaped vector that botocore and mink agree on (wave2-testing.md §3).
TEST(SigV4Vectors, KmsShapedRequestThroughHttpRequest) {
  Signer signer({kAccessKey, kSecret, ""}, {.region = "us-east-1", .service = "kms"});
  mink::http::Request req{.method = "POST",
                          .url = "https://kms.us-east-1.amazonaws.com/",
                          .headers = {{"Content-Type", "application/x-amz-json-1.1"},
                                      {"X-Amz-Target", "TrentService.GenerateDataKey"},
                                      {"User-Agent", "not-signed"}},
                          .body = R"({"KeyId":"alias/mink","KeySpec":"AES_256"})"};
  signer.Sign(req, kSuiteTime);
  EXPECT_EQ(mink::http::FindHeader(req.headers, "Host").value_or(""),
            "kms.us-east-1.amazonaws.com");
  EXPECT_EQ(mink::http::FindHeader(req.headers, "Authorization").value_or(""),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/kms/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
            "Signature=fcbdbffd284f2a6ef47f962a4cb032846637ccc29eee2f1924036d968b97530e");
}

TEST(SigV4Vectors, HostKeepsANonDefaultPortOnly) {
  Signer signer({kAccessKey, kSecret, ""}, {.region = "us-east-1", .service = "kms"});
  auto host_of = [&](std::string url) {
    mink::http::Request req{.method = "POST", .url = std::move(url)};
    signer.Sign(req, kSuiteTime);
    return std::string(mink::http::FindHeader(req.headers, "Host").value_or(""));
  };
  EXPECT_EQ(host_of("http://127.0.0.1:4566/"), "127.0.0.1:4566");
  EXPECT_EQ(host_of("http://127.0.0.1:80/"), "127.0.0.1");
  EXPECT_EQ(host_of("https://kms.us-east-1.amazonaws.com:443"), "kms.us-east-1.amazonaws.com");
  EXPECT_EQ(host_of("https://user:pw@[::1]:8443/x?y=1"), "[::1]:8443");
}

// The signing key is cached per day: one signer across day changes must sign exactly as a
// fresh signer does each time.
TEST(SigV4Vectors, CachedKeyFollowsTheDate) {
  Signer shared({kAccessKey, kSecret, ""}, {.region = "us-east-1", .service = "kms"});
  const mink::http::Headers headers = {{"Host", "kms.us-east-1.amazonaws.com"}};
  const SigningRequest req{.method = "POST", .path = "/", .headers = &headers, .body = "{}"};
  for (int day : {0, 1, 1, 0, 400, 0}) {
    const auto at = kSuiteTime + std::chrono::hours(24 * day);
    Signer fresh({kAccessKey, kSecret, ""}, {.region = "us-east-1", .service = "kms"});
    EXPECT_EQ(shared.Sign(req, at).authorization, fresh.Sign(req, at).authorization) << day;
  }
}

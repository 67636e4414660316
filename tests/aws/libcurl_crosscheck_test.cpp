// mink's SigV4 against libcurl's own signer (CURLOPT_AWS_SIGV4, an independent
// implementation Debian ships): libcurl signs random requests and sends them to a local
// server, which recomputes each signature with mink's signer from the request as received
// and must get libcurl's exact value.
//
// libcurl 7.88 signs the path and query as given (it neither normalizes nor sorts nor
// re-encodes them), so the generator gives it requests already in canonical form: sorted,
// RFC 3986-encoded query and a path with only unreserved characters. Everything else is
// random: method, segments, parameters, header names, values with messy blanks, body,
// region, service, keys, date. Two libcurl 7.88 deviations are kept out of the generator:
//   * it sorts "name:value" lines rather than names, so when one header name is a prefix of
//     another ("x-mink-y1", "x-mink-y14") its SignedHeaders order is wrong (':' sorts after the
//     digits); AWS and botocore sort by name, as mink does;
//   * it signs an "Expect:" removal line as a header it then does not send (bodies here are
//     small, so libcurl sends no Expect anyway).
#include <gtest/gtest.h>

#include <curl/curl.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <random>

#include "aws/sigv4_verifier.hpp"
#include "http/local_server.hpp"

namespace {

std::string Pick(std::mt19937_64& rng, std::string_view alphabet, int lo, int hi) {
  std::uniform_int_distribution<int> len(lo, hi);
  std::uniform_int_distribution<std::size_t> at(0, alphabet.size() - 1);
  std::string s;
  for (int i = len(rng); i > 0; --i) s += alphabet[at(rng)];
  return s;
}

struct Captured {
  std::string region, service, secret;
  std::optional<mink::testing::AwsFault> fault;
  std::string authorization;
};

}  // namespace

TEST(LibcurlCrossCheck, MinkVerifiesWhatLibcurlSigned) {
  std::mutex mu;
  std::map<std::string, Captured> by_key;  // access key id -> what the server saw
  mink::testing::LocalServer server;
  auto handler = [&](const httplib::Request& q, httplib::Response& res) {
    std::lock_guard lock(mu);
    const auto auth = mink::testing::ParseAuthorization(q.get_header_value("Authorization"));
    if (!auth || !by_key.count(auth->access_key)) {
      res.status = 400;
      return;
    }
    Captured& c = by_key[auth->access_key];
    c.authorization = q.get_header_value("Authorization");
    const auto when = mink::testing::ParseAmzDate(q.get_header_value("X-Amz-Date"));
    c.fault = mink::testing::VerifySigV4(
        q, [&](const std::string&) { return std::optional<std::string>(c.secret); }, c.region,
        c.service, when.value_or(mink::aws::SystemTime{}));
    res.set_content("ok", "text/plain");
  };
  for (const char* m : {"GET", "POST", "PUT", "DELETE", "PATCH"}) {
    std::string method = m;
    if (method == "GET") server->Get(".*", handler);
    if (method == "POST") server->Post(".*", handler);
    if (method == "PUT") server->Put(".*", handler);
    if (method == "DELETE") server->Delete(".*", handler);
    if (method == "PATCH") server->Patch(".*", handler);
  }
  server.Start();

  const char* pinned = std::getenv("MINK_CROSSCHECK_SEED");
  const auto seed = pinned ? std::stoull(pinned) : std::random_device{}();
  std::cout << "libcurl cross-check seed " << seed << " (MINK_CROSSCHECK_SEED replays it)\n";
  std::mt19937_64 rng(seed);
  constexpr int kCases = 300;
  int checked = 0;
  const std::string unreserved =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~";
  for (int i = 0; i < kCases; ++i) {
    SCOPED_TRACE(i);
    const std::string method = std::vector<std::string>{
        "GET", "POST", "PUT", "DELETE", "PATCH"}[std::uniform_int_distribution<int>(0, 4)(rng)];
    std::string path;
    for (int s = std::uniform_int_distribution<int>(1, 4)(rng); s > 0; --s) {
      std::string seg = Pick(rng, unreserved, 1, 8);
      if (seg == "." || seg == "..") seg = "x";
      path += "/" + seg;
    }
    std::vector<std::pair<std::string, std::string>> params;
    for (int p = std::uniform_int_distribution<int>(0, 4)(rng); p > 0; --p) {
      params.emplace_back(
          mink::aws::UriEncode(Pick(rng, "abcXYZ019-_.~ !$&'()*+,;=@:/?é", 1, 6), false),
          mink::aws::UriEncode(Pick(rng, "abcXYZ019-_.~ !$&'()*+,;=@:/?é", 0, 6), false));
    }
    std::sort(params.begin(), params.end());
    params.erase(std::unique(params.begin(), params.end(),
                             [](const auto& a, const auto& b) { return a.first == b.first; }),
                 params.end());
    std::string query;
    for (const auto& [k, v] : params) query += (query.empty() ? "" : "&") + k + "=" + v;

    Captured expect;
    const std::string akid =
        "AKID" + std::to_string(i) + Pick(rng, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", 8, 8);
    expect.secret = Pick(rng, "abcdefXYZ0189+/", 40, 40);
    expect.region = std::vector<std::string>{
        "us-east-1", "eu-west-3", "ap-southeast-2"}[std::uniform_int_distribution<int>(0, 2)(rng)];
    expect.service = std::vector<std::string>{
        "kms", "sns", "service"}[std::uniform_int_distribution<int>(0, 2)(rng)];
    {
      std::lock_guard lock(mu);
      by_key[akid] = expect;
    }
    const auto secs = std::uniform_int_distribution<long>(1420070400, 1735603200)(rng);
    const std::string amz_date =
        mink::aws::FormatAmzDate(std::chrono::system_clock::from_time_t(secs));

    curl_slist* headers = curl_slist_append(nullptr, ("X-Amz-Date: " + amz_date).c_str());
    for (int h = std::uniform_int_distribution<int>(0, 4)(rng); h > 0; --h) {
      // The index comes first, so no name is a prefix of another (see the note at the top).
      const std::string name =
          "X-Mink-" + std::to_string(h) + "-" + Pick(rng, "abcdefXYZ019-", 1, 6);
      const std::string value = Pick(rng, " \tabcXYZ019-_.~!$&'()*+,;=@:/?\"<>[]{}|^", 1, 14);
      if (value.find_first_not_of(" \t") == std::string::npos) continue;
      headers = curl_slist_append(headers, (name + ": " + value).c_str());
    }
    headers = curl_slist_append(headers, "Content-Type: application/x-amz-json-1.1");
    const std::string body = Pick(rng, "abc{}\":,0123 \n", 0, 64);
    const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + path +
                            (query.empty() ? "" : "?" + query);
    const std::string sigv4 = "aws:amz:" + expect.region + ":" + expect.service;
    const std::string userpwd = akid + ":" + expect.secret;

    CURL* curl = curl_easy_init();
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_PROXY, "");
    curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, sigv4.c_str());
    curl_easy_setopt(curl, CURLOPT_USERPWD, userpwd.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(
        curl, CURLOPT_WRITEFUNCTION,
        +[](char*, std::size_t s, std::size_t n, void*) { return s * n; });
    if (method == "GET") {
      curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    } else {
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    }
    const CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(curl);
    curl_slist_free_all(headers);
    ASSERT_EQ(rc, CURLE_OK);
    ASSERT_EQ(status, 200);

    std::lock_guard lock(mu);
    const Captured& got = by_key[akid];
    ASSERT_FALSE(got.authorization.empty());
    EXPECT_FALSE(got.fault) << got.fault->code << ": " << got.fault->message << "\n  url " << url
                            << "\n  libcurl: " << got.authorization;
    ++checked;
  }
  std::cout << "libcurl cross-check: " << checked << " requests signed by libcurl "
            << curl_version_info(CURLVERSION_NOW)->version << ", verified by mink\n";
  EXPECT_EQ(checked, kCases);
}

// mink::http::Client and the SigV4 signer, each beside a raw baseline in the same binary.
//
//   build/bench/bench/mink_http_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only
//
// Transport: requests per second against an in-process cpp-httplib keep-alive server on
// 127.0.0.1 (TCP_NODELAY, keep-alive unlimited), same URL, same reply:
//   BM_Client_Get / BM_Client_Post1K    mink::http::Client::Do (one client, pooled handle)
//   BM_RawCurl_Get / BM_RawCurl_Post1K  one reused CURL easy handle and curl_easy_perform,
//                                       the same headers minus nothing mink needs: the
//                                       least a libcurl user can do for the same request
// The server shares the machine's cores with the client, equally for both sides.
// Signing:
//   BM_Sign_KmsRequest      Signer::Sign(http::Request&) of a KMS GenerateDataKey request
//                           (URL parse, canonical request, string to sign, key, signature)
//   BM_Raw_Sha256AndHmacs   the crypto alone: SHA-256 of body and of a canonical request
//                           of the same size, and the five HMAC-SHA256 a signature needs
#include <curl/curl.h>

#include <benchmark/benchmark.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "../tests/http/local_server.hpp"
#include "mink/aws/signer.hpp"
#include "mink/http/client.hpp"

namespace {

mink::testing::LocalServer& Server() {
  static mink::testing::LocalServer* server = [] {
    auto* s = new mink::testing::LocalServer();
    (*s)->Get("/get", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"ok":true,"id":"0123456789"})", "application/json");
    });
    (*s)->Post("/post", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(std::to_string(req.body.size()), "text/plain");
    });
    s->Start();
    return s;
  }();
  return *server;
}

const std::string kBody1K(1024, 'b');

void RunClient(benchmark::State& state, const mink::http::Request& req) {
  mink::http::Client client({.proxy = ""});
  mink::Context ctx;
  for (auto _ : state) {
    auto res = client.Do(ctx, req);
    if (res.status != 200) state.SkipWithError("bad status");
    benchmark::DoNotOptimize(res.body.data());
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Client_Get(benchmark::State& state) {
  RunClient(state, {.method = "GET", .url = Server().Url("/get")});
}
void BM_Client_Post1K(benchmark::State& state) {
  RunClient(state, {.method = "POST",
                    .url = Server().Url("/post"),
                    .headers = {{"Content-Type", "application/json"}},
                    .body = kBody1K});
}

std::size_t Collect(char* data, std::size_t size, std::size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

void RunRawCurl(benchmark::State& state, const std::string& url, const std::string* body) {
  CURL* curl = curl_easy_init();
  curl_slist* headers = curl_slist_append(nullptr, "Expect:");
  if (body) headers = curl_slist_append(headers, "Content-Type: application/json");
  std::string out;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROXY, "");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 30000L);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &out);
  if (body) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body->size()));
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body->data());
  }
  for (auto _ : state) {
    out.clear();
    long status = 0;
    if (curl_easy_perform(curl) != CURLE_OK) state.SkipWithError("curl failed");
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) state.SkipWithError("bad status");
    benchmark::DoNotOptimize(out.data());
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  state.SetItemsProcessed(state.iterations());
}

void BM_RawCurl_Get(benchmark::State& state) { RunRawCurl(state, Server().Url("/get"), nullptr); }
void BM_RawCurl_Post1K(benchmark::State& state) {
  RunRawCurl(state, Server().Url("/post"), &kBody1K);
}

BENCHMARK(BM_Client_Get)->UseRealTime();
BENCHMARK(BM_RawCurl_Get)->UseRealTime();
BENCHMARK(BM_Client_Post1K)->UseRealTime();
BENCHMARK(BM_RawCurl_Post1K)->UseRealTime();

// ---- signing ----

const mink::aws::SystemTime kNow{std::chrono::seconds(1440938160)};

void BM_Sign_KmsRequest(benchmark::State& state) {
  mink::aws::Signer signer({"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""},
                           {.region = "us-east-1", .service = "kms"});
  const mink::http::Request base{
      .method = "POST",
      .url = "https://kms.us-east-1.amazonaws.com/",
      .headers = {{"Content-Type", "application/x-amz-json-1.1"},
                  {"X-Amz-Target", "TrentService.GenerateDataKey"}},
      .body =
          R"({"KeyId":"alias/mink","KeySpec":"AES_256","EncryptionContext":{"stream":"order-1"}})"};
  for (auto _ : state) {
    mink::http::Request req = base;
    signer.Sign(req, kNow);
    benchmark::DoNotOptimize(req.headers.back().second.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Sign_KmsRequest);

void BM_Raw_Sha256AndHmacs(benchmark::State& state) {
  const std::string body =
      R"({"KeyId":"alias/mink","KeySpec":"AES_256","EncryptionContext":{"stream":"order-1"}})";
  const std::string creq(230, 'c');  // the size of the KMS canonical request above
  const std::string key = "AWS4wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  for (auto _ : state) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(body.data(), body.size(), digest, &len, EVP_sha256(), nullptr);
    EVP_Digest(creq.data(), creq.size(), digest, &len, EVP_sha256(), nullptr);
    unsigned char mac[32];
    unsigned int mac_len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>("20150830"), 8, mac, &mac_len);
    for (const char* part : {"us-east-1", "kms", "aws4_request"}) {
      HMAC(EVP_sha256(), mac, 32, reinterpret_cast<const unsigned char*>(part), std::strlen(part),
           mac, &mac_len);
    }
    HMAC(EVP_sha256(), mac, 32, reinterpret_cast<const unsigned char*>(creq.data()), 150, mac,
         &mac_len);
    benchmark::DoNotOptimize(mac);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Raw_Sha256AndHmacs);

}  // namespace

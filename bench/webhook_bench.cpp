// The outbox webhook publisher beside a raw libcurl loop, in the same binary.
//
//   build/bench/bench/mink_webhook_bench --benchmark_repetitions=5
//       --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only
//
// Both sides deliver batches of 100 messages (1 KiB JSON payload, three outbox headers, one
// default header) to the same in-process cpp-httplib keep-alive receiver on 127.0.0.1 that
// answers 204, one POST per message, and check each status is 2xx:
//   BM_Webhook_Publish        mink::webhook::Publisher::Publish(ctx, batch): builds each
//                             request (URL check, header merge, X-Outbox-*), sends it through
//                             mink::http::Client (pooled handle), one outcome per message
//   BM_Webhook_PublishSigned  the same with Standard Webhooks signing (one HMAC-SHA256 and a
//                             base64 per message, three more headers)
//   BM_RawCurl_PostLoop       one reused CURL easy handle; per message a fresh curl_slist with
//                             the same headers, curl_easy_perform, status check: the least a
//                             hand-written publisher does for the same deliveries
// Items per second = messages delivered per second. The receiver shares the cores with the
// client, equally for both sides.
#include <curl/curl.h>

#include <benchmark/benchmark.h>

#include "../tests/http/local_server.hpp"
#include "mink/webhook/publisher.hpp"

namespace {

constexpr int kBatch = 100;

mink::testing::LocalServer& Receiver() {
  static mink::testing::LocalServer* server = [] {
    auto* s = new mink::testing::LocalServer();
    (*s)->Post("/hook", [](const httplib::Request&, httplib::Response& res) { res.status = 204; });
    s->Start();
    return s;
  }();
  return *server;
}

std::vector<mink::OutboxMessage> Batch() {
  std::vector<mink::OutboxMessage> batch;
  for (int i = 0; i < kBatch; ++i) {
    mink::OutboxMessage m;
    m.id = "0190f1e2-7c3a-7d4e-8f90-" + std::to_string(100000000000 + i);
    m.aggregate_id = "order-" + std::to_string(i % 10);
    m.event_type = "OrderPlaced";
    m.destination = "webhook:" + Receiver().Url("/hook");
    m.payload = R"({"order":")" + m.aggregate_id + R"(","pad":")" + std::string(980, 'x') + "\"}";
    m.headers = {{"event-type", m.event_type}, {"stream-id", m.aggregate_id}, {"event-id", m.id}};
    batch.push_back(std::move(m));
  }
  return batch;
}

void RunPublisher(benchmark::State& state, std::string secret) {
  mink::webhook::Publisher publisher(
      {.http_client = std::make_shared<mink::http::Client>(mink::http::ClientOptions{.proxy = ""}),
       .default_headers = {{"Authorization", "Bearer bench-token"}},
       .signing_secret = std::move(secret)});
  const auto batch = Batch();
  mink::Context ctx;
  for (auto _ : state) {
    const auto outcomes = publisher.Publish(ctx, batch);
    for (const auto& o : outcomes) {
      if (!o.Delivered()) state.SkipWithError(mink::ErrorMessage(o.error).c_str());
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

void BM_Webhook_Publish(benchmark::State& state) { RunPublisher(state, ""); }
void BM_Webhook_PublishSigned(benchmark::State& state) {
  RunPublisher(state, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
}

std::size_t Discard(char*, std::size_t size, std::size_t n, void*) { return size * n; }

void BM_RawCurl_PostLoop(benchmark::State& state) {
  const auto batch = Batch();
  const std::string url = Receiver().Url("/hook");
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROXY, "");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 30000L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Discard);
  for (auto _ : state) {
    for (const auto& m : batch) {
      curl_slist* headers = curl_slist_append(nullptr, "Expect:");
      headers = curl_slist_append(headers, "Content-Type: application/json");
      headers = curl_slist_append(headers, "Authorization: Bearer bench-token");
      for (const auto& [k, v] : m.headers) {
        headers = curl_slist_append(headers, ("X-Outbox-" + k + ": " + v).c_str());
      }
      curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(m.payload.size()));
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, m.payload.data());
      long status = 0;
      if (curl_easy_perform(curl) != CURLE_OK) state.SkipWithError("curl failed");
      curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
      if (status < 200 || status >= 300) state.SkipWithError("bad status");
      curl_slist_free_all(headers);
    }
  }
  curl_easy_cleanup(curl);
  state.SetItemsProcessed(state.iterations() * kBatch);
}

BENCHMARK(BM_Webhook_Publish)->UseRealTime();
BENCHMARK(BM_Webhook_PublishSigned)->UseRealTime();
BENCHMARK(BM_RawCurl_PostLoop)->UseRealTime();

}  // namespace

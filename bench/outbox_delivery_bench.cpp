// Outbox delivery on PostgreSQL to a local keep-alive webhook receiver: OutboxProcessor +
// mink::webhook beside a raw libpqxx + libcurl loop, and append -> delivered latency.
//
//   export MINK_TEST_DATABASE_URL=$(bash scripts/pg-up.sh)     # fsync on, TCP 127.0.0.1
//   build/bench/bench/mink_outbox_delivery_bench --benchmark_repetitions=3
//       --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only
//
// The receiver: an in-process cpp-httplib server on 127.0.0.1 (keep-alive, TCP_NODELAY) that
// answers 204 to every POST. It shares the two cores with the client and the server, equally
// for both sides.
//
// Throughput (items per second = messages delivered per second). Each iteration drains 1000
// pending messages (OrderPlaced JSON, three headers, destination "webhook:<receiver>"),
// scheduled untimed into a truncated table created by mink's DDL (same partial indexes for
// both sides), in batches of 100:
//   BM_OutboxDeliver_Processor  OutboxProcessor::ProcessBatch until it claims nothing: claim
//                               (UPDATE ... FROM (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING,
//                               one transaction), group, mink::webhook::Publisher (one POST per
//                               message through mink::http's pooled handle), MarkCompleted
//                               (one UPDATE, one transaction)
//   BM_OutboxDeliver_Raw        by hand, one connection: BEGIN; SELECT id, destination, payload,
//                               headers ... WHERE status = 0 AND scheduled_at <= now() ORDER BY
//                               scheduled_at, seq LIMIT 100 FOR UPDATE SKIP LOCKED; per row parse
//                               the headers and curl POST with one reused easy handle (same
//                               headers: Content-Type, X-Outbox-*), check 2xx; UPDATE ... SET
//                               status = 2, processed_at = now() WHERE id = ANY($1); COMMIT.
//                               It keeps the rows locked across the POSTs in one transaction
//                               (one commit per batch; mink commits the claim and the outcome
//                               separately so a claim survives a crash and is reclaimed)
// Latency: BM_OutboxLatency/notify:0|1 appends one event through EventStoreWithOutbox (route to
// the receiver) and waits until the receiver has it; the processor polls every second, so only
// its push wake-up is measured: notify:0 the appending adapter wakes it in-process; notify:1 it
// listens on another adapter of the same schema (LISTEN/NOTIFY, as another process would).
// Manual time = the mean; counters p50_ms, p99_ms.
#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "../tests/http/local_server.hpp"
#include "mink/mink.hpp"
#include "mink/outbox/event_store_with_outbox.hpp"
#include "mink/outbox/processor.hpp"
#include "mink/postgres/adapter.hpp"
#include "mink/postgres/outbox_store.hpp"
#include "mink/webhook/publisher.hpp"

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kMessages = 1000;
constexpr int kBatch = 100;

std::string Url() {
  for (const char* name : {"MINK_BENCH_DATABASE_URL", "MINK_TEST_DATABASE_URL"}) {
    if (const char* v = std::getenv(name)) return v;
  }
  return {};
}

// The receiver: counts deliveries; Wait(n) blocks until n have arrived.
class Receiver {
 public:
  Receiver() {
    server_->Post("/hook", [this](const httplib::Request&, httplib::Response& res) {
      {
        std::lock_guard lock(mutex_);
        ++received_;
      }
      cv_.notify_all();
      res.status = 204;
    });
    server_.Start();
  }
  std::string Url() const { return server_.Url("/hook"); }
  long Received() {
    std::lock_guard lock(mutex_);
    return received_;
  }
  bool Wait(long n, std::chrono::seconds timeout = std::chrono::seconds(30)) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return received_ >= n; });
  }

 private:
  mink::testing::LocalServer server_;
  std::mutex mutex_;
  std::condition_variable cv_;
  long received_ = 0;
};

Receiver& TheReceiver() {
  static auto* r = new Receiver();
  return *r;
}

std::shared_ptr<mink::postgres::OutboxStore> FreshOutbox(const std::string& schema) {
  {
    pqxx::connection c(Url());
    pqxx::nontransaction n(c);
    n.exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
  }
  auto o = std::make_shared<mink::postgres::OutboxStore>(
      mink::postgres::OutboxStoreOptions{.url = Url(), .schema = schema});
  o->Initialize(mink::Context{});
  return o;
}

// Empties the table and schedules kMessages pending messages (untimed).
void Refill(pqxx::connection& admin, mink::OutboxStore& store, const std::string& schema) {
  pqxx::nontransaction(admin).exec("TRUNCATE " + schema + ".mink_outbox");
  std::vector<mink::OutboxMessage> ms(kMessages);
  for (int i = 0; i < kMessages; ++i) {
    auto& m = ms[i];
    m.aggregate_id = "Order-" + std::to_string(i);
    m.event_type = "OrderPlaced";
    m.destination = "webhook:" + TheReceiver().Url();
    m.payload =
        R"({"order_id":")" + m.aggregate_id + R"(","sku":"SKU-0001","quantity":3,"price":12.5})";
    m.headers = {{"stream-id", m.aggregate_id},
                 {"event-type", m.event_type},
                 {"event-id", "0190f1e2-7c3a-7d4e-8f90-" + std::to_string(100000000000 + i)}};
  }
  store.Schedule(mink::Context{}, ms);
}

void BM_OutboxDeliver_Processor(benchmark::State& state) {
  if (Url().empty()) return state.SkipWithError("set MINK_TEST_DATABASE_URL");
  const std::string schema = "bench_outbox_deliver_mink";
  auto store = FreshOutbox(schema);
  pqxx::connection admin(Url());
  auto webhook = std::make_shared<mink::webhook::Publisher>(mink::webhook::PublisherOptions{
      .http_client = std::make_shared<mink::http::Client>(mink::http::ClientOptions{.proxy = ""})});
  mink::OutboxProcessor processor(store, {.batch_size = kBatch, .publishers = {webhook}});
  mink::Context ctx;
  for (auto _ : state) {
    Refill(admin, *store, schema);
    const long before = TheReceiver().Received();
    const auto start = Clock::now();
    while (processor.ProcessBatch(ctx) > 0) {
    }
    state.SetIterationTime(std::chrono::duration<double>(Clock::now() - start).count());
    if (TheReceiver().Received() - before != kMessages) state.SkipWithError("lost deliveries");
  }
  if (store->Count(ctx, mink::OutboxStatus::kCompleted) != kMessages) {
    state.SkipWithError("not all completed");
  }
  state.SetItemsProcessed(state.iterations() * kMessages);
}

std::size_t Discard(char*, std::size_t size, std::size_t n, void*) { return size * n; }

void BM_OutboxDeliver_Raw(benchmark::State& state) {
  if (Url().empty()) return state.SkipWithError("set MINK_TEST_DATABASE_URL");
  const std::string schema = "bench_outbox_deliver_raw";
  auto store = FreshOutbox(schema);  // the same table and indexes (mink's DDL)
  pqxx::connection admin(Url()), conn(Url());
  conn.prepare("claim", "SELECT id::text, destination, payload::text, headers::text FROM " +
                            schema +
                            ".mink_outbox WHERE status = 0 AND scheduled_at <= now() ORDER BY "
                            "scheduled_at, seq LIMIT " +
                            std::to_string(kBatch) + " FOR UPDATE SKIP LOCKED");
  conn.prepare("done", "UPDATE " + schema +
                           ".mink_outbox SET status = 2, processed_at = now() WHERE id = "
                           "ANY($1::uuid[])");
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_PROXY, "");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 30000L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Discard);
  long delivered = 0;
  for (auto _ : state) {
    Refill(admin, *store, schema);
    const auto start = Clock::now();
    for (;;) {
      pqxx::work tx(conn);
      const pqxx::result rows = tx.exec_prepared("claim");
      if (rows.empty()) break;
      std::string ids = "{";
      for (const auto& row : rows) {
        const std::string destination = row[1].as<std::string>();
        const std::string url = destination.substr(destination.find(':') + 1);
        const std::string payload = row[2].as<std::string>();
        curl_slist* headers = curl_slist_append(nullptr, "Expect:");
        headers = curl_slist_append(headers, "Content-Type: application/json");
        const auto outbox_headers = nlohmann::json::parse(row[3].as<std::string>());
        for (const auto& [k, v] : outbox_headers.items()) {
          headers =
              curl_slist_append(headers, ("X-Outbox-" + k + ": " + v.get<std::string>()).c_str());
        }
        curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(payload.size()));
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, payload.data());
        long status = 0;
        const bool sent = curl_easy_perform(curl) == CURLE_OK;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        curl_slist_free_all(headers);
        if (!sent || status < 200 || status >= 300) {
          state.SkipWithError("delivery failed");
          continue;
        }
        if (ids.size() > 1) ids += ',';
        ids += row[0].as<std::string>();
        ++delivered;
      }
      tx.exec_prepared("done", ids + "}");
      tx.commit();
    }
    state.SetIterationTime(std::chrono::duration<double>(Clock::now() - start).count());
  }
  curl_easy_cleanup(curl);
  if (delivered != state.iterations() * kMessages) state.SkipWithError("lost deliveries");
  state.SetItemsProcessed(state.iterations() * kMessages);
}

BENCHMARK(BM_OutboxDeliver_Processor)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_OutboxDeliver_Raw)->UseManualTime()->Unit(benchmark::kMillisecond);

struct OrderPlaced {
  static constexpr std::string_view kEventType = "OrderPlaced";
  std::string order_id;
  int quantity = 0;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(OrderPlaced, order_id, quantity)
};

std::shared_ptr<mink::postgres::Adapter> MakeAdapter(const std::string& schema) {
  auto a = std::make_shared<mink::postgres::Adapter>(
      mink::postgres::Options{.url = Url(), .schema = schema});
  a->Initialize(mink::Context{});
  return a;
}

void BM_OutboxLatency(benchmark::State& state) {
  if (Url().empty()) return state.SkipWithError("set MINK_TEST_DATABASE_URL");
  const bool notify = state.range(0) != 0;
  const std::string schema = "bench_outbox_latency";
  auto outbox = FreshOutbox(schema);
  auto writer = MakeAdapter(schema);
  auto listener = notify ? MakeAdapter(schema) : writer;
  auto events = std::make_shared<mink::EventStore>(writer);
  events->RegisterEvents<OrderPlaced>();
  mink::EventStoreWithOutbox store(events, outbox,
                                   {{.destination = "webhook:" + TheReceiver().Url()}});
  auto webhook = std::make_shared<mink::webhook::Publisher>(mink::webhook::PublisherOptions{
      .http_client = std::make_shared<mink::http::Client>(mink::http::ClientOptions{.proxy = ""})});
  mink::OutboxProcessor processor(
      outbox,
      {.poll_interval = std::chrono::seconds(1), .publishers = {webhook}, .wake_feed = listener});
  mink::Context ctx;
  processor.Start(ctx);
  std::vector<double> ms;
  long expected = TheReceiver().Received();
  int i = 0;
  for (auto _ : state) {
    const auto start = Clock::now();
    store.Append(ctx, "Order-" + std::to_string(++i), {mink::Event(OrderPlaced{"o", i})});
    if (!TheReceiver().Wait(++expected)) {
      state.SkipWithError("not delivered within 30 s");
      break;
    }
    const double s = std::chrono::duration<double>(Clock::now() - start).count();
    state.SetIterationTime(s);
    ms.push_back(s * 1000);
  }
  processor.Stop();
  if (ms.empty()) return;
  std::sort(ms.begin(), ms.end());
  state.counters["p50_ms"] = ms[ms.size() / 2];
  state.counters["p99_ms"] = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
}

BENCHMARK(BM_OutboxLatency)
    ->ArgName("notify")
    ->Arg(0)
    ->Arg(1)
    ->Iterations(300)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

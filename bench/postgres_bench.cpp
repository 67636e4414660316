// PostgreSQL adapter benchmarks, each beside a raw libpqxx twin doing the same durable work on
// an equivalent table (same server, same durability settings), no mink around it.
//
//   export MINK_TEST_DATABASE_URL=$(bash scripts/pg-up.sh)     # fsync on, TCP 127.0.0.1
//   build/release/bench/mink_postgres_bench --benchmark_min_time=2
//
// Raw append twin: an events table with the same columns and the same two indexes (PK on the
// position, taken from a sequence default; UNIQUE (stream_id, version), which is the raw side's
// optimistic-concurrency check), one autocommit prepared INSERT per append — one round trip and
// one WAL flush, like mink's append — a multi-row INSERT for a batch, one connection per writer
// thread. Raw load twin: the same SELECT with every column read into a struct; the typed-load
// twin parses the payload into the benchmark's event struct.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "mink/mink.hpp"
#include "mink/postgres/adapter.hpp"

namespace {

using mink::postgres::Adapter;

std::string Url() {
  for (const char* name : {"MINK_BENCH_DATABASE_URL", "MINK_TEST_DATABASE_URL"}) {
    if (const char* v = std::getenv(name)) return v;
  }
  return {};
}

constexpr const char* kMinkSchema = "bench_mink";  // the default Options (NotifyMode)
constexpr const char* kRawSchema = "bench_raw";
constexpr const char* kQuietSchema = "bench_mink_quiet";  // NotifyMode::kOff
constexpr const char* kInTxSchema = "bench_mink_intx";    // NotifyMode::kInTransaction
const std::string kPayload =
    R"({"order_id":"order-123456","sku":"SKU-0001","quantity":3,"price":12.5})";

std::shared_ptr<Adapter> Shared(
    const char* schema, mink::postgres::NotifyMode notify = mink::postgres::Options{}.notify) {
  static std::mutex m;
  static std::map<std::string, std::shared_ptr<Adapter>> adapters;
  std::lock_guard lock(m);
  auto& a = adapters[schema];
  if (!a) {
    {
      pqxx::connection c(Url());
      pqxx::nontransaction n(c);
      n.exec(std::string("DROP SCHEMA IF EXISTS ") + schema + " CASCADE");
    }
    a = std::make_shared<Adapter>(mink::postgres::Options{
        .url = Url(), .schema = schema, .max_connections = 16, .notify = notify});
    a->Initialize(mink::Context{});
  }
  return a;
}

std::vector<mink::EventRecord> Batch(int n) {
  return std::vector<mink::EventRecord>(static_cast<size_t>(n),
                                        mink::EventRecord{"ItemAdded", kPayload, {}});
}

// The raw twin's table: mink's event columns and its two indexes, nothing else.
void CreateRawSchema() {
  static std::once_flag once;
  std::call_once(once, [] {
    pqxx::connection c(Url());
    pqxx::nontransaction n(c);
    n.exec(std::string("DROP SCHEMA IF EXISTS ") + kRawSchema + " CASCADE");
    n.exec(std::string("CREATE SCHEMA ") + kRawSchema);
    n.exec(std::string("CREATE TABLE ") + kRawSchema +
           ".events (global_position BIGSERIAL PRIMARY KEY, stream_id TEXT NOT NULL, "
           "version BIGINT NOT NULL, event_id UUID NOT NULL DEFAULT gen_random_uuid(), "
           "event_type TEXT NOT NULL, data JSONB NOT NULL, metadata JSONB NOT NULL DEFAULT "
           "'{}'::jsonb, \"timestamp\" TIMESTAMPTZ NOT NULL DEFAULT now(), tx_id XID8 NOT NULL "
           "DEFAULT pg_current_xact_id(), UNIQUE (stream_id, version))");
  });
}

// A multi-row INSERT of `n` events: $1 stream, $2 version before the batch, then type, data
// and metadata of each event.
std::string RawInsert(int n) {
  std::string sql = std::string("INSERT INTO ") + kRawSchema +
                    ".events (stream_id, version, event_type, data, metadata) VALUES ";
  for (int i = 0; i < n; ++i) {
    const int p = 3 + 3 * i;
    sql += (i ? ", ($1, $2::bigint + " : "($1, $2::bigint + ") + std::to_string(i + 1) + ", $" +
           std::to_string(p) + ", $" + std::to_string(p + 1) + "::jsonb, $" +
           std::to_string(p + 2) + "::jsonb)";
  }
  return sql;
}

std::unique_ptr<pqxx::connection> RawConnection() {
  CreateRawSchema();
  auto c = std::make_unique<pqxx::connection>(Url());
  for (int n : {1, 10, 100}) c->prepare("ins" + std::to_string(n), RawInsert(n));
  c->prepare("load", std::string("SELECT global_position, event_id::text, stream_id, version, "
                                 "event_type, data::text, metadata::text, "
                                 "(extract(epoch FROM \"timestamp\") * 1000000)::bigint FROM ") +
                         kRawSchema +
                         ".events WHERE stream_id = $1 AND version > $2 ORDER BY version");
  return c;
}

std::string ThreadStream(const benchmark::State& state, const char* prefix) {
  static std::atomic<int> run{0};
  return std::string(prefix) + "-" + std::to_string(run++) + "-" +
         std::to_string(state.thread_index());
}

// ---- append ----

void BM_Append_Mink(benchmark::State& state) {
  if (Url().empty()) return state.SkipWithError("set MINK_TEST_DATABASE_URL");
  auto adapter = Shared(kMinkSchema);
  const int n = static_cast<int>(state.range(0));
  const std::string stream = ThreadStream(state, "Mink");
  mink::Context ctx;
  for (auto _ : state) adapter->Append(ctx, stream, Batch(n), mink::AnyVersion);
  state.SetItemsProcessed(state.iterations() * n);
}

void BM_Append_Raw(benchmark::State& state) {
  if (Url().empty()) return state.SkipWithError("set MINK_TEST_DATABASE_URL");
  auto conn = RawConnection();
  const int n = static_cast<int>(state.range(0));
  const std::string stream = ThreadStream(state, "Raw");
  const std::string statement = "ins" + std::to_string(n);
  int64_t version = 0;
  for (auto _ : state) {
    // Built per append, as a caller would (mink's append serialises its batch too).
    std::vector<std::string> params{stream, std::to_string(version)};
    for (int i = 0; i < n; ++i) {
      params.emplace_back("ItemAdded");
      params.push_back(kPayload);
      params.emplace_back("{}");
    }
    pqxx::nontransaction tx(*conn);
    tx.exec_prepared(statement, pqxx::prepare::make_dynamic_params(params));
    version += n;
  }
  state.SetItemsProcessed(state.iterations() * n);
}

// Mink without NOTIFY: shows what the wake-up costs under concurrent commits.
void BM_Append_MinkNoNotify(benchmark::State& state) {
  if (Url().empty()) return state.SkipWithError("set MINK_TEST_DATABASE_URL");
  auto adapter = Shared(kQuietSchema, mink::postgres::NotifyMode::kOff);
  const int n = static_cast<int>(state.range(0));
  const std::string stream = ThreadStream(state, "Quiet");
  mink::Context ctx;
  for (auto _ : state) adapter->Append(ctx, stream, Batch(n), mink::AnyVersion);
  state.SetItemsProcessed(state.iterations() * n);
}

// Mink with the NOTIFY inside the append transaction (commits serialise on the NOTIFY lock).
void BM_Append_MinkNotifyInTransaction(benchmark::State& state) {
  if (Url().empty()) return state.SkipWithError("set MINK_TEST_DATABASE_URL");
  auto adapter = Shared(kInTxSchema, mink::postgres::NotifyMode::kInTransaction);
  const int n = static_cast<int>(state.range(0));
  const std::string stream = ThreadStream(state, "InTx");
  mink::Context ctx;
  for (auto _ : state) adapter->Append(ctx, stream, Batch(n), mink::AnyVersion);
  state.SetItemsProcessed(state.iterations() * n);
}

BENCHMARK(BM_Append_Mink)->ArgName("batch")->Arg(1)->Arg(10)->Arg(100)->UseRealTime();
BENCHMARK(BM_Append_Raw)->ArgName("batch")->Arg(1)->Arg(10)->Arg(100)->UseRealTime();
BENCHMARK(BM_Append_Mink)->ArgName("batch")->Arg(1)->Arg(10)->Threads(8)->UseRealTime();
BENCHMARK(BM_Append_Raw)->ArgName("batch")->Arg(1)->Arg(10)->Threads(8)->UseRealTime();
BENCHMARK(BM_Append_MinkNoNotify)->ArgName("batch")->Arg(1)->Arg(10)->Threads(8)->UseRealTime();
BENCHMARK(BM_Append_MinkNotifyInTransaction)
    ->ArgName("batch")
    ->Arg(1)
    ->Arg(10)
    ->Threads(8)
    ->UseRealTime();
BENCHMARK(BM_Append_MinkNotifyInTransaction)->ArgName("batch")->Arg(1)->UseRealTime();

// ---- load ----

std::string Prefilled(const char* schema, int n) {
  const std::string stream = "Loaded-" + std::to_string(n);
  auto adapter = Shared(schema);
  if (adapter->Load(mink::Context{}, stream, 0).empty()) {
    for (int done = 0; done < n; done += 100) {
      adapter->Append(mink::Context{}, stream, Batch(std::min(100, n - done)), mink::AnyVersion);
    }
  }
  return stream;
}

void BM_Load_Mink(benchmark::State& state) {
  if (Url().empty()) return state.SkipWithError("set MINK_TEST_DATABASE_URL");
  const int n = static_cast<int>(state.range(0));
  const std::string stream = Prefilled(kMinkSchema, n);
  auto adapter = Shared(kMinkSchema);
  mink::Context ctx;
  for (auto _ : state) {
    auto events = adapter->Load(ctx, stream, 0);
    benchmark::DoNotOptimize(events);
  }
  state.SetItemsProcessed(state.iterations() * n);
}

struct RawEvent {
  uint64_t position;
  std::string id, stream, type, data, metadata;
  int64_t version, ts_us;
};

// The raw table's copy of a prefilled stream: the same rows, written with the raw INSERT.
std::string RawPrefilled(pqxx::connection& conn, int n) {
  const std::string stream = "Loaded-" + std::to_string(n);
  pqxx::nontransaction tx(conn);
  if (!tx.exec_prepared("load", stream, 0).empty()) return stream;
  for (int done = 0; done < n; done += 100) {
    const int k = std::min(100, n - done);
    std::vector<std::string> params{stream, std::to_string(done)};
    for (int i = 0; i < k; ++i) params.insert(params.end(), {"ItemAdded", kPayload, "{}"});
    tx.exec_prepared("ins" + std::to_string(k), pqxx::prepare::make_dynamic_params(params));
  }
  return stream;
}

void BM_Load_Raw(benchmark::State& state) {
  if (Url().empty()) return state.SkipWithError("set MINK_TEST_DATABASE_URL");
  const int n = static_cast<int>(state.range(0));
  auto conn = RawConnection();
  const std::string stream = RawPrefilled(*conn, n);
  for (auto _ : state) {
    pqxx::nontransaction tx(*conn);
    pqxx::result r = tx.exec_prepared("load", stream, 0);
    std::vector<RawEvent> events;
    events.reserve(r.size());
    for (const auto& row : r) {
      events.push_back(RawEvent{row[0].as<uint64_t>(), row[1].as<std::string>(),
                                row[2].as<std::string>(), row[4].as<std::string>(),
                                row[5].as<std::string>(), row[6].as<std::string>(),
                                row[3].as<int64_t>(), row[7].as<int64_t>()});
    }
    benchmark::DoNotOptimize(events);
  }
  state.SetItemsProcessed(state.iterations() * n);
}

BENCHMARK(BM_Load_Mink)->ArgName("events")->Arg(10)->Arg(100)->Arg(1000)->UseRealTime();
BENCHMARK(BM_Load_Raw)->ArgName("events")->Arg(10)->Arg(100)->Arg(1000)->UseRealTime();

// ---- typed load: EventStore vs SELECT + parse into the struct ----

struct ItemAdded {
  static constexpr std::string_view kEventType = "ItemAdded";
  std::string order_id, sku;
  int quantity = 0;
  double price = 0;
};

void from_json(const nlohmann::json& j, ItemAdded& e) {
  j.at("order_id").get_to(e.order_id);
  j.at("sku").get_to(e.sku);
  j.at("quantity").get_to(e.quantity);
  j.at("price").get_to(e.price);
}
void to_json(nlohmann::json& j, const ItemAdded& e) {
  j = nlohmann::json{
      {"order_id", e.order_id}, {"sku", e.sku}, {"quantity", e.quantity}, {"price", e.price}};
}

void BM_TypedLoad_Mink(benchmark::State& state) {
  if (Url().empty()) return state.SkipWithError("set MINK_TEST_DATABASE_URL");
  const int n = static_cast<int>(state.range(0));
  const std::string stream = Prefilled(kMinkSchema, n);
  mink::EventStore store(Shared(kMinkSchema));
  store.RegisterEvents<ItemAdded>();
  mink::Context ctx;
  for (auto _ : state) {
    std::vector<mink::Event> events = store.Load(ctx, stream);
    benchmark::DoNotOptimize(events.data());
  }
  state.SetItemsProcessed(state.iterations() * n);
}

// The raw twin keeps what a typed event carries: its envelope and the parsed payload.
struct RawTypedEvent {
  std::string id, type;
  int64_t version;
  uint64_t position;
  int64_t ts_us;
  ItemAdded payload;
};

void BM_TypedLoad_Raw(benchmark::State& state) {
  if (Url().empty()) return state.SkipWithError("set MINK_TEST_DATABASE_URL");
  const int n = static_cast<int>(state.range(0));
  auto conn = RawConnection();
  const std::string stream = RawPrefilled(*conn, n);
  for (auto _ : state) {
    pqxx::nontransaction tx(*conn);
    pqxx::result r = tx.exec_prepared("load", stream, 0);
    std::vector<RawTypedEvent> events;
    events.reserve(r.size());
    for (const auto& row : r) {
      events.push_back(RawTypedEvent{row[1].as<std::string>(), row[4].as<std::string>(),
                                     row[3].as<int64_t>(), row[0].as<uint64_t>(),
                                     row[7].as<int64_t>(),
                                     nlohmann::json::parse(row[5].c_str()).get<ItemAdded>()});
    }
    benchmark::DoNotOptimize(events.data());
  }
  state.SetItemsProcessed(state.iterations() * n);
}

BENCHMARK(BM_TypedLoad_Mink)->ArgName("events")->Arg(1000)->UseRealTime();
BENCHMARK(BM_TypedLoad_Raw)->ArgName("events")->Arg(1000)->UseRealTime();

// ---- append -> subscriber latency (LISTEN/NOTIFY wake-up) ----

void BM_AppendToSubscriberLatency(benchmark::State& state) {
  if (Url().empty()) return state.SkipWithError("set MINK_TEST_DATABASE_URL");
  auto adapter = Shared(kMinkSchema);
  mink::Context ctx;
  auto sub = adapter->SubscribeAll(ctx, adapter->GetLastPosition(ctx),
                                   {.poll_interval = std::chrono::seconds(10)});
  while (!adapter->Listening()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::vector<double> samples;
  const std::string stream = ThreadStream(state, "Latency");
  for (auto _ : state) {
    auto start = std::chrono::steady_clock::now();
    adapter->Append(ctx, stream, Batch(1), mink::AnyVersion);
    auto e = sub->Next(mink::Context{}.WithTimeout(std::chrono::seconds(30)));
    if (!e) return state.SkipWithError("subscriber timed out");
    std::chrono::duration<double> d = std::chrono::steady_clock::now() - start;
    state.SetIterationTime(d.count());
    samples.push_back(d.count() * 1e3);
  }
  std::sort(samples.begin(), samples.end());
  if (!samples.empty()) {
    state.counters["p50_ms"] = samples[samples.size() / 2];
    state.counters["p99_ms"] = samples[samples.size() * 99 / 100];
  }
}
BENCHMARK(BM_AppendToSubscriberLatency)->UseManualTime();

}  // namespace

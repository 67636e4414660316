// PostgreSQL adapter benchmarks, each beside a raw libpqxx baseline doing the same SQL work on
// an identical table (same DDL, same server, same durability settings), no mink around it.
//
//   export MINK_TEST_DATABASE_URL=$(bash scripts/pg-up.sh)
//   build/release/bench/mink_postgres_bench --benchmark_min_time=2
//
// Raw append baseline = BEGIN; one multi-row INSERT (unnest of the batch) into events; COMMIT.
// It does strictly less than mink's append (no expected-version check, no streams row, no
// NOTIFY), so mink/raw ratios are conservative. Raw load baseline = the same SELECT with every
// column read into a std::string / integer.
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
#include <pqxx/pqxx>

#include "mink/postgres/adapter.hpp"

namespace {

using mink::postgres::Adapter;

std::string Url() {
  for (const char* name : {"MINK_BENCH_DATABASE_URL", "MINK_TEST_DATABASE_URL"}) {
    if (const char* v = std::getenv(name)) return v;
  }
  return {};
}

constexpr const char* kMinkSchema = "bench_mink";
constexpr const char* kRawSchema = "bench_raw";
constexpr const char* kQuietSchema = "bench_mink_quiet";  // NotifyMode::kOff
constexpr const char* kAfterSchema = "bench_mink_after";  // NotifyMode::kAfterCommit
const std::string kPayload =
    R"({"order_id":"order-123456","sku":"SKU-0001","quantity":3,"price":12.5})";

std::shared_ptr<Adapter> Shared(const char* schema,
                                mink::postgres::NotifyMode notify = mink::postgres::NotifyMode{}) {
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

std::string ArrayOf(int n, const std::string& element) {
  std::string quoted = "\"";
  for (char c : element) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  quoted += '"';
  std::string out = "{";
  for (int i = 0; i < n; ++i) out += (i ? "," : "") + quoted;
  return out + "}";
}

std::unique_ptr<pqxx::connection> RawConnection() {
  auto c = std::make_unique<pqxx::connection>(Url());
  c->prepare("ins", std::string("INSERT INTO ") + kRawSchema +
                        ".events (stream_id, version, event_type, data, metadata) "
                        "SELECT $1, $2 + e.ord, e.t, e.d, e.m FROM unnest($3::text[], "
                        "$4::jsonb[], $5::jsonb[]) WITH ORDINALITY AS e(t, d, m, ord)");
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
  Shared(kRawSchema);
  auto conn = RawConnection();
  const int n = static_cast<int>(state.range(0));
  const std::string stream = ThreadStream(state, "Raw");
  const std::string types = ArrayOf(n, "ItemAdded"), data = ArrayOf(n, kPayload),
                    meta = ArrayOf(n, "{}");
  int64_t version = 0;
  for (auto _ : state) {
    pqxx::work w(*conn);
    w.exec_prepared("ins", stream, version, types, data, meta);
    w.commit();
    version += n;
  }
  state.SetItemsProcessed(state.iterations() * n);
}

// The same SQL work as BM_Append_Mink with no mink around it: the very statement the adapter
// sends (its server-side function: version check, stream row, positions, INSERT, NOTIFY),
// called through bare libpqxx with prebuilt arrays. mink / this = the library's own cost.
void BM_Append_RawSameWork(benchmark::State& state) {
  if (Url().empty()) return state.SkipWithError("set MINK_TEST_DATABASE_URL");
  Shared(kMinkSchema);  // creates the function and tables
  auto conn = RawConnection();
  conn->prepare("append", std::string("SELECT * FROM ") + kMinkSchema +
                              ".append_events($1, $2, -1, $3::text[], $4::jsonb[], $5::jsonb[], "
                              "true)");
  const int n = static_cast<int>(state.range(0));
  const std::string stream = ThreadStream(state, "RawSame");
  const std::string types = ArrayOf(n, "ItemAdded"), data = ArrayOf(n, kPayload),
                    meta = ArrayOf(n, "{}");
  for (auto _ : state) {
    pqxx::nontransaction tx(*conn);
    pqxx::result r = tx.exec_prepared("append", stream, "RawSame", types, data, meta);
    benchmark::DoNotOptimize(r);
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

// Mink with the NOTIFY sent right after the commit (commits stay concurrent).
void BM_Append_MinkNotifyAfterCommit(benchmark::State& state) {
  if (Url().empty()) return state.SkipWithError("set MINK_TEST_DATABASE_URL");
  auto adapter = Shared(kAfterSchema, mink::postgres::NotifyMode::kAfterCommit);
  const int n = static_cast<int>(state.range(0));
  const std::string stream = ThreadStream(state, "After");
  mink::Context ctx;
  for (auto _ : state) adapter->Append(ctx, stream, Batch(n), mink::AnyVersion);
  state.SetItemsProcessed(state.iterations() * n);
}

BENCHMARK(BM_Append_Mink)->ArgName("batch")->Arg(1)->Arg(10)->Arg(100)->UseRealTime();
BENCHMARK(BM_Append_Raw)->ArgName("batch")->Arg(1)->Arg(10)->Arg(100)->UseRealTime();
BENCHMARK(BM_Append_Mink)->ArgName("batch")->Arg(1)->Threads(8)->UseRealTime();
BENCHMARK(BM_Append_Raw)->ArgName("batch")->Arg(1)->Threads(8)->UseRealTime();
BENCHMARK(BM_Append_RawSameWork)->ArgName("batch")->Arg(1)->Arg(10)->Arg(100)->UseRealTime();
BENCHMARK(BM_Append_RawSameWork)->ArgName("batch")->Arg(1)->Threads(8)->UseRealTime();
BENCHMARK(BM_Append_MinkNoNotify)->ArgName("batch")->Arg(1)->Threads(8)->UseRealTime();
BENCHMARK(BM_Append_MinkNotifyAfterCommit)->ArgName("batch")->Arg(1)->Threads(8)->UseRealTime();
BENCHMARK(BM_Append_MinkNotifyAfterCommit)->ArgName("batch")->Arg(1)->UseRealTime();

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

void BM_Load_Raw(benchmark::State& state) {
  if (Url().empty()) return state.SkipWithError("set MINK_TEST_DATABASE_URL");
  const int n = static_cast<int>(state.range(0));
  const std::string stream = Prefilled(kRawSchema, n);  // same rows, written through mink
  auto conn = RawConnection();
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

// The PostgreSQL feed's catch-up cost: a category subscription over 1,000,000 stored events of
// which 0.1% match, beside a raw libpqxx baseline paging through the same rows by hand; and one
// idle poll while a long write transaction holds back xmin over an unsafe tail.
//
//   export MINK_TEST_DATABASE_URL=$(bash scripts/pg-up.sh)
//   build/release/bench/mink_postgres_feed_bench
//
// Setup (once per process, not timed): one bulk INSERT ... SELECT generate_series writes the
// rows straight into the adapter's events table (stream "Cat-<i>" for every 1000th row,
// "Other-<i>" otherwise). Raw baseline = one connection running
//   SELECT <the adapter's event columns> FROM events WHERE stream_id LIKE 'Cat-%'
//     AND global_position > $1 ORDER BY global_position LIMIT 256
// until a short page, every column read into a std::string / integer. It uses the same primary
// key index and does strictly less than the adapter (no gap-safety filter, no decoding into
// StoredEvent), so mink/raw ratios are conservative.
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>

#include <benchmark/benchmark.h>
#include <pqxx/pqxx>

#include "mink/postgres/adapter.hpp"

namespace {

using mink::postgres::Adapter;

constexpr int kEvents = 1'000'000;
constexpr int kEvery = 1000;  // one matching event per kEvery
constexpr int kTail = 200'000;

std::string Url() {
  for (const char* name : {"MINK_BENCH_DATABASE_URL", "MINK_TEST_DATABASE_URL"}) {
    if (const char* v = std::getenv(name)) return v;
  }
  return {};
}

// Writes rows `first`..`first + n - 1` in one statement (stream "<category>-<row>", version 1);
// every kEvery-th row belongs to category "Cat".
void BulkInsert(pqxx::transaction_base& tx, const std::string& schema, int n, int first = 1) {
  tx.exec("INSERT INTO " + schema +
          ".events (stream_id, version, event_type, data) "
          "SELECT CASE WHEN g % " +
          std::to_string(kEvery) +
          " = 0 THEN 'Cat-' ELSE 'Other-' END || g, 1, 'ItemAdded', "
          "'{\"order_id\":\"order-123456\",\"quantity\":3}'::jsonb "
          "FROM generate_series(" +
          std::to_string(first) + ", " + std::to_string(first + n - 1) + ") AS g");
}

std::shared_ptr<Adapter> Fresh(const std::string& schema) {
  {
    pqxx::connection c(Url());
    pqxx::nontransaction n(c);
    n.exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
  }
  auto a = std::make_shared<Adapter>(mink::postgres::Options{.url = Url(), .schema = schema});
  a->Initialize(mink::Context{});
  return a;
}

std::shared_ptr<Adapter> Filled() {
  static std::shared_ptr<Adapter> adapter = [] {
    auto a = Fresh("bench_feed");
    pqxx::connection c(Url());
    pqxx::work w(c);
    BulkInsert(w, "bench_feed", kEvents);
    w.commit();
    pqxx::nontransaction(c).exec("VACUUM ANALYZE bench_feed.events");
    return a;
  }();
  return adapter;
}

void BM_CategoryCatchUp_Mink(benchmark::State& state) {
  if (Url().empty()) return state.SkipWithError("set MINK_TEST_DATABASE_URL");
  auto adapter = Filled();
  for (auto _ : state) {
    mink::Context ctx;
    auto sub = adapter->SubscribeCategory(ctx, "Cat", 0, {});  // default poll interval, 100 ms
    for (int i = 0; i < kEvents / kEvery; ++i) {
      auto e = sub->Next(ctx.WithTimeout(std::chrono::seconds(120)));
      if (!e) return state.SkipWithError("subscription ended early");
      benchmark::DoNotOptimize(e->data.size());
    }
  }
  state.counters["events"] = kEvents / kEvery;
}
BENCHMARK(BM_CategoryCatchUp_Mink)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

void BM_CategoryCatchUp_Raw(benchmark::State& state) {
  if (Url().empty()) return state.SkipWithError("set MINK_TEST_DATABASE_URL");
  Filled();
  pqxx::connection c(Url());
  c.prepare("page",
            "SELECT global_position, event_id::text, stream_id, version, event_type, data::text, "
            "metadata::text, (extract(epoch FROM \"timestamp\") * 1000000)::bigint FROM "
            "bench_feed.events WHERE stream_id LIKE 'Cat-%' AND global_position > $1 "
            "ORDER BY global_position LIMIT 256");
  for (auto _ : state) {
    int64_t cursor = 0;
    int seen = 0;
    for (;;) {
      pqxx::nontransaction n(c);
      auto r = n.exec_prepared("page", cursor);
      for (const auto& row : r) {
        cursor = row[0].as<int64_t>();
        std::string id = row[1].as<std::string>(), stream = row[2].as<std::string>();
        std::string type = row[4].as<std::string>(), data = row[5].as<std::string>();
        std::string meta = row[6].as<std::string>();
        benchmark::DoNotOptimize(row[3].as<int64_t>() + row[7].as<int64_t>() + data.size());
        ++seen;
      }
      if (r.size() < 256) break;
    }
    if (seen != kEvents / kEvery) return state.SkipWithError("wrong count");
  }
  state.counters["events"] = kEvents / kEvery;
}
BENCHMARK(BM_CategoryCatchUp_Raw)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

// One caught-up poll (LoadFromPosition at the safe end) while a transaction that began before
// the last kTail rows were written stays open: those rows are committed but not yet safe.
void BM_IdlePollOverAnUnsafeTail(benchmark::State& state) {
  if (Url().empty()) return state.SkipWithError("set MINK_TEST_DATABASE_URL");
  auto adapter = Fresh("bench_feed_tail");
  pqxx::connection holder(Url()), writer(Url());
  {
    pqxx::work w(writer);
    BulkInsert(w, "bench_feed_tail", 1000);
    w.commit();
  }
  pqxx::work held(holder);
  held.exec("SELECT pg_current_xact_id()");  // an xid older than the tail's
  {
    pqxx::work w(writer);
    BulkInsert(w, "bench_feed_tail", kTail, 1001);
    w.commit();
  }
  pqxx::nontransaction(writer).exec("ANALYZE bench_feed_tail.events");
  mink::Context ctx;
  const uint64_t safe_end = 1000;
  for (auto _ : state) {
    auto page = adapter->LoadFromPosition(ctx, safe_end, 256);
    if (!page.empty()) return state.SkipWithError("an unsafe row was delivered");
  }
  held.abort();
}
BENCHMARK(BM_IdlePollOverAnUnsafeTail)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace

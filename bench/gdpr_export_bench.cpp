// GDPR export on PostgreSQL over 1,000,000 stored events of which 0.1% belong to the tenant
// being exported, beside raw libpqxx twins doing the same work by hand:
//
//   BM_ExportTenant_PushDown      DataExporter + FilterByTenantID (the filter runs in SQL)
//   BM_ExportTenant_Raw_Sql       one connection paging SELECT ... WHERE metadata->>'tenantId'
//                                 = $1 AND global_position > $2 ORDER BY global_position LIMIT
//                                 1000, each row's data parsed as JSON
//   BM_ExportTenant_ClientSide    DataExporter + the same test as a custom predicate (every
//                                 event crosses the wire and is filtered on the client)
//   BM_ExportTenant_Raw_Client    raw paging through every row, metadata parsed and compared
//   BM_ExportTenant_PushDownIndexed / _Raw_SqlIndexed: the same two after CreateExportIndexes
//   BM_ExportStreams100 / _Raw    100 streams of 100 events by stream (LoadRaw) vs 100 raw
//                                 SELECT ... WHERE stream_id = $1 ORDER BY version
//   BM_ExportStreamAll_Memory     ExportStream over all 1,000,000 events; reports the growth
//                                 of the process's peak RSS (it stays one batch wide)
//
//   export MINK_TEST_DATABASE_URL=$(bash scripts/pg-up.sh)
//   build/bench/bench/mink_gdpr_export_bench
//
// Setup (not timed): one INSERT ... SELECT generate_series into the adapter's events table.
#include <sys/resource.h>

#include <cstdlib>
#include <memory>
#include <string>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "mink/es/event_store.hpp"
#include "mink/gdpr/exporter.hpp"
#include "mink/postgres/adapter.hpp"

namespace {

using mink::postgres::Adapter;

constexpr int kEvents = 1'000'000;
constexpr int kEvery = 1000;  // one event of the rare tenant per kEvery
constexpr int kStreams = 100;
constexpr int kPerStream = 100;
const char* const kSchema = "bench_export";

std::string Url() {
  for (const char* name : {"MINK_BENCH_DATABASE_URL", "MINK_TEST_DATABASE_URL"}) {
    if (const char* v = std::getenv(name)) return v;
  }
  return {};
}

struct Fixture {
  std::shared_ptr<Adapter> adapter;
  std::unique_ptr<mink::EventStore> store;
};

Fixture& Filled() {
  static Fixture f = [] {
    {
      pqxx::connection c(Url());
      pqxx::nontransaction(c).exec(std::string("DROP SCHEMA IF EXISTS ") + kSchema + " CASCADE");
    }
    Fixture fx;
    fx.adapter =
        std::make_shared<Adapter>(mink::postgres::Options{.url = Url(), .schema = kSchema});
    fx.adapter->Initialize(mink::Context{});
    pqxx::connection c(Url());
    pqxx::work w(c);
    w.exec(std::string("INSERT INTO ") + kSchema +
           ".events (stream_id, version, event_type, data, metadata) "
           "SELECT 'Other-' || g, 1, 'CustomerUpdated', "
           "'{\"customer_id\":\"c-123456\",\"city\":\"Lisbon\"}'::jsonb, "
           "CASE WHEN g % " +
           std::to_string(kEvery) +
           " = 0 THEN '{\"tenantId\":\"t-rare\"}' ELSE '{\"tenantId\":\"t-common\"}' END::jsonb "
           "FROM generate_series(1, " +
           std::to_string(kEvents) + ") AS g");
    w.exec(std::string("INSERT INTO ") + kSchema +
           ".events (stream_id, version, event_type, data, metadata) "
           "SELECT 'Customer-' || s, v, 'CustomerUpdated', "
           "'{\"customer_id\":\"c-123456\",\"city\":\"Lisbon\"}'::jsonb, "
           "'{\"tenantId\":\"t-streams\"}'::jsonb FROM generate_series(1, " +
           std::to_string(kStreams) + ") AS s, generate_series(1, " + std::to_string(kPerStream) +
           ") AS v ORDER BY s, v");
    w.commit();
    pqxx::nontransaction(c).exec(std::string("VACUUM ANALYZE ") + kSchema + ".events");
    fx.store = std::make_unique<mink::EventStore>(fx.adapter);
    return fx;
  }();
  return f;
}

long PeakRssKiB() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

// Registered first so the peak RSS it reports is its own.
void BM_ExportStreamAll_Memory(benchmark::State& state) {
  if (Url().empty()) return state.SkipWithError("set MINK_TEST_DATABASE_URL");
  Fixture& f = Filled();
  const long before = PeakRssKiB();
  std::size_t n = 0;
  for (auto _ : state) {
    mink::DataExporter exporter(*f.store);
    n = 0;
    exporter.ExportStream(
        mink::Context{},
        {.subject_id = "all", .filter = [](const mink::StoredEvent&) { return true; }},
        [&](const mink::Context&, const mink::ExportedEvent& e) {
          benchmark::DoNotOptimize(e.raw_data.size());
          ++n;
        });
  }
  state.counters["events"] = static_cast<double>(n);
  state.counters["peak_rss_growth_MiB"] = static_cast<double>(PeakRssKiB() - before) / 1024.0;
}
BENCHMARK(BM_ExportStreamAll_Memory)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

std::size_t ExportTenant(mink::ExportFilter filter) {
  mink::DataExporter exporter(*Filled().store);
  std::size_t n = 0;
  exporter.ExportStream(mink::Context{}, {.subject_id = "t-rare", .filter = std::move(filter)},
                        [&](const mink::Context&, const mink::ExportedEvent& e) {
                          benchmark::DoNotOptimize(e.data.size());
                          ++n;
                        });
  return n;
}

void PushDown(benchmark::State& state) {
  if (Url().empty()) return state.SkipWithError("set MINK_TEST_DATABASE_URL");
  Filled();
  for (auto _ : state) {
    if (ExportTenant(mink::FilterByTenantID("t-rare")) != kEvents / kEvery) {
      return state.SkipWithError("wrong count");
    }
  }
  state.counters["events"] = kEvents / kEvery;
}

void RawSql(benchmark::State& state) {
  if (Url().empty()) return state.SkipWithError("set MINK_TEST_DATABASE_URL");
  Filled();
  pqxx::connection c(Url());
  c.prepare("page", std::string("SELECT global_position, stream_id, version, event_type, "
                                "data::text, metadata::text, \"timestamp\"::text FROM ") +
                        kSchema +
                        ".events WHERE metadata->>'tenantId' = $1 AND global_position > $2 "
                        "ORDER BY global_position LIMIT 1000");
  for (auto _ : state) {
    int64_t cursor = 0;
    std::size_t seen = 0;
    for (;;) {
      pqxx::nontransaction n(c);
      auto r = n.exec_prepared("page", "t-rare", cursor);
      for (const auto& row : r) {
        cursor = row[0].as<int64_t>();
        auto data = nlohmann::json::parse(row[4].c_str());
        auto meta = nlohmann::json::parse(row[5].c_str());
        std::string tenant = meta.value("tenantId", "");
        benchmark::DoNotOptimize(data.size() + row[1].size() + row[3].size() + tenant.size() +
                                 row[6].size() + row[2].as<int64_t>());
        ++seen;
      }
      if (r.size() < 1000) break;
    }
    if (seen != kEvents / kEvery) return state.SkipWithError("wrong count");
  }
  state.counters["events"] = kEvents / kEvery;
}

void BM_ExportTenant_PushDown(benchmark::State& state) { PushDown(state); }
BENCHMARK(BM_ExportTenant_PushDown)->Unit(benchmark::kMillisecond)->Iterations(5)->UseRealTime();
void BM_ExportTenant_Raw_Sql(benchmark::State& state) { RawSql(state); }
BENCHMARK(BM_ExportTenant_Raw_Sql)->Unit(benchmark::kMillisecond)->Iterations(5)->UseRealTime();

void BM_ExportTenant_ClientSide(benchmark::State& state) {
  if (Url().empty()) return state.SkipWithError("set MINK_TEST_DATABASE_URL");
  Filled();
  for (auto _ : state) {
    auto n =
        ExportTenant([](const mink::StoredEvent& e) { return e.metadata.tenant_id == "t-rare"; });
    if (n != kEvents / kEvery) return state.SkipWithError("wrong count");
  }
  state.counters["events"] = kEvents / kEvery;
}
BENCHMARK(BM_ExportTenant_ClientSide)->Unit(benchmark::kMillisecond)->Iterations(2)->UseRealTime();

void BM_ExportTenant_Raw_Client(benchmark::State& state) {
  if (Url().empty()) return state.SkipWithError("set MINK_TEST_DATABASE_URL");
  Filled();
  pqxx::connection c(Url());
  c.prepare("page", std::string("SELECT global_position, stream_id, version, event_type, "
                                "data::text, metadata::text, \"timestamp\"::text FROM ") +
                        kSchema +
                        ".events WHERE global_position > $1 "
                        "ORDER BY global_position LIMIT 1000");
  for (auto _ : state) {
    int64_t cursor = 0;
    std::size_t seen = 0;
    for (;;) {
      pqxx::nontransaction n(c);
      auto r = n.exec_prepared("page", cursor);
      for (const auto& row : r) {
        cursor = row[0].as<int64_t>();
        auto meta = nlohmann::json::parse(row[5].c_str());
        auto t = meta.find("tenantId");
        if (t == meta.end() || *t != "t-rare") continue;
        auto data = nlohmann::json::parse(row[4].c_str());
        benchmark::DoNotOptimize(data.size() + row[1].size() + row[3].size() + row[6].size() +
                                 row[2].as<int64_t>());
        ++seen;
      }
      if (r.size() < 1000) break;
    }
    if (seen != kEvents / kEvery) return state.SkipWithError("wrong count");
  }
  state.counters["events"] = kEvents / kEvery;
}
BENCHMARK(BM_ExportTenant_Raw_Client)->Unit(benchmark::kMillisecond)->Iterations(2)->UseRealTime();

void BM_ExportTenant_PushDownIndexed(benchmark::State& state) {
  if (Url().empty()) return state.SkipWithError("set MINK_TEST_DATABASE_URL");
  Filled().adapter->CreateExportIndexes(mink::Context{});
  PushDown(state);
}
BENCHMARK(BM_ExportTenant_PushDownIndexed)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(5)
    ->UseRealTime();
void BM_ExportTenant_Raw_SqlIndexed(benchmark::State& state) { RawSql(state); }
BENCHMARK(BM_ExportTenant_Raw_SqlIndexed)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(5)
    ->UseRealTime();

void BM_ExportStreams100(benchmark::State& state) {
  if (Url().empty()) return state.SkipWithError("set MINK_TEST_DATABASE_URL");
  Fixture& f = Filled();
  mink::ExportRequest request{.subject_id = "streams"};
  for (int s = 1; s <= kStreams; ++s) request.streams.push_back("Customer-" + std::to_string(s));
  mink::DataExporter exporter(*f.store);
  for (auto _ : state) {
    std::size_t n = 0;
    exporter.ExportStream(mink::Context{}, request,
                          [&](const mink::Context&, const mink::ExportedEvent& e) {
                            benchmark::DoNotOptimize(e.data.size());
                            ++n;
                          });
    if (n != kStreams * kPerStream) return state.SkipWithError("wrong count");
  }
  state.counters["events"] = kStreams * kPerStream;
}
BENCHMARK(BM_ExportStreams100)->Unit(benchmark::kMillisecond)->Iterations(10)->UseRealTime();

void BM_ExportStreams100_Raw(benchmark::State& state) {
  if (Url().empty()) return state.SkipWithError("set MINK_TEST_DATABASE_URL");
  Filled();
  pqxx::connection c(Url());
  c.prepare("load", std::string("SELECT global_position, stream_id, version, event_type, "
                                "data::text, metadata::text, \"timestamp\"::text FROM ") +
                        kSchema + ".events WHERE stream_id = $1 ORDER BY version");
  for (auto _ : state) {
    std::size_t n = 0;
    for (int s = 1; s <= kStreams; ++s) {
      pqxx::nontransaction tx(c);
      for (const auto& row : tx.exec_prepared("load", "Customer-" + std::to_string(s))) {
        // The same work the export does per row: the data as JSON, and the IDs it exports
        // from the metadata.
        auto data = nlohmann::json::parse(row[4].c_str());
        auto meta = nlohmann::json::parse(row[5].c_str());
        std::string tenant = meta.value("tenantId", ""), corr = meta.value("correlationId", "");
        benchmark::DoNotOptimize(data.size() + row[1].size() + row[3].size() + tenant.size() +
                                 corr.size() + row[6].size() + row[0].as<int64_t>() +
                                 row[2].as<int64_t>());
        ++n;
      }
    }
    if (n != kStreams * kPerStream) return state.SkipWithError("wrong count");
  }
  state.counters["events"] = kStreams * kPerStream;
}
BENCHMARK(BM_ExportStreams100_Raw)->Unit(benchmark::kMillisecond)->Iterations(10)->UseRealTime();

}  // namespace

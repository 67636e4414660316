// EventStoreWithOutbox::Append beside the plain EventStore::Append on PostgreSQL, and a raw
// libpqxx twin writing the same events and outbox rows by hand, in the same binary.
//
//   export MINK_TEST_DATABASE_URL=$(bash scripts/pg-up.sh)     # fsync on, TCP 127.0.0.1
//   build/bench/bench/mink_outbox_append_bench --benchmark_repetitions=3
//       --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only
//
// Each iteration appends 1 or 10 OrderPlaced events to the benchmark's stream (AnyVersion):
//   BM_OutboxAppend_Plain       EventStore::Append on mink::postgres::Adapter (no outbox)
//   BM_OutboxAppend_WithOutbox  EventStoreWithOutbox::Append, one route matching every event
//                               ("webhook:<url>"): the events and one outbox message per event
//                               in one SQL transaction (BEGIN, append, message INSERT, COMMIT)
//   BM_OutboxAppend_Raw         the same durable work by hand: one autocommit statement per
//                               append, WITH e AS (INSERT INTO events ... RETURNING) INSERT INTO
//                               outbox SELECT ... FROM e, on an events table with mink's columns
//                               and its two indexes and an outbox table created by mink's own
//                               DDL (same partial indexes); headers built in SQL with
//                               jsonb_build_object, IDs and times from column defaults
// The goal (issue 13): WithOutbox >= 0.8x Plain. One connection, one thread.
#include <atomic>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "mink/mink.hpp"
#include "mink/outbox/event_store_with_outbox.hpp"
#include "mink/postgres/adapter.hpp"
#include "mink/postgres/outbox_store.hpp"

namespace {

struct OrderPlaced {
  static constexpr std::string_view kEventType = "OrderPlaced";
  std::string order_id;
  std::string sku;
  int quantity = 0;
  double price = 0;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(OrderPlaced, order_id, sku, quantity, price)
};
const OrderPlaced kEvent{"order-123456", "SKU-0001", 3, 12.5};
const std::string kDestination = "webhook:http://127.0.0.1:9/hook";

std::string Url() {
  for (const char* name : {"MINK_BENCH_DATABASE_URL", "MINK_TEST_DATABASE_URL"}) {
    if (const char* v = std::getenv(name)) return v;
  }
  return {};
}

void DropSchema(const std::string& schema) {
  pqxx::connection c(Url());
  pqxx::nontransaction n(c);
  n.exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
}

std::shared_ptr<mink::postgres::Adapter> Adapter(const std::string& schema) {
  DropSchema(schema);
  auto a = std::make_shared<mink::postgres::Adapter>(
      mink::postgres::Options{.url = Url(), .schema = schema});
  a->Initialize(mink::Context{});
  return a;
}

std::shared_ptr<mink::postgres::OutboxStore> Outbox(const std::string& schema) {
  auto o = std::make_shared<mink::postgres::OutboxStore>(
      mink::postgres::OutboxStoreOptions{.url = Url(), .schema = schema});
  o->Initialize(mink::Context{});
  return o;
}

std::string Stream(const char* prefix) {
  static std::atomic<int> run{0};
  return std::string(prefix) + "-" + std::to_string(run++);
}

std::vector<mink::Event> Events(int n) {
  return std::vector<mink::Event>(static_cast<std::size_t>(n), mink::Event(kEvent));
}

void BM_OutboxAppend_Plain(benchmark::State& state) {
  if (Url().empty()) return state.SkipWithError("set MINK_TEST_DATABASE_URL");
  const int n = static_cast<int>(state.range(0));
  mink::EventStore store(Adapter("bench_outbox_plain"));
  store.RegisterEvents<OrderPlaced>();
  const auto events = Events(n);
  const std::string stream = Stream("Plain");
  mink::Context ctx;
  for (auto _ : state) store.Append(ctx, stream, std::span<const mink::Event>(events));
  state.SetItemsProcessed(state.iterations() * n);
}

void BM_OutboxAppend_WithOutbox(benchmark::State& state) {
  if (Url().empty()) return state.SkipWithError("set MINK_TEST_DATABASE_URL");
  const int n = static_cast<int>(state.range(0));
  const std::string schema = "bench_outbox_mink";
  auto events_store = std::make_shared<mink::EventStore>(Adapter(schema));
  events_store->RegisterEvents<OrderPlaced>();
  mink::EventStoreWithOutbox store(events_store, Outbox(schema), {{.destination = kDestination}});
  const auto events = Events(n);
  const std::string stream = Stream("Mink");
  mink::Context ctx;
  for (auto _ : state) store.Append(ctx, stream, std::span<const mink::Event>(events));
  state.SetItemsProcessed(state.iterations() * n);
}

// The raw side's tables (recreated per run): the outbox table and its indexes by mink's own
// DDL; an events table with mink's event columns and its two indexes.
void RawTables() {
  DropSchema("bench_outbox_raw");
  Outbox("bench_outbox_raw");
  pqxx::connection conn(Url());
  pqxx::nontransaction ddl(conn);
  ddl.exec(
      "CREATE TABLE bench_outbox_raw.events (global_position BIGSERIAL PRIMARY KEY, "
      "stream_id TEXT NOT NULL, version BIGINT NOT NULL, event_id UUID NOT NULL DEFAULT "
      "gen_random_uuid(), event_type TEXT NOT NULL, data JSONB NOT NULL, metadata JSONB NOT "
      "NULL DEFAULT '{}'::jsonb, \"timestamp\" TIMESTAMPTZ NOT NULL DEFAULT now(), tx_id XID8 "
      "NOT NULL DEFAULT pg_current_xact_id(), UNIQUE (stream_id, version))");
}

// $1 stream, $2 version before the append, then the type, data and metadata of each event.
std::string RawStatement(int n) {
  std::string sql =
      "WITH e AS (INSERT INTO bench_outbox_raw.events (stream_id, version, event_type, data, "
      "metadata) VALUES ";
  for (int i = 0; i < n; ++i) {
    const int p = 3 + 3 * i;
    sql += (i ? ", ($1, $2::bigint + " : "($1, $2::bigint + ") + std::to_string(i + 1) + ", $" +
           std::to_string(p) + ", $" + std::to_string(p + 1) + "::jsonb, $" +
           std::to_string(p + 2) + "::jsonb)";
  }
  sql +=
      " RETURNING event_id, event_type, data, version) "
      "INSERT INTO bench_outbox_raw.mink_outbox (aggregate_id, event_type, destination, "
      "payload, headers) SELECT $1, e.event_type, '" +
      kDestination +
      "', e.data, jsonb_build_object('stream-id', $1::text, 'event-type', e.event_type, "
      "'event-id', e.event_id::text) FROM e ORDER BY e.version";
  return sql;
}

void BM_OutboxAppend_Raw(benchmark::State& state) {
  if (Url().empty()) return state.SkipWithError("set MINK_TEST_DATABASE_URL");
  const int n = static_cast<int>(state.range(0));
  RawTables();
  pqxx::connection conn(Url());
  conn.prepare("append", RawStatement(n));
  const std::string stream = Stream("Raw");
  int64_t version = 0;
  for (auto _ : state) {
    std::vector<std::string> params{stream, std::to_string(version)};
    for (int i = 0; i < n; ++i) {
      params.emplace_back(OrderPlaced::kEventType);
      params.push_back(nlohmann::json(kEvent).dump());  // serialised per append, as mink does
      params.emplace_back("{}");
    }
    pqxx::nontransaction tx(conn);
    tx.exec_prepared("append", pqxx::prepare::make_dynamic_params(params));
    version += n;
  }
  state.SetItemsProcessed(state.iterations() * n);
}

// `s` as a quoted element of a PostgreSQL array literal.
std::string ArrayElement(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + '"';
}

// Not a baseline — a diagnostic of the transaction's shape: the same rows by hand in mink's
// protocol shape, BEGIN; INSERT events (prepared); INSERT outbox (prepared, unnest of arrays
// built client-side); COMMIT — four round trips and one WAL flush, as EventStoreWithOutbox.
void BM_OutboxAppend_RawFourRoundTrips(benchmark::State& state) {
  if (Url().empty()) return state.SkipWithError("set MINK_TEST_DATABASE_URL");
  const int n = static_cast<int>(state.range(0));
  RawTables();
  pqxx::connection conn(Url());
  std::string events_sql =
      "INSERT INTO bench_outbox_raw.events (stream_id, version, event_type, data, metadata) "
      "VALUES ";
  for (int i = 0; i < n; ++i) {
    const int p = 3 + 3 * i;
    events_sql += (i ? ", ($1, $2::bigint + " : "($1, $2::bigint + ") + std::to_string(i + 1) +
                  ", $" + std::to_string(p) + ", $" + std::to_string(p + 1) + "::jsonb, $" +
                  std::to_string(p + 2) + "::jsonb)";
  }
  conn.prepare("events", events_sql + " RETURNING event_id::text");
  conn.prepare("outbox",
               "INSERT INTO bench_outbox_raw.mink_outbox (aggregate_id, event_type, destination, "
               "payload, headers) SELECT $1, u.typ, $2, u.payload::jsonb, u.headers::jsonb FROM "
               "unnest($3::text[], $4::text[], $5::text[]) AS u(typ, payload, headers)");
  const std::string stream = Stream("RawTx");
  int64_t version = 0;
  for (auto _ : state) {
    const std::string data = nlohmann::json(kEvent).dump();
    std::vector<std::string> params{stream, std::to_string(version)};
    for (int i = 0; i < n; ++i) {
      params.emplace_back(OrderPlaced::kEventType);
      params.push_back(data);
      params.emplace_back("{}");
    }
    pqxx::work tx(conn);
    const pqxx::result ids = tx.exec_prepared("events", pqxx::prepare::make_dynamic_params(params));
    std::string types = "{", payloads = "{", headers = "{";
    for (int i = 0; i < n; ++i) {
      if (i > 0) types += ',', payloads += ',', headers += ',';
      types += OrderPlaced::kEventType;
      payloads += ArrayElement(data);
      headers += ArrayElement(nlohmann::json{{"stream-id", stream},
                                             {"event-type", OrderPlaced::kEventType},
                                             {"event-id", ids[i][0].as<std::string>()}}
                                  .dump());
    }
    tx.exec_prepared("outbox", stream, kDestination, types + "}", payloads + "}", headers + "}");
    tx.commit();
    version += n;
  }
  state.SetItemsProcessed(state.iterations() * n);
}

BENCHMARK(BM_OutboxAppend_Plain)->ArgName("events")->Arg(1)->Arg(10)->UseRealTime();
BENCHMARK(BM_OutboxAppend_WithOutbox)->ArgName("events")->Arg(1)->Arg(10)->UseRealTime();
BENCHMARK(BM_OutboxAppend_Raw)->ArgName("events")->Arg(1)->Arg(10)->UseRealTime();
BENCHMARK(BM_OutboxAppend_RawFourRoundTrips)->ArgName("events")->Arg(1)->Arg(10)->UseRealTime();

}  // namespace

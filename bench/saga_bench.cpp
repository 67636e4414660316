// Saga throughput and latency (issue 12): a SagaManager following the event store's feed, beside
// a raw hand-written twin in the same binary, on memory and on PostgreSQL; and append -> first
// command latency with the manager running. See docs/benchmarks.md, "Sagas".
//
//   export MINK_TEST_DATABASE_URL=$(PGROOT=/tmp/pg-x PGPORT=54399 bash scripts/pg-up.sh)
//   build/bench/bench/mink_saga_bench --benchmark_repetitions=3
//
// Workload (saga_bench_types.hpp): kSagas sagas x 4 events (OrderPlaced, PaymentReceived,
// ItemsReserved, OrderShipped on stream "Order-<id>"), each event dispatching one command to a
// handler that only counts; the 4th completes the saga. The events are appended before the
// timed part (fresh order IDs per iteration); the timed part starts the manager from a
// checkpoint just before them and ends when the last saga reported completion (a SagaMetrics
// condition variable, no polling). items/s = events handled.
//
// Raw twins (the cheapest fair way to do the same durable work by hand, one connection):
//   PostgreSQL: page the events table (SELECT ... WHERE global_position > $1 ORDER BY
//     global_position LIMIT 256, no gap-safety filter), and per event: one autocommit SELECT
//     of the saga row by primary key, JSON parse, processed-event check, update, a plain
//     function call as the command, then ONE autocommit statement that upserts the row with
//     the version check (INSERT ... ON CONFLICT (id) DO UPDATE ... WHERE version = $v) and, in
//     a data-modifying CTE, the checkpoint -- atomically, as mink's SaveWithCheckpoint. Same
//     table shape and indexes (created by a SagaStore's Initialize, outside the timing).
//   Memory: a loop over a std::vector<StoredEvent> updating a std::unordered_map<std::string,
//     nlohmann::json> -- a lower bound (no store, no locks, no bus), not a fair twin.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <benchmark/benchmark.h>
#include <pqxx/pqxx>

#include "mink/memory/adapter.hpp"
#include "mink/memory/saga_store.hpp"
#include "mink/postgres/adapter.hpp"
#include "mink/postgres/saga_store.hpp"
#include "mink/saga/saga_manager.hpp"
#include "saga_bench_types.hpp"

namespace {

using namespace sagabench;
using Clock = std::chrono::steady_clock;

constexpr int kSagas = 200;
constexpr int kEvents = kSagas * kEventsPerSaga;
constexpr auto kWaitLimit = std::chrono::seconds(300);
const std::string kSchema = "bench_saga";

std::string Url() {
  for (const char* name : {"MINK_BENCH_DATABASE_URL", "MINK_TEST_DATABASE_URL"}) {
    if (const char* v = std::getenv(name)) return v;
  }
  return {};
}

// Unique order IDs across iterations and benchmarks of one process.
std::string NextOrderId() {
  static int64_t next = 0;
  static const std::string run =
      std::to_string(std::chrono::system_clock::now().time_since_epoch().count() % 1000000007);
  return run + "-" + std::to_string(++next);
}

struct Env {
  std::shared_ptr<mink::EventStore> events;
  std::shared_ptr<mink::SagaStore> sagas;
};

Env MemoryEnv() {
  Env env;
  env.events = std::make_shared<mink::EventStore>(std::make_shared<mink::memory::Adapter>());
  env.sagas = std::make_shared<mink::memory::SagaStore>();
  RegisterEvents(*env.events);
  return env;
}

// One schema per process, dropped and made afresh on first use.
Env PostgresEnv() {
  static Env env = [] {
    {
      pqxx::connection c(Url());
      pqxx::nontransaction(c).exec("DROP SCHEMA IF EXISTS " + kSchema + " CASCADE");
    }
    Env e;
    auto adapter = std::make_shared<mink::postgres::Adapter>(
        mink::postgres::Options{.url = Url(), .schema = kSchema});
    adapter->Initialize(mink::Context{});
    auto sagas = std::make_shared<mink::postgres::SagaStore>(
        mink::postgres::SagaStoreOptions{.url = Url(), .schema = kSchema});
    sagas->Initialize(mink::Context{});
    // The raw twin's table: the same columns and indexes, made by the same DDL.
    mink::postgres::SagaStore(
        mink::postgres::SagaStoreOptions{.url = Url(), .schema = kSchema, .table = "raw_sagas"})
        .Initialize(mink::Context{});
    e.events = std::make_shared<mink::EventStore>(adapter);
    e.sagas = sagas;
    RegisterEvents(*e.events);
    return e;
  }();
  return env;
}

// Appends kSagas sagas' events; returns the position just before the first.
uint64_t AppendWorkload(mink::EventStore& events) {
  uint64_t from = 0;
  for (int i = 0; i < kSagas; ++i) {
    const std::string id = NextOrderId();
    auto r = events.Append(mink::Context{}, "Order-" + id, SagaEvents(id));
    if (i == 0) from = r.first_position - 1;
  }
  return from;
}

std::unique_ptr<mink::SagaManager> MakeManager(const Env& env,
                                               std::shared_ptr<mink::CommandBus> bus,
                                               std::shared_ptr<CountingMetrics> metrics,
                                               std::string checkpoint) {
  mink::SagaManagerOptions o;
  o.metrics = std::move(metrics);
  o.checkpoint_name = std::move(checkpoint);
  o.retry_delay = std::chrono::milliseconds(1);
  auto m = std::make_unique<mink::SagaManager>(env.sagas, env.events, std::move(bus), o);
  m->RegisterSimple(std::string(kSagaType),
                    [](const std::string& id) { return std::make_unique<BenchSaga>(id); },
                    {"BenchOrderPlaced"});
  return m;
}

// ---- throughput: the manager ----

// Stores `n` completed sagas of other orders (the history a long-running service has).
void Prefill(mink::SagaStore& sagas, int n) {
  for (int i = 0; i < n; ++i) {
    BenchSaga saga(std::string(kSagaType) + "-Order-old" + std::to_string(i));
    saga.SetCorrelationID("Order-old" + std::to_string(i));
    saga.order_id = "old" + std::to_string(i);
    saga.paid = saga.reserved = saga.shipped = true;
    saga.Complete();
    mink::SagaState s = mink::SagaToState(saga);
    sagas.Save(mink::Context{}, s);
  }
}

// One timed run of the manager over a fresh workload in `env`; false when it did not finish.
bool TimeManager(benchmark::State& state, const Env& env,
                 const std::shared_ptr<mink::CommandBus>& bus) {
  static int round = 0;
  const uint64_t from = AppendWorkload(*env.events);
  const std::string checkpoint = "bench-" + NextOrderId() + "-" + std::to_string(++round);
  env.sagas->SaveCheckpoint(mink::Context{}, checkpoint, from);
  auto metrics = std::make_shared<CountingMetrics>();
  auto manager = MakeManager(env, bus, metrics, checkpoint);
  const auto t0 = Clock::now();
  auto running = manager->StartAsync(mink::Context{});
  const bool done = metrics->WaitCompleted(kSagas, kWaitLimit);
  const auto t1 = Clock::now();
  manager->Stop();
  running.get();
  if (!done) {
    state.SkipWithError("the sagas did not all complete");
    return false;
  }
  state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
  return true;
}

// A fresh memory store per iteration holding state.range(0) completed sagas beforehand.
void BM_SagaThroughput_Memory_Mink(benchmark::State& state) {
  auto probe = std::make_shared<Probe>();
  auto bus = std::make_shared<mink::CommandBus>();
  RegisterHandlers(*bus, probe);
  for (auto _ : state) {
    state.PauseTiming();
    Env env = MemoryEnv();
    Prefill(*env.sagas, static_cast<int>(state.range(0)));
    state.ResumeTiming();
    if (!TimeManager(state, env, bus)) return;
  }
  state.SetItemsProcessed(state.iterations() * kEvents);
  state.counters["commands"] = static_cast<double>(probe->commands.load());
}
BENCHMARK(BM_SagaThroughput_Memory_Mink)
    ->ArgName("stored")
    ->Arg(0)
    ->Arg(2000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(5)
    ->UseManualTime();

void BM_SagaThroughput_Postgres_Mink(benchmark::State& state) {
  if (Url().empty()) return state.SkipWithError("set MINK_TEST_DATABASE_URL");
  Env env = PostgresEnv();
  auto probe = std::make_shared<Probe>();
  auto bus = std::make_shared<mink::CommandBus>();
  RegisterHandlers(*bus, probe);
  for (auto _ : state) {
    if (!TimeManager(state, env, bus)) return;
  }
  state.SetItemsProcessed(state.iterations() * kEvents);
  state.counters["commands"] = static_cast<double>(probe->commands.load());
}
BENCHMARK(BM_SagaThroughput_Postgres_Mink)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(2)
    ->UseManualTime();

// ---- throughput: the raw twins ----

// The twin's saga logic: the same transitions as BenchSaga, on a JSON document.
struct RawCommandSink {
  int64_t commands = 0;
  void Dispatch(const std::string& type, const std::string& order_id) {
    benchmark::DoNotOptimize(type.data());
    benchmark::DoNotOptimize(order_id.data());
    ++commands;
  }
};

// Applies one event to `doc` ({"data", "processed", "steps", "status", "step"}); false when the
// event was already processed or the saga is done.
bool ApplyRaw(nlohmann::json& doc, const std::string& type, const std::string& event_json,
              const std::string& key, RawCommandSink& sink) {
  if (doc.is_null()) doc = nlohmann::json::object();
  if (doc.value("status", 0) == 2) return false;
  auto& processed = doc["processed"];
  if (!processed.is_array()) processed = nlohmann::json::array();
  if (std::find(processed.begin(), processed.end(), key) != processed.end()) return false;
  const nlohmann::json e = nlohmann::json::parse(event_json);
  auto& data = doc["data"];
  std::string command;
  if (type == "BenchOrderPlaced") {
    data["order_id"] = e.at("order_id");
    command = "BenchCharge";
  } else if (type == "BenchPaymentReceived") {
    data["paid"] = true;
    command = "BenchReserve";
  } else if (type == "BenchItemsReserved") {
    data["reserved"] = true;
    command = "BenchShip";
  } else if (type == "BenchOrderShipped") {
    data["shipped"] = true;
    command = "BenchNotify";
  } else {
    return false;
  }
  sink.Dispatch(command, data.value("order_id", std::string()));
  const int step = doc.value("step", 0);
  auto& steps = doc["steps"];
  if (!steps.is_array()) steps = nlohmann::json::array();
  steps.push_back({{"name", command},
                   {"index", step},
                   {"status", 1},
                   {"command", command},
                   {"completedAt", "2026-11-29T00:00:00.000000Z"}});
  doc["step"] = step + 1;
  doc["status"] = type == "BenchOrderShipped" ? 2 : 1;
  processed.push_back(key);
  return true;
}

void BM_SagaThroughput_Memory_Raw(benchmark::State& state) {
  Env env = MemoryEnv();
  RawCommandSink sink;
  for (auto _ : state) {
    const uint64_t from = AppendWorkload(*env.events);
    const std::vector<mink::StoredEvent> feed =
        env.events->LoadEventsFromPosition(mink::Context{}, from, kEvents);
    std::unordered_map<std::string, nlohmann::json> sagas;
    uint64_t checkpoint = from;
    const auto t0 = Clock::now();
    for (const auto& ev : feed) {
      nlohmann::json& doc = sagas[std::string(kSagaType) + "-" + ev.stream_id];
      ApplyRaw(doc, ev.type, ev.data, ev.id + ":" + std::to_string(ev.global_position), sink);
      checkpoint = ev.global_position;
    }
    const auto t1 = Clock::now();
    benchmark::DoNotOptimize(checkpoint);
    if (sagas.size() != static_cast<std::size_t>(kSagas))
      return state.SkipWithError("wrong saga count");
    state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
  }
  state.SetItemsProcessed(state.iterations() * kEvents);
  state.counters["commands"] = static_cast<double>(sink.commands);
}
BENCHMARK(BM_SagaThroughput_Memory_Raw)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(5)
    ->UseManualTime();

void BM_SagaThroughput_Postgres_Raw(benchmark::State& state) {
  if (Url().empty()) return state.SkipWithError("set MINK_TEST_DATABASE_URL");
  Env env = PostgresEnv();
  pqxx::connection c(Url());
  const std::string t = kSchema + ".raw_sagas";
  c.prepare("feed",
            "SELECT global_position, event_id::text, stream_id, event_type, data::text FROM " +
                kSchema + ".events WHERE global_position > $1 ORDER BY global_position LIMIT 256");
  c.prepare("load",
            "SELECT data::text, processed_events::text, steps::text, status, "
            "current_step, version FROM " +
                t + " WHERE id = $1");
  c.prepare("save",
            "WITH s AS (INSERT INTO " + t +
                " AS r (id, type, correlation_id, status, current_step, data, processed_events, "
                "steps, started_at, updated_at, completed_at, version) VALUES ($1, $2, $3, $4, "
                "$5, $6::jsonb, $7::jsonb, $8::jsonb, NOW(), NOW(), CASE WHEN $4 = 2 THEN NOW() "
                "END, 1) ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, current_step "
                "= EXCLUDED.current_step, data = EXCLUDED.data, processed_events = "
                "EXCLUDED.processed_events, steps = EXCLUDED.steps, updated_at = NOW(), "
                "completed_at = EXCLUDED.completed_at, version = r.version + 1 WHERE r.version "
                "= $9 RETURNING r.version), c AS (INSERT INTO " +
                t +
                "_checkpoints (name, position, updated_at) SELECT $10, $11, NOW() FROM s ON "
                "CONFLICT (name) DO UPDATE SET position = EXCLUDED.position, updated_at = "
                "NOW()) SELECT version FROM s");
  RawCommandSink sink;
  int round = 0;
  for (auto _ : state) {
    const uint64_t from = AppendWorkload(*env.events);
    const std::string checkpoint = "raw-" + NextOrderId() + "-" + std::to_string(++round);
    const auto t0 = Clock::now();
    int64_t cursor = static_cast<int64_t>(from);
    int handled = 0;
    while (handled < kEvents) {
      pqxx::result page = pqxx::nontransaction(c).exec_prepared("feed", cursor);
      if (page.empty()) return state.SkipWithError("feed ended early");
      for (const auto& row : page) {
        cursor = row[0].as<int64_t>();
        const std::string event_id = row[1].as<std::string>();
        const std::string stream = row[2].as<std::string>();
        const std::string type = row[3].as<std::string>();
        const std::string saga_id = std::string(kSagaType) + "-" + stream;
        nlohmann::json doc = nlohmann::json::object();
        int64_t version = 0;
        pqxx::result r = pqxx::nontransaction(c).exec_prepared("load", saga_id);
        if (!r.empty()) {
          doc["data"] = nlohmann::json::parse(r[0][0].as<std::string>());
          doc["processed"] = nlohmann::json::parse(r[0][1].as<std::string>());
          doc["steps"] = nlohmann::json::parse(r[0][2].as<std::string>());
          doc["status"] = r[0][3].as<int>();
          doc["step"] = r[0][4].as<int>();
          version = r[0][5].as<int64_t>();
        }
        if (ApplyRaw(doc, type, row[4].as<std::string>(), event_id + ":" + std::to_string(cursor),
                     sink)) {
          pqxx::result saved = pqxx::nontransaction(c).exec_prepared(
              "save", saga_id, std::string(kSagaType), stream, doc["status"].get<int>(),
              doc["step"].get<int>(), doc["data"].dump(), doc["processed"].dump(),
              doc["steps"].dump(), version, checkpoint, cursor);
          if (saved.empty()) return state.SkipWithError("version conflict");
        }
        ++handled;
      }
    }
    const auto t1 = Clock::now();
    state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
  }
  state.SetItemsProcessed(state.iterations() * kEvents);
  state.counters["commands"] = static_cast<double>(sink.commands);
}
BENCHMARK(BM_SagaThroughput_Postgres_Raw)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(2)
    ->UseManualTime();

// ---- latency: append -> first command, manager running ----

constexpr int kLatencySamples = 300;

void RunLatency(benchmark::State& state, const Env& env) {
  auto probe = std::make_shared<Probe>();
  auto bus = std::make_shared<mink::CommandBus>();
  RegisterHandlers(*bus, probe);
  auto metrics = std::make_shared<CountingMetrics>();
  const std::string checkpoint = "latency-" + NextOrderId();
  env.sagas->SaveCheckpoint(mink::Context{}, checkpoint,
                            env.events->GetLastPosition(mink::Context{}));
  auto manager = MakeManager(env, bus, metrics, checkpoint);
  auto running = manager->StartAsync(mink::Context{});
  std::vector<double> samples_ms;
  std::vector<double> append_ms;  // how long the Append call itself took (its commit)
  std::vector<double> after_ms;   // from the Append's return to the command (the wake-up path)
  int64_t started = 0;
  for (auto _ : state) {
    const std::string id = NextOrderId();
    const auto t0 = Clock::now();
    env.events->Append(mink::Context{}, "Order-" + id, {BenchOrderPlaced{id}});
    const auto appended = Clock::now();
    append_ms.push_back(std::chrono::duration<double, std::milli>(appended - t0).count());
    // The saga's save follows the command; waiting for it keeps samples independent.
    if (!metrics->WaitStarted(++started, std::chrono::seconds(30))) {
      state.SkipWithError("the saga did not start");
      break;
    }
    const Clock::time_point t1{Clock::duration(probe->first_command_ns.load())};
    const double seconds = std::chrono::duration<double>(t1 - t0).count();
    samples_ms.push_back(seconds * 1000);
    after_ms.push_back(
        std::max(0.0, std::chrono::duration<double, std::milli>(t1 - appended).count()));
    state.SetIterationTime(seconds);
  }
  manager->Stop();
  running.get();
  if (samples_ms.empty()) return;
  auto at = [](std::vector<double>& v, double q) {
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
  };
  state.counters["p50_ms"] = at(samples_ms, 0.50);
  state.counters["p99_ms"] = at(samples_ms, 0.99);
  state.counters["max_ms"] = samples_ms.back();
  state.counters["append_p50_ms"] = at(append_ms, 0.50);
  state.counters["after_append_p50_ms"] = at(after_ms, 0.50);
  state.counters["after_append_p99_ms"] = at(after_ms, 0.99);
}

void BM_SagaFirstCommandLatency_Memory(benchmark::State& state) { RunLatency(state, MemoryEnv()); }
BENCHMARK(BM_SagaFirstCommandLatency_Memory)
    ->Unit(benchmark::kMicrosecond)
    ->Iterations(kLatencySamples)
    ->UseManualTime();

void BM_SagaFirstCommandLatency_Postgres(benchmark::State& state) {
  if (Url().empty()) return state.SkipWithError("set MINK_TEST_DATABASE_URL");
  RunLatency(state, PostgresEnv());
}
BENCHMARK(BM_SagaFirstCommandLatency_Postgres)
    ->Unit(benchmark::kMicrosecond)
    ->Iterations(kLatencySamples)
    ->UseManualTime();

}  // namespace

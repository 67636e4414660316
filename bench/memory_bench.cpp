// bench/memory_bench.cpp — the in-memory adapter and the EventStore, each beside a raw baseline.
//
// Every mink benchmark has a raw twin in this binary that does the same work with no library:
//   BM_Adapter_*  mink::memory::Adapter with prebuilt EventRecords, against
//   BM_Raw_*      the same records copied into / out of a mutex-guarded std::vector.
//   BM_Store_*    mink::EventStore with typed events (serialize on append, parse + decode on
//                 load), against
//   BM_RawJson_*  nlohmann json(payload).dump() + push into a mutex-guarded std::vector, and
//                 copy out + json::parse + from_json for load.
// The record is go-mink's small benchmark event:
//   OrderCreated {"orderId":"order-123","customerId":"cust-456","total":99.99}.
//
// Append benchmarks write each append to a fresh stream (AnyVersion; *AppendOneStream writes to
// one stream instead) and start over with an empty store every kEventsPerStore events (outside
// the timed region), so the store never grows without bound and every iteration does the same
// work. Concurrent writers share one fresh store per run. docs/benchmarks.md has the figures and
// the commands that reproduce them.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include <mink/memory/adapter.hpp>
#include <mink/mink.hpp>

namespace {

struct OrderCreated {
  static constexpr std::string_view kEventType = "OrderCreated";
  std::string order_id;
  std::string customer_id;
  double total = 0;
};

void to_json(nlohmann::json& j, const OrderCreated& e) {
  j = nlohmann::json{{"orderId", e.order_id}, {"customerId", e.customer_id}, {"total", e.total}};
}

void from_json(const nlohmann::json& j, OrderCreated& e) {
  j.at("orderId").get_to(e.order_id);
  j.at("customerId").get_to(e.customer_id);
  j.at("total").get_to(e.total);
}

const OrderCreated kPayload{"order-123", "cust-456", 99.99};

const mink::EventRecord& SmallRecord() {
  static const mink::EventRecord record{
      "OrderCreated", R"({"orderId":"order-123","customerId":"cust-456","total":99.99})", {}};
  return record;
}

// A store is replaced by an empty one after this many events.
constexpr std::size_t kEventsPerStore = std::size_t{1} << 14;

// Fresh stream IDs, one per append, prebuilt so that formatting them is not measured.
const std::vector<std::string>& StreamIDs() {
  static const std::vector<std::string> ids = [] {
    std::vector<std::string> out;
    out.reserve(kEventsPerStore);
    for (std::size_t i = 0; i < kEventsPerStore; ++i) out.push_back("Order-" + std::to_string(i));
    return out;
  }();
  return ids;
}

// The raw baseline's store: a std::vector behind a mutex.
template <class T>
class RawLog {
 public:
  void Push(std::vector<T> items) {
    std::lock_guard lock(mutex_);
    for (T& item : items) items_.push_back(std::move(item));
  }

  std::vector<T> CopyAll() const {
    std::lock_guard lock(mutex_);
    return items_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<T> items_;
};

// Calls `reset` outside the timed region whenever the next `batch_size` events would take the
// current store past kEventsPerStore. Returns the index of a stream not used since the reset.
class StoreCycle {
 public:
  explicit StoreCycle(std::size_t batch_size) : batch_size_(batch_size) {}

  template <class Reset>
  std::size_t Next(benchmark::State& state, Reset&& reset) {
    if (events_ + batch_size_ > kEventsPerStore) {
      state.PauseTiming();
      reset();
      events_ = 0;
      streams_ = 0;
      state.ResumeTiming();
    }
    events_ += batch_size_;
    return streams_++;
  }

 private:
  std::size_t batch_size_;
  std::size_t events_ = 0;
  std::size_t streams_ = 0;
};

std::unique_ptr<mink::EventStore> NewStore() {
  auto store = std::make_unique<mink::EventStore>(std::make_shared<mink::memory::Adapter>());
  store->RegisterEvents<OrderCreated>();
  return store;
}

std::vector<mink::EventRecord> SerializeRaw(const std::vector<OrderCreated>& payloads) {
  std::vector<mink::EventRecord> records;
  records.reserve(payloads.size());
  for (const OrderCreated& p : payloads) {
    records.push_back(
        mink::EventRecord{std::string(OrderCreated::kEventType), nlohmann::json(p).dump(), {}});
  }
  return records;
}

std::vector<OrderCreated> DecodeRaw(const std::vector<mink::StoredEvent>& stored) {
  std::vector<OrderCreated> out;
  out.reserve(stored.size());
  for (const mink::StoredEvent& s : stored) {
    out.push_back(nlohmann::json::parse(s.data).get<OrderCreated>());
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Adapter level: mink::memory::Adapter vs a mutex-guarded std::vector<EventRecord>.
// ---------------------------------------------------------------------------------------------

void BM_Adapter_Append(benchmark::State& state) {
  const auto batch_size = static_cast<std::size_t>(state.range(0));
  const std::vector<mink::EventRecord> batch(batch_size, SmallRecord());
  const auto& streams = StreamIDs();
  const mink::Context ctx;
  auto adapter = std::make_shared<mink::memory::Adapter>();
  StoreCycle cycle(batch_size);
  for (auto _ : state) {
    const std::size_t s =
        cycle.Next(state, [&] { adapter = std::make_shared<mink::memory::Adapter>(); });
    mink::AppendResult result = adapter->Append(ctx, streams[s], batch, mink::AnyVersion);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// Single events to one stream (AnyVersion): the same work without a new stream per append.
// Its raw twin is BM_Raw_Append/1.
void BM_Adapter_AppendOneStream(benchmark::State& state) {
  const std::vector<mink::EventRecord> batch{SmallRecord()};
  const std::string& stream = StreamIDs().front();
  const mink::Context ctx;
  auto adapter = std::make_shared<mink::memory::Adapter>();
  StoreCycle cycle(1);
  for (auto _ : state) {
    cycle.Next(state, [&] { adapter = std::make_shared<mink::memory::Adapter>(); });
    mink::AppendResult result = adapter->Append(ctx, stream, batch, mink::AnyVersion);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Raw_Append(benchmark::State& state) {
  const auto batch_size = static_cast<std::size_t>(state.range(0));
  const std::vector<mink::EventRecord> batch(batch_size, SmallRecord());
  auto log = std::make_unique<RawLog<mink::EventRecord>>();
  StoreCycle cycle(batch_size);
  for (auto _ : state) {
    cycle.Next(state, [&] { log = std::make_unique<RawLog<mink::EventRecord>>(); });
    log->Push(batch);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_Adapter_Load(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const mink::Context ctx;
  mink::memory::Adapter adapter;
  adapter.Append(ctx, "Order-1", std::vector<mink::EventRecord>(n, SmallRecord()), mink::NoStream);
  for (auto _ : state) {
    std::vector<mink::StoredEvent> events = adapter.Load(ctx, "Order-1", 0);
    benchmark::DoNotOptimize(events.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_Raw_Load(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const mink::Context ctx;
  // The very events the adapter holds, so both sides copy the same bytes.
  mink::memory::Adapter adapter;
  adapter.Append(ctx, "Order-1", std::vector<mink::EventRecord>(n, SmallRecord()), mink::NoStream);
  RawLog<mink::StoredEvent> log;
  log.Push(adapter.Load(ctx, "Order-1", 0));
  for (auto _ : state) {
    std::vector<mink::StoredEvent> events = log.CopyAll();
    benchmark::DoNotOptimize(events.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// Concurrent writers share one store for the whole run (a fresh one per run); each thread
// appends single events to its own stream.
std::shared_ptr<mink::memory::Adapter> shared_adapter;
std::unique_ptr<RawLog<mink::EventRecord>> shared_raw_log;

void BM_Adapter_ConcurrentAppend(benchmark::State& state) {
  const std::string stream = "Order-writer" + std::to_string(state.thread_index());
  const std::vector<mink::EventRecord> batch{SmallRecord()};
  const mink::Context ctx;
  for (auto _ : state) {
    mink::AppendResult result = shared_adapter->Append(ctx, stream, batch, mink::AnyVersion);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Raw_ConcurrentAppend(benchmark::State& state) {
  const std::vector<mink::EventRecord> batch{SmallRecord()};
  for (auto _ : state) {
    shared_raw_log->Push(batch);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}

// ---------------------------------------------------------------------------------------------
// EventStore level: typed events through mink::EventStore vs nlohmann + the same vector.
// ---------------------------------------------------------------------------------------------

void BM_Store_Append(benchmark::State& state) {
  const auto batch_size = static_cast<std::size_t>(state.range(0));
  const std::vector<mink::Event> events(batch_size, mink::Event(kPayload));
  const auto& streams = StreamIDs();
  const mink::Context ctx;
  auto store = NewStore();
  StoreCycle cycle(batch_size);
  for (auto _ : state) {
    const std::size_t s = cycle.Next(state, [&] { store = NewStore(); });
    mink::AppendResult result = store->Append(ctx, streams[s], events, mink::AnyVersion);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// Its raw twin is BM_RawJson_Append/1.
void BM_Store_AppendOneStream(benchmark::State& state) {
  const std::vector<mink::Event> events{mink::Event(kPayload)};
  const std::string& stream = StreamIDs().front();
  const mink::Context ctx;
  auto store = NewStore();
  StoreCycle cycle(1);
  for (auto _ : state) {
    cycle.Next(state, [&] { store = NewStore(); });
    mink::AppendResult result = store->Append(ctx, stream, events, mink::AnyVersion);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_RawJson_Append(benchmark::State& state) {
  const auto batch_size = static_cast<std::size_t>(state.range(0));
  const std::vector<OrderCreated> payloads(batch_size, kPayload);
  auto log = std::make_unique<RawLog<mink::EventRecord>>();
  StoreCycle cycle(batch_size);
  for (auto _ : state) {
    cycle.Next(state, [&] { log = std::make_unique<RawLog<mink::EventRecord>>(); });
    log->Push(SerializeRaw(payloads));
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_Store_Load(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const mink::Context ctx;
  auto store = NewStore();
  store->Append(ctx, "Order-1", std::vector<mink::Event>(n, mink::Event(kPayload)), mink::NoStream);
  for (auto _ : state) {
    std::vector<mink::Event> events = store->Load(ctx, "Order-1");
    benchmark::DoNotOptimize(events.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_RawJson_Load(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const mink::Context ctx;
  auto store = NewStore();
  store->Append(ctx, "Order-1", std::vector<mink::Event>(n, mink::Event(kPayload)), mink::NoStream);
  RawLog<mink::StoredEvent> log;
  log.Push(store->LoadRaw(ctx, "Order-1", 0));
  for (auto _ : state) {
    std::vector<OrderCreated> events = DecodeRaw(log.CopyAll());
    benchmark::DoNotOptimize(events.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

std::unique_ptr<mink::EventStore> shared_store;

void BM_Store_ConcurrentAppend(benchmark::State& state) {
  const std::string stream = "Order-writer" + std::to_string(state.thread_index());
  const std::vector<mink::Event> events{mink::Event(kPayload)};
  const mink::Context ctx;
  for (auto _ : state) {
    mink::AppendResult result = shared_store->Append(ctx, stream, events, mink::AnyVersion);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_RawJson_ConcurrentAppend(benchmark::State& state) {
  const std::vector<OrderCreated> payloads{kPayload};
  for (auto _ : state) {
    shared_raw_log->Push(SerializeRaw(payloads));
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}

// One fresh shared store per run (Setup runs before the threads start, Teardown after).
void SetUpShared(const benchmark::State&) {
  shared_adapter = std::make_shared<mink::memory::Adapter>();
  shared_store = NewStore();
  shared_raw_log = std::make_unique<RawLog<mink::EventRecord>>();
}

void TearDownShared(const benchmark::State&) {
  shared_adapter.reset();
  shared_store.reset();
  shared_raw_log.reset();
}

constexpr int kWriters = 8;

BENCHMARK(BM_Adapter_Append)->Arg(1)->Arg(10)->Arg(100);
BENCHMARK(BM_Adapter_AppendOneStream);
BENCHMARK(BM_Raw_Append)->Arg(1)->Arg(10)->Arg(100);
BENCHMARK(BM_Adapter_Load)->Arg(10)->Arg(100)->Arg(1000);
BENCHMARK(BM_Raw_Load)->Arg(10)->Arg(100)->Arg(1000);
BENCHMARK(BM_Adapter_ConcurrentAppend)
    ->Threads(kWriters)
    ->UseRealTime()
    ->Setup(SetUpShared)
    ->Teardown(TearDownShared);
BENCHMARK(BM_Raw_ConcurrentAppend)
    ->Threads(kWriters)
    ->UseRealTime()
    ->Setup(SetUpShared)
    ->Teardown(TearDownShared);

BENCHMARK(BM_Store_Append)->Arg(1)->Arg(10)->Arg(100);
BENCHMARK(BM_Store_AppendOneStream);
BENCHMARK(BM_RawJson_Append)->Arg(1)->Arg(10)->Arg(100);
BENCHMARK(BM_Store_Load)->Arg(10)->Arg(100)->Arg(1000);
BENCHMARK(BM_RawJson_Load)->Arg(10)->Arg(100)->Arg(1000);
BENCHMARK(BM_Store_ConcurrentAppend)
    ->Threads(kWriters)
    ->UseRealTime()
    ->Setup(SetUpShared)
    ->Teardown(TearDownShared);
BENCHMARK(BM_RawJson_ConcurrentAppend)
    ->Threads(kWriters)
    ->UseRealTime()
    ->Setup(SetUpShared)
    ->Teardown(TearDownShared);

}  // namespace

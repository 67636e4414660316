// A SagaManager on the memory adapter with the order saga's command handlers, for the manager
// tests: every handler records the commands it ran; `fail` makes a command type fail.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "mink/cqrs/command_bus.hpp"
#include "mink/cqrs/handler.hpp"
#include "mink/es/event_store.hpp"
#include "mink/memory/adapter.hpp"
#include "mink/memory/saga_store.hpp"
#include "mink/saga/saga_manager.hpp"
#include "saga/order_saga.hpp"

namespace mink::sagatest {

// A SagaStore decorator that can fail saves (to simulate a crash between dispatch and save,
// or conflicts).
class FlakySagaStore : public SagaStore {
 public:
  explicit FlakySagaStore(std::shared_ptr<SagaStore> inner) : inner_(std::move(inner)) {}

  int fail_saves = 0;        // the next N saves throw
  bool as_conflict = false;  // ... a ConcurrencyError instead of kConnectionFailed
  int saves = 0;

  void Save(const Context& ctx, SagaState& s) override {
    MaybeFail(s);
    inner_->Save(ctx, s);
  }
  SagaState Load(const Context& ctx, std::string_view id) override { return inner_->Load(ctx, id); }
  SagaState FindByCorrelationID(const Context& ctx, std::string_view c,
                                std::string_view t) override {
    return inner_->FindByCorrelationID(ctx, c, t);
  }
  std::vector<SagaState> FindByType(const Context& ctx, std::string_view t,
                                    const std::vector<SagaStatus>& st,
                                    std::vector<CorruptSagaStateError>* bad) override {
    return inner_->FindByType(ctx, t, st, bad);
  }
  void Delete(const Context& ctx, std::string_view id) override { inner_->Delete(ctx, id); }
  void Close() override { inner_->Close(); }
  std::optional<uint64_t> LoadCheckpoint(const Context& ctx, std::string_view n) override {
    return inner_->LoadCheckpoint(ctx, n);
  }
  void SaveCheckpoint(const Context& ctx, std::string_view n, uint64_t p) override {
    inner_->SaveCheckpoint(ctx, n, p);
  }
  void SaveWithCheckpoint(const Context& ctx, SagaState& s, std::string_view n,
                          uint64_t p) override {
    MaybeFail(s);
    inner_->SaveWithCheckpoint(ctx, s, n, p);
  }

 private:
  void MaybeFail(const SagaState& s) {
    std::lock_guard lock(mutex_);
    ++saves;
    if (fail_saves > 0) {
      --fail_saves;
      if (as_conflict) throw ConcurrencyError(s.id, s.version, s.version + 1);
      throw Error(errc::kConnectionFailed, "simulated crash before the save");
    }
  }
  std::shared_ptr<SagaStore> inner_;
  std::mutex mutex_;
};

struct SagaFixture {
  explicit SagaFixture(SagaManagerOptions options = Defaults(),
                       std::shared_ptr<SagaStore> store = nullptr,
                       std::shared_ptr<EventStoreAdapter> event_adapter = nullptr)
      : adapter(event_adapter ? event_adapter : std::make_shared<memory::Adapter>()),
        events(std::make_shared<EventStore>(adapter)),
        bus(std::make_shared<CommandBus>()),
        memory_store(std::make_shared<memory::SagaStore>()),
        store_used(store ? store : memory_store),
        flaky(std::make_shared<FlakySagaStore>(store_used)) {
    events->RegisterEvents<OrderPlaced, PaymentReceived, PaymentFailed, InventoryReserved,
                           InventoryFailed, OrderShipped, PoisonPill>();
    Handle<ChargePayment>();
    Handle<ReserveInventory>();
    Handle<ShipOrder>();
    Handle<RefundPayment>();
    Handle<CancelOrder>();
    manager = std::make_unique<SagaManager>(flaky, events, bus, std::move(options));
    manager->RegisterSimple(std::string(kOrderSagaType),
                            [this](const std::string& id) {
                              auto saga = std::make_unique<OrderSaga>(id);
                              saga->throw_in_compensate = throw_in_compensate;
                              return saga;
                            },
                            {"OrderPlaced"});
  }

  static SagaManagerOptions Defaults() {
    SagaManagerOptions o;
    o.retry_attempts = 2;
    o.retry_delay = std::chrono::milliseconds(1);
    o.poll_interval = std::chrono::milliseconds(20);
    return o;
  }

  template <class C>
  void Handle() {
    bus->Register(NewGenericHandler<C>([this](const Context& ctx, const C& c) {
      if (on_run) on_run(std::string(C::kCommandType));
      std::lock_guard lock(mutex);
      runs.push_back(std::string(C::kCommandType) + ":" + c.order_id);
      seen.push_back(Seen{std::string(C::kCommandType), c.GetCommandID(), c.GetCorrelationID(),
                          c.GetCausationID(), ctx.CorrelationID()});
      if (fail.count(std::string(C::kCommandType)) != 0) {
        return NewErrorResult(DomainError(std::string(C::kCommandType) + " refused"));
      }
      return NewSuccessResult(c.order_id, 1);
    }));
  }

  // Appends `e` to "Order-<id>" and returns the stored event.
  StoredEvent Append(const std::string& id, Event e) {
    AppendResult r = events->Append(Context{}, "Order-" + id, {std::move(e)});
    // PostgreSQL serves a position only once no lower one can still appear (a concurrent
    // append's); poll for it.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (;;) {
      auto stored = events->LoadEventsFromPosition(Context{}, r.last_position - 1, 1);
      if (!stored.empty() && stored[0].global_position == r.last_position) return stored[0];
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "appended event at " << r.last_position << " never became visible";
        return StoredEvent{};
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  // Appends and processes.
  StoredEvent Feed(const std::string& id, Event e) {
    StoredEvent s = Append(id, std::move(e));
    manager->ProcessEvent(Context{}, s);
    return s;
  }

  std::vector<std::string> Runs() {
    std::lock_guard lock(mutex);
    return runs;
  }

  struct Seen {
    std::string type, id, correlation, causation, ctx_correlation;
  };

  std::shared_ptr<EventStoreAdapter> adapter;
  std::shared_ptr<EventStore> events;
  std::shared_ptr<CommandBus> bus;
  std::shared_ptr<memory::SagaStore> memory_store;
  std::shared_ptr<SagaStore> store_used;  // the store under `flaky`
  std::shared_ptr<FlakySagaStore> flaky;
  std::unique_ptr<SagaManager> manager;
  bool throw_in_compensate = false;
  // Called by every handler before it records its run (set it before the manager starts).
  std::function<void(const std::string& command_type)> on_run;

  std::mutex mutex;
  std::vector<std::string> runs;
  std::vector<Seen> seen;
  std::set<std::string> fail;
};

// The event adapter and saga store a loop test runs on (memory, PostgreSQL).
struct SagaBackend {
  std::string name;
  std::function<std::pair<std::shared_ptr<EventStoreAdapter>, std::shared_ptr<SagaStore>>()> make;

  friend std::ostream& operator<<(std::ostream& os, const SagaBackend& b) { return os << b.name; }
};

class SagaLoopTest : public ::testing::TestWithParam<SagaBackend> {
 protected:
  SagaFixture Make(SagaManagerOptions options = SagaFixture::Defaults()) {
    auto [adapter, store] = GetParam().make();
    return SagaFixture(std::move(options), store, adapter);
  }
};

}  // namespace mink::sagatest

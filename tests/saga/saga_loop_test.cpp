// SagaManager's loop on the memory adapter: push delivery, Stop, the durable checkpoint, and a
// crash between dispatch and save turned into a replay by the idempotency middleware.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "mink/idempotency/middleware.hpp"
#include "mink/memory/idempotency_store.hpp"
#include "saga/saga_fixture.hpp"
#include "support/error_code.hpp"
#include "support/eventually.hpp"

namespace mink::sagatest {
namespace {

using namespace std::chrono_literals;
using Strings = std::vector<std::string>;

const Context kCtx;

using mink::testing::Eventually;

SagaStatus StatusOf(SagaFixture& f, const std::string& order) {
  try {
    return f.store_used->Load(kCtx, "OrderFulfillment-Order-" + order).status;
  } catch (const SagaNotFoundError&) {
    return SagaStatus::kStarted;
  }
}

TEST_P(SagaLoopTest, FollowsTheFeedUntilStopped) {
  SagaFixture f = Make();
  f.Append("0", OrderPlaced{"0", 1});  // before the start: delivered too (no checkpoint yet)
  auto done = f.manager->StartAsync(kCtx);
  EXPECT_TRUE(f.manager->IsRunning());
  EXPECT_EQ(mink::testing::CodeOf([&] { f.manager->Start(kCtx); }), errc::kSagaManagerRunning);
  for (const char* id : {"1", "2"}) {
    f.Append(id, OrderPlaced{id, 1});
    f.Append(id, PaymentReceived{id});
    f.Append(id, InventoryReserved{id});
    f.Append(id, OrderShipped{id});
  }
  EXPECT_TRUE(Eventually([&] {
    return StatusOf(f, "1") == SagaStatus::kCompleted && StatusOf(f, "2") == SagaStatus::kCompleted;
  }));
  f.manager->Stop();
  EXPECT_FALSE(f.manager->IsRunning());
  done.get();
  EXPECT_EQ(f.Runs().size(), 7u);
  EXPECT_EQ(f.store_used->LoadCheckpoint(kCtx, "mink-saga-manager"), f.manager->Position());
}

TEST_P(SagaLoopTest, ARestartResumesAfterTheCheckpointWithoutRedoingWork) {
  SagaFixture f = Make();
  auto first = f.manager->StartAsync(kCtx);
  f.Append("1", OrderPlaced{"1", 1});
  EXPECT_TRUE(Eventually([&] { return f.Runs().size() == 1; }));
  f.manager->Stop();
  first.get();

  f.Append("1", PaymentReceived{"1"});  // while no manager runs
  SagaManager second(f.flaky, f.events, f.bus, SagaFixture::Defaults());
  second.RegisterSimple("OrderFulfillment",
                        [](const std::string& id) { return std::make_unique<OrderSaga>(id); },
                        {"OrderPlaced"});
  auto run = second.StartAsync(kCtx);
  EXPECT_TRUE(Eventually([&] { return f.Runs().size() == 2; }));
  f.Append("1", InventoryReserved{"1"});
  EXPECT_TRUE(Eventually([&] { return f.Runs().size() == 3; }));
  second.Stop();
  run.get();
  EXPECT_EQ(f.Runs(), (Strings{"ChargePayment:1", "ReserveInventory:1", "ShipOrder:1"}));
}

// Stop (here: the start context's cancellation, which Stop uses too) while a command runs:
// the step in flight finishes and is saved with the checkpoint, so a restart does not run
// the command again. (Regression: the save used the cancelled context, so the step was
// abandoned after its command had run, and the next manager ran ChargePayment a second time.)
TEST_P(SagaLoopTest, StoppingDuringACommandFinishesTheStepAndSavesIt) {
  SagaFixture f = Make();
  std::mutex m;
  std::condition_variable cv;
  bool entered = false, release = false;
  f.on_run = [&](const std::string& type) {
    if (type != "ChargePayment") return;
    std::unique_lock lock(m);
    entered = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
  };
  auto [ctx, cancel] = Context{}.WithCancel();
  auto run = f.manager->StartAsync(ctx);
  f.Append("1", OrderPlaced{"1", 1});
  {
    std::unique_lock lock(m);
    ASSERT_TRUE(cv.wait_for(lock, 30s, [&] { return entered; }));
  }
  cancel();  // while ChargePayment is being handled
  {
    std::lock_guard lock(m);
    release = true;
  }
  cv.notify_all();
  EXPECT_EQ(run.wait_for(30s), std::future_status::ready);
  run.get();
  SagaState saved = f.store_used->Load(kCtx, "OrderFulfillment-Order-1");
  EXPECT_EQ(saved.current_step, 1);
  EXPECT_EQ(saved.processed_events.size(), 1u);
  EXPECT_TRUE(f.store_used->LoadCheckpoint(kCtx, "mink-saga-manager").has_value());

  f.on_run = nullptr;
  auto again = f.manager->StartAsync(kCtx);
  f.Append("1", PaymentReceived{"1"});
  EXPECT_TRUE(Eventually([&] { return f.Runs().size() == 2; }));
  f.manager->Stop();
  again.get();
  EXPECT_EQ(f.Runs(), (Strings{"ChargePayment:1", "ReserveInventory:1"}));
}

// The process "dies" after dispatching ChargePayment and before saving the saga (the store
// fails that save, which ends the loop like a crash would: nothing saved, checkpoint not
// moved). The next manager gets the event again and re-dispatches the same command ID.
void CrashBetweenDispatchAndSave(SagaFixture& f, bool with_idempotency, const Strings& expected) {
  if (with_idempotency) {
    IdempotencyConfig config = DefaultIdempotencyConfig(
        std::make_shared<memory::IdempotencyStore>(memory::IdempotencyStoreOptions{}));
    config.key_func = SagaIdempotencyKey;
    f.bus->Use(IdempotencyMiddleware(config));
  }
  f.flaky->fail_saves = 1;
  f.Append("1", OrderPlaced{"1", 1});
  auto crashed = f.manager->StartAsync(kCtx);
  EXPECT_EQ(crashed.wait_for(30s), std::future_status::ready);
  EXPECT_EQ(mink::testing::CodeOf([&] { crashed.get(); }), errc::kConnectionFailed);
  EXPECT_EQ(f.Runs(), (Strings{"ChargePayment:1"}));
  EXPECT_FALSE(f.store_used->LoadCheckpoint(kCtx, "mink-saga-manager").has_value());

  auto again = f.manager->StartAsync(kCtx);
  EXPECT_TRUE(Eventually([&] { return StatusOf(f, "1") == SagaStatus::kRunning; }));
  f.manager->Stop();
  again.get();
  EXPECT_EQ(f.Runs(), expected);
  EXPECT_EQ(f.store_used->Load(kCtx, "OrderFulfillment-Order-1").current_step, 1);
}

TEST_P(SagaLoopTest, ACrashBetweenDispatchAndSaveRunsTheHandlerOnceWithIdempotency) {
  SagaFixture f = Make();
  CrashBetweenDispatchAndSave(f, true, {"ChargePayment:1"});
}

// The control: without the middleware the same crash runs the handler twice (which is why the
// IDs are deterministic).
TEST_P(SagaLoopTest, WithoutIdempotencyTheSameCrashRunsTheHandlerTwice) {
  SagaFixture f = Make();
  CrashBetweenDispatchAndSave(f, false, {"ChargePayment:1", "ChargePayment:1"});
}

}  // namespace
}  // namespace mink::sagatest

// SagaManager on the memory adapter: routing, steps, compensation, dedupe, conflicts,
// cancellation, the timeout sweep, re-drives and bad input.
#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <thread>

#include "saga/saga_fixture.hpp"
#include "support/error_code.hpp"

namespace mink::sagatest {
namespace {

using mink::testing::CodeOf;
using namespace std::chrono_literals;
using Strings = std::vector<std::string>;

const Context kCtx;

TEST(SagaManager, HappyPathDispatchesEachStepAndCompletes) {
  SagaFixture f;
  f.Feed("1", OrderPlaced{"1", 20});
  f.Feed("1", PaymentReceived{"1"});
  f.Feed("1", InventoryReserved{"1"});
  f.Feed("1", OrderShipped{"1"});
  EXPECT_EQ(f.Runs(), (Strings{"ChargePayment:1", "ReserveInventory:1", "ShipOrder:1"}));
  SagaState s = f.manager->GetSaga(kCtx, "OrderFulfillment-Order-1");
  EXPECT_EQ(s.status, SagaStatus::kCompleted);
  EXPECT_EQ(s.current_step, 3);
  EXPECT_EQ(s.correlation_id, "Order-1");
  EXPECT_TRUE(s.completed_at.has_value());
  EXPECT_EQ(s.processed_events.size(), 4u);
  EXPECT_EQ(s.steps.size(), 3u);
  EXPECT_EQ(s.data["order_id"], "1");
  EXPECT_EQ(f.manager->FindSagaByCorrelationID(kCtx, "Order-1").id, s.id);
  EXPECT_EQ(f.manager->FindSagasByType(kCtx, "OrderFulfillment").size(), 1u);
}

TEST(SagaManager, CommandsCarryDeterministicIDsCorrelationAndCausation) {
  SagaFixture f;
  StoredEvent placed = f.Feed("1", OrderPlaced{"1", 20});
  ASSERT_EQ(f.seen.size(), 1u);
  EXPECT_EQ(f.seen[0].id, "saga:OrderFulfillment-Order-1:" + placed.id + ":0");
  EXPECT_EQ(f.seen[0].correlation, "Order-1");
  EXPECT_EQ(f.seen[0].ctx_correlation, "Order-1");
  EXPECT_EQ(f.seen[0].causation, placed.id);
}

TEST(SagaManager, InventoryFailureRefundsAndCancels) {
  SagaFixture f;
  f.Feed("1", OrderPlaced{"1", 20});
  f.Feed("1", PaymentReceived{"1"});
  f.Feed("1", InventoryFailed{"1", "out of stock"});
  EXPECT_EQ(f.Runs(),
            (Strings{"ChargePayment:1", "ReserveInventory:1", "RefundPayment:1", "CancelOrder:1"}));
  SagaState s = f.manager->GetSaga(kCtx, "OrderFulfillment-Order-1");
  EXPECT_EQ(s.status, SagaStatus::kCompensated);
  EXPECT_NE(s.failure_reason.find("out of stock"), std::string::npos) << s.failure_reason;
  EXPECT_EQ(s.data["last_reason"].get<std::string>().find("failed at step 2") != std::string::npos,
            true);
}

TEST(SagaManager, EveryCompensationCommandRunsEvenWhenOneFails) {
  SagaFixture f;
  f.fail.insert("RefundPayment");
  f.Feed("1", OrderPlaced{"1", 20});
  f.Feed("1", PaymentReceived{"1"});
  f.Feed("1", InventoryFailed{"1", "none left"});
  EXPECT_EQ(f.Runs(), (Strings{"ChargePayment:1", "ReserveInventory:1", "RefundPayment:1",
                               "RefundPayment:1", "CancelOrder:1"}));  // 2 attempts
  SagaState s = f.manager->GetSaga(kCtx, "OrderFulfillment-Order-1");
  EXPECT_EQ(s.status, SagaStatus::kCompensationFailed);
}

TEST(SagaManager, AFailingCommandIsRetriedThenCompensated) {
  SagaFixture f;
  f.fail.insert("ChargePayment");
  f.Feed("1", OrderPlaced{"1", 20});
  EXPECT_EQ(f.Runs(), (Strings{"ChargePayment:1", "ChargePayment:1", "CancelOrder:1"}));
  SagaState s = f.manager->GetSaga(kCtx, "OrderFulfillment-Order-1");
  EXPECT_EQ(s.status, SagaStatus::kCompensated);
  EXPECT_EQ(s.current_step, 0);
  EXPECT_NE(s.failure_reason.find("ChargePayment refused"), std::string::npos);
}

TEST(SagaManager, ACompensateThatThrowsLeavesTheSagaFailed) {
  SagaFixture f;
  f.throw_in_compensate = true;
  f.Feed("1", OrderPlaced{"1", 20});
  f.Feed("1", PaymentFailed{"1", "card declined"});
  SagaState s = f.manager->GetSaga(kCtx, "OrderFulfillment-Order-1");
  EXPECT_EQ(s.status, SagaStatus::kFailed);
  EXPECT_NE(s.failure_reason.find("compensate exploded"), std::string::npos) << s.failure_reason;
}

TEST(SagaManager, ANonMinkExceptionFromHandleEventCompensatesWithItsMessage) {
  SagaFixture f;
  f.Feed("1", OrderPlaced{"1", 20});
  f.Feed("1", PoisonPill{"1"});
  SagaState s = f.manager->GetSaga(kCtx, "OrderFulfillment-Order-1");
  EXPECT_EQ(s.status, SagaStatus::kCompensated);
  EXPECT_NE(s.failure_reason.find("poison pill swallowed"), std::string::npos);
}

TEST(SagaManager, ACommandWithNoHandlerFailsTheStepWithoutRetries) {
  SagaFixture f;
  auto bare_bus = std::make_shared<CommandBus>();
  SagaManager manager(f.flaky, f.events, bare_bus, SagaFixture::Defaults());
  manager.RegisterSimple("OrderFulfillment",
                         [](const std::string& id) { return std::make_unique<OrderSaga>(id); },
                         {"OrderPlaced"});
  manager.ProcessEvent(kCtx, f.Append("1", OrderPlaced{"1", 20}));
  SagaState s = manager.GetSaga(kCtx, "OrderFulfillment-Order-1");
  EXPECT_EQ(s.status, SagaStatus::kCompensationFailed);  // CancelOrder has no handler either
  EXPECT_NE(s.failure_reason.find("no handler registered for command type \"ChargePayment\""),
            std::string::npos)
      << s.failure_reason;
  EXPECT_NE(s.failure_reason.find("after 1 attempt"), std::string::npos) << s.failure_reason;
}

TEST(SagaManager, EventsWithoutASagaAndForTerminalSagasAreIgnored) {
  SagaFixture f;
  f.Feed("1", PaymentReceived{"1"});  // not a starting event
  EXPECT_TRUE(f.Runs().empty());
  EXPECT_EQ(f.memory_store->Count(), 0u);
  f.Feed("2", OrderPlaced{"2", 1});
  f.Feed("2", PaymentFailed{"2", "no"});
  const auto before = f.Runs().size();
  f.Feed("2", PaymentReceived{"2"});
  EXPECT_EQ(f.Runs().size(), before);
  EXPECT_EQ(f.manager->GetSaga(kCtx, "OrderFulfillment-Order-2").status, SagaStatus::kCompensated);
}

TEST(SagaManager, ConcurrentDuplicateDeliveriesAreHandledOnce) {
  SagaFixture f;
  StoredEvent placed = f.Append("1", OrderPlaced{"1", 20});
  constexpr int kThreads = 5;
  std::barrier start(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      f.manager->ProcessEvent(kCtx, placed);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(f.Runs(), (Strings{"ChargePayment:1"}));
  EXPECT_EQ(f.manager->GetSaga(kCtx, "OrderFulfillment-Order-1").processed_events.size(), 1u);
}

TEST(SagaManager, SaveConflictsRetryTheStep) {
  SagaFixture f;
  f.flaky->as_conflict = true;
  f.flaky->fail_saves = 1;
  f.Feed("1", OrderPlaced{"1", 20});
  EXPECT_EQ(f.flaky->saves, 2);
  EXPECT_EQ(f.manager->GetSaga(kCtx, "OrderFulfillment-Order-1").current_step, 1);

  f.flaky->fail_saves = 5;  // more than retry_attempts: given up, logged, not thrown
  f.Feed("1", PaymentReceived{"1"});
  EXPECT_EQ(f.manager->GetSaga(kCtx, "OrderFulfillment-Order-1").current_step, 1);
}

TEST(SagaManager, CancellationNeverCompensatesAndSavesNothing) {
  SagaManagerOptions o = SagaFixture::Defaults();
  o.retry_delay = 60s;  // the retry wait is where the cancellation lands
  SagaFixture f(o);
  f.Feed("1", OrderPlaced{"1", 20});
  f.fail.insert("ReserveInventory");
  StoredEvent paid = f.Append("1", PaymentReceived{"1"});
  auto [ctx, cancel] = Context{}.WithCancel();
  std::thread canceller([&, cancel = cancel] {
    for (auto deadline = std::chrono::steady_clock::now() + 30s;
         std::chrono::steady_clock::now() < deadline;) {
      {
        std::lock_guard lock(f.mutex);
        if (f.runs.size() >= 2) break;
      }
      std::this_thread::yield();
    }
    cancel();
  });
  EXPECT_EQ(CodeOf([&] { f.manager->ProcessEvent(ctx, paid); }), errc::kCancelled);
  canceller.join();
  SagaState s = f.manager->GetSaga(kCtx, "OrderFulfillment-Order-1");
  EXPECT_EQ(s.status, SagaStatus::kRunning);
  EXPECT_EQ(s.processed_events.size(), 1u);  // the PaymentReceived step was not saved
  for (const auto& r : f.Runs()) EXPECT_EQ(r.find("Cancel"), std::string::npos) << r;
}

TEST(SagaManager, TheTimeoutSweepCompensatesOnlyStalledRunningSagas) {
  auto now = std::make_shared<std::atomic<int64_t>>(1'800'000'000);
  SagaManagerOptions o = SagaFixture::Defaults();
  o.timeout = 5min;
  o.clock = [now] { return Timestamp(std::chrono::seconds(now->load())); };
  auto store = std::make_shared<memory::SagaStore>(memory::SagaStoreOptions{.clock = o.clock});
  SagaFixture f(o, store);
  f.Feed("1", OrderPlaced{"1", 20});  // running
  f.Feed("2", OrderPlaced{"2", 20});
  f.Feed("2", OrderShipped{"2"});  // completed
  EXPECT_EQ(f.manager->SweepTimeouts(kCtx), 0);
  now->fetch_add(301);
  EXPECT_EQ(f.manager->SweepTimeouts(kCtx), 1);
  SagaState s = f.manager->GetSaga(kCtx, "OrderFulfillment-Order-1");
  EXPECT_EQ(s.status, SagaStatus::kCompensated);
  EXPECT_NE(s.failure_reason.find("timed out"), std::string::npos);
  EXPECT_EQ(f.manager->GetSaga(kCtx, "OrderFulfillment-Order-2").status, SagaStatus::kCompleted);
}

TEST(SagaManager, RetrySagaRedrivesACompensatedSagaFromItsCapturedEvent) {
  SagaManagerOptions o = SagaFixture::Defaults();
  o.retry_capture = true;
  std::vector<SagaRetryEvent> observed;
  o.retry_observer = [&](const SagaRetryEvent& e) { observed.push_back(e); };
  SagaFixture f(o);
  f.Feed("1", OrderPlaced{"1", 20});
  f.fail.insert("ReserveInventory");
  f.Feed("1", PaymentReceived{"1"});
  ASSERT_EQ(f.manager->GetSaga(kCtx, "OrderFulfillment-Order-1").status, SagaStatus::kCompensated);
  f.fail.clear();
  SagaState after = f.manager->RetrySaga(kCtx, "OrderFulfillment-Order-1");
  EXPECT_EQ(after.status, SagaStatus::kRunning);
  EXPECT_EQ(after.steps.back().command, "ReserveInventory");
  ASSERT_EQ(observed.size(), 1u);
  EXPECT_EQ(observed[0].from_status, SagaStatus::kCompensated);
  EXPECT_EQ(observed[0].result_status, SagaStatus::kRunning);
  // A running saga is not retryable; the report counts it as skipped.
  EXPECT_EQ(CodeOf([&] { f.manager->ResumeStalled(kCtx, "OrderFulfillment-Order-1"); }),
            errc::kSagaNotRetryable);
  EXPECT_EQ(CodeOf([&] { f.manager->RetrySaga(kCtx, "OrderFulfillment-Order-1"); }),
            errc::kSagaNotRetryable);
  RetryReport report = f.manager->RetrySagasByType(kCtx, "OrderFulfillment");
  EXPECT_EQ(report.results.size(), 0u);
  EXPECT_EQ(CodeOf([&] { f.manager->RetrySaga(kCtx, "nope"); }), errc::kSagaNotFound);
}

TEST(SagaManager, RetryWithoutACapturedEventIsNotRetryable) {
  SagaFixture f;
  f.Feed("1", OrderPlaced{"1", 20});
  f.Feed("1", PaymentFailed{"1", "declined"});
  try {
    f.manager->RetrySaga(kCtx, "OrderFulfillment-Order-1");
    FAIL();
  } catch (const SagaNotRetryableError& e) {
    EXPECT_NE(e.Reason().find("trigger event"), std::string::npos);
  }
  RetryReport report = f.manager->RetrySagasByType(kCtx, "OrderFulfillment");
  EXPECT_EQ(report.Count(RetryOutcome::kSkipped), 1u);
}

TEST(SagaManager, ManualCompensateAndItsBadInput) {
  SagaFixture f;
  f.Feed("1", OrderPlaced{"1", 20});
  f.manager->Compensate(kCtx, "OrderFulfillment-Order-1", "operator said so");
  SagaState s = f.manager->GetSaga(kCtx, "OrderFulfillment-Order-1");
  EXPECT_EQ(s.status, SagaStatus::kCompensated);
  EXPECT_NE(s.failure_reason.find("operator said so"), std::string::npos);
  EXPECT_EQ(CodeOf([&] { f.manager->Compensate(kCtx, "OrderFulfillment-Order-1", "again"); }),
            errc::kSagaNotRetryable);
  EXPECT_EQ(CodeOf([&] { f.manager->Compensate(kCtx, "missing", "x"); }), errc::kSagaNotFound);

  // A stored saga of a type nobody registered.
  SagaState alien;
  alien.id = "alien-1";
  alien.type = "Alien";
  alien.status = SagaStatus::kRunning;
  f.memory_store->Save(kCtx, alien);
  EXPECT_EQ(CodeOf([&] { f.manager->Compensate(kCtx, "alien-1", "x"); }),
            errc::kSagaTypeNotRegistered);
  EXPECT_EQ(CodeOf([&] { f.manager->StartSaga(kCtx, "Alien", StoredEvent{}); }),
            errc::kSagaTypeNotRegistered);
}

TEST(SagaManager, ACorruptSagaIsReportedAndOtherSagasGoOn) {
  SagaFixture f;
  f.Feed("1", OrderPlaced{"1", 20});
  f.Feed("2", OrderPlaced{"2", 20});
  SagaState s1 = f.memory_store->Load(kCtx, "OrderFulfillment-Order-1");
  nlohmann::json j = SagaStateToJsonValue(s1);
  j["data"] = {{"amount", "not a number"}};
  f.memory_store->ReplaceRawForTesting("OrderFulfillment-Order-1", j.dump());
  f.Feed("1", PaymentReceived{"1"});  // logged, not thrown
  f.Feed("2", PaymentReceived{"2"});
  EXPECT_EQ(f.Runs(), (Strings{"ChargePayment:1", "ChargePayment:2", "ReserveInventory:2"}));
}

TEST(SagaManager, RegisterRefusesBrokenFactories) {
  SagaFixture f;
  EXPECT_EQ(CodeOf([&] { f.manager->RegisterSimple("", nullptr, {}); }), errc::kInvalidArgument);
  EXPECT_EQ(CodeOf([&] {
              f.manager->RegisterSimple("X",
                                        [](const std::string&) -> std::unique_ptr<Saga> {
                                          throw std::runtime_error("boom");
                                        },
                                        {});
            }),
            errc::kInvalidArgument);
  EXPECT_EQ(CodeOf([&] {
              f.manager->RegisterSimple(
                  "X", [](const std::string&) { return std::unique_ptr<Saga>(); }, {});
            }),
            errc::kInvalidArgument);
  EXPECT_EQ(CodeOf([&] {
              f.manager->RegisterSimple(
                  "X", [](const std::string& id) { return std::make_unique<OrderSaga>(id); }, {});
            }),
            errc::kInvalidArgument);  // makes OrderFulfillment sagas
}

}  // namespace
}  // namespace mink::sagatest

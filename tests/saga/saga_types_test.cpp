// Saga, SagaBase, JsonSaga, SagaStatus and the JSON form of SagaState.
#include <gtest/gtest.h>

#include "mink/saga/saga.hpp"
#include "saga/order_saga.hpp"
#include "support/error_code.hpp"

namespace mink {
namespace {

using namespace std::chrono_literals;
using sagatest::OrderSaga;

TEST(SagaStatus, TerminalAndRetryableSetsAreGoMinks) {
  for (int n = 0; n <= 6; ++n) {
    const SagaStatus s = *SagaStatusFromInt(n);
    const bool terminal = n == 2 || n == 3 || n == 5 || n == 6;
    const bool retryable = n == 3 || n == 5 || n == 6;
    EXPECT_EQ(IsTerminal(s), terminal) << ToString(s);
    EXPECT_EQ(IsRetryable(s), retryable) << ToString(s);
  }
  EXPECT_FALSE(SagaStatusFromInt(7).has_value());
  EXPECT_FALSE(SagaStatusFromInt(-1).has_value());
  EXPECT_EQ(ToString(SagaStatus::kCompensationFailed), "compensation_failed");
}

TEST(SagaBase, StartsStartedAndStampsTerminalTransitions) {
  OrderSaga saga("s-1");
  EXPECT_EQ(saga.Status(), SagaStatus::kStarted);
  EXPECT_EQ(saga.SagaType(), "OrderFulfillment");
  EXPECT_NE(saga.StartedAt(), Timestamp{});
  EXPECT_FALSE(saga.CompletedAt().has_value());
  saga.StartCompensation();
  EXPECT_EQ(saga.Status(), SagaStatus::kCompensating);
  EXPECT_FALSE(saga.CompletedAt().has_value());
  saga.MarkCompensated();
  EXPECT_EQ(saga.Status(), SagaStatus::kCompensated);
  EXPECT_TRUE(saga.CompletedAt().has_value());
  saga.Fail();
  EXPECT_EQ(saga.Status(), SagaStatus::kFailed);
  saga.Complete();
  EXPECT_EQ(saga.Status(), SagaStatus::kCompleted);
  saga.IncrementVersion();
  EXPECT_EQ(saga.Version(), 1);
}

TEST(SagaState, JsonUsesTheSeedsFieldNames) {
  SagaState s;
  s.id = "s-1";
  s.type = "T";
  s.correlation_id = "c-1";
  s.status = SagaStatus::kCompensating;
  s.current_step = 2;
  s.data = {{"k", 1}};
  s.processed_events = {"e:1"};
  SagaStep step;
  step.name = "n";
  step.index = 1;
  step.status = SagaStepStatus::kFailed;
  s.steps = {step};
  s.started_at = Timestamp(std::chrono::seconds(1'700'000'000)) + 123456us;
  s.updated_at = s.started_at;
  s.completed_at = s.started_at + 1s;
  s.failure_reason = "why";
  s.version = 4;
  const nlohmann::json j = SagaStateToJsonValue(s);
  for (const char* key :
       {"id", "type", "correlationId", "status", "currentStep", "data", "processedEvents", "steps",
        "startedAt", "updatedAt", "completedAt", "failureReason", "version"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["status"], 4);
  EXPECT_EQ(j["startedAt"], "2023-11-14T22:13:20.123456Z");
  EXPECT_EQ(SagaStateFromJson(SagaStateToJson(s)), s);

  SagaState bare;
  bare.id = "b";
  bare.type = "T";
  const nlohmann::json jb = SagaStateToJsonValue(bare);
  EXPECT_FALSE(jb.contains("correlationId"));
  EXPECT_FALSE(jb.contains("completedAt"));
  EXPECT_FALSE(jb.contains("steps"));
}

TEST(SagaState, CorruptTextIsATypedErrorNamingTheSaga) {
  try {
    SagaStateFromJson(R"({"id":"s-9","type":"T","status":99,"startedAt":"x"})");
    FAIL();
  } catch (const CorruptSagaStateError& e) {
    EXPECT_EQ(e.SagaID(), "s-9");
  }
  EXPECT_EQ(mink::testing::CodeOf([] { SagaStateFromJson("{not json"); }), errc::kCorruptSagaState);
  EXPECT_EQ(mink::testing::CodeOf([] { SagaStateFromJson("[1,2]"); }), errc::kCorruptSagaState);
  EXPECT_EQ(mink::testing::CodeOf([] {
              SagaStateFromJson(R"({"id":"s","type":"T","status":1,"startedAt":"2023-01-01"})");
            }),
            errc::kCorruptSagaState);
}

TEST(SagaTime, RoundTripsMicrosecondsAndRefusesNonUtc) {
  const Timestamp t = Timestamp(std::chrono::seconds(1'000'000'000)) + 7us;
  EXPECT_EQ(ParseSagaTime(FormatSagaTime(t)), t);
  EXPECT_EQ(ParseSagaTime("2001-09-09T01:46:40.000007+00:00"), t);
  EXPECT_EQ(ParseSagaTime("2001-09-09T01:46:40Z"), t - 7us);
  EXPECT_EQ(mink::testing::CodeOf([] { ParseSagaTime("2001-09-09T01:46:40+02:00"); }),
            errc::kInvalidArgument);
}

TEST(JsonSaga, TypedFieldsRoundTripThroughDataWithoutAMap) {
  OrderSaga a("s-1");
  a.order_id = "order-1";
  a.amount = 12.5;
  a.paid = true;
  const nlohmann::json data = a.Data();
  EXPECT_EQ(data["order_id"], "order-1");
  EXPECT_EQ(data["paid"], true);

  OrderSaga b("s-1");
  b.SetData(data);
  EXPECT_EQ(b.order_id, "order-1");
  EXPECT_DOUBLE_EQ(b.amount, 12.5);
  EXPECT_TRUE(b.paid);

  // Through a SagaState and back.
  a.SetCorrelationID("Order-1");
  a.SetCurrentStep(3);
  SagaStep step;
  step.name = "x";
  a.RecordStep(step);
  OrderSaga c("s-1");
  SagaFromState(c, SagaToState(a));
  EXPECT_EQ(c.CorrelationID(), "Order-1");
  EXPECT_EQ(c.CurrentStep(), 3);
  EXPECT_EQ(c.Steps().size(), 1u);
  EXPECT_EQ(c.order_id, "order-1");
}

TEST(Saga, HandleEventMatchesTypedEventsAndReportsFailures) {
  OrderSaga saga("s-1");
  StoredEvent stored;
  stored.id = "ev-1";
  stored.stream_id = "Order-1";
  Event placed = sagatest::OrderPlaced{"order-1", 10};
  placed.WithStoredIdentity(stored);
  Commands out = saga.HandleEvent(Context{}, placed);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].As<sagatest::ChargePayment>().order_id, "order-1");

  try {
    saga.HandleEvent(Context{}, sagatest::InventoryFailed{"order-1", "out of stock"});
    FAIL();
  } catch (const SagaFailedError& e) {
    EXPECT_EQ(e.Step(), 2);
    EXPECT_EQ(e.Reason(), "out of stock");
    EXPECT_TRUE(e.Is(errc::kSagaFailed));
  }
  // A raw (unregistered) event matches nothing and yields no commands.
  EXPECT_TRUE(saga.HandleEvent(Context{}, Event::Raw("OrderPlaced", {{"order_id", "x"}})).empty());
}

}  // namespace
}  // namespace mink

// The mink::testing saga fixtures: right expectations pass, wrong ones fail (gtest-spi).
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include "mink/testing/saga.hpp"
#include "saga/order_saga.hpp"

namespace mink::sagatest {
namespace {

using mink::testing::TestCompensation;
using mink::testing::TestSaga;

TEST(SagaFixtures, HappyPathPasses) {
  OrderSaga saga("saga-1");
  TestSaga(saga)
      .GivenEvents(OrderPlaced{"1", 10}, PaymentReceived{"1"}, InventoryReserved{"1"},
                   OrderShipped{"1"})
      .ThenCompleted()
      .ThenStatus(SagaStatus::kCompleted)
      .ThenCommands(ChargePayment{{}, "1"}, ReserveInventory{{}, "1"}, ShipOrder{{}, "1"});
  EXPECT_EQ(saga.CurrentStep(), 3);
}

TEST(SagaFixtures, CompensationPasses) {
  OrderSaga saga("saga-1");
  TestCompensation(saga)
      .GivenFailureAfter(OrderPlaced{"1", 10}, PaymentReceived{"1"},
                         InventoryFailed{"1", "out of stock"})
      .ThenCompensates(RefundPayment{{}, "1"}, CancelOrder{{}, "1"})
      .ThenStatus(SagaStatus::kCompensated);
}

TEST(SagaFixtures, WrongExpectationsFail) {
  EXPECT_NONFATAL_FAILURE(
      {
        OrderSaga saga("saga-1");
        TestSaga(saga).GivenEvents(OrderPlaced{"1", 10}).ThenCompleted();
      },
      "is running, expected completed");
  EXPECT_NONFATAL_FAILURE(
      {
        OrderSaga saga("saga-1");
        TestSaga(saga)
            .GivenEvents(OrderPlaced{"1", 10}, PaymentReceived{"1"})
            .ThenCommands(ChargePayment{{}, "1"}, ReserveInventory{{}, "2"});
      },
      "saga commands differ");
  EXPECT_NONFATAL_FAILURE(
      {
        OrderSaga saga("saga-1");
        TestSaga(saga).GivenEvents(OrderPlaced{"1", 10}).ThenCommands(ShipOrder{{}, "1"});
      },
      "ShipOrder");
  EXPECT_NONFATAL_FAILURE(
      {
        OrderSaga saga("saga-1");
        TestCompensation(saga)
            .GivenFailureAfter(OrderPlaced{"1", 10}, PaymentReceived{"1"},
                               InventoryFailed{"1", "none"})
            .ThenCompensates(CancelOrder{{}, "1"});  // the refund is missing
      },
      "compensation commands differ");
  EXPECT_NONFATAL_FAILURE(
      {
        OrderSaga saga("saga-1");
        TestCompensation(saga).GivenFailureAfter(OrderPlaced{"1", 10});
      },
      "did not fail");
  EXPECT_NONFATAL_FAILURE(
      {
        OrderSaga saga("saga-1");
        saga.throw_in_compensate = true;
        TestCompensation(saga)
            .GivenFailureAfter(OrderPlaced{"1", 10}, PaymentFailed{"1", "declined"})
            .ThenCompensates(CancelOrder{{}, "1"});
      },
      "Compensate threw: compensate exploded");
}

TEST(SagaFixtures, ACompensateThatThrowsCanBeExpected) {
  OrderSaga saga("saga-1");
  saga.throw_in_compensate = true;
  TestCompensation(saga)
      .GivenFailureAfter(OrderPlaced{"1", 10}, PaymentFailed{"1", "declined"})
      .ThenCompensationFails()
      .ThenStatus(SagaStatus::kFailed);
}

}  // namespace
}  // namespace mink::sagatest

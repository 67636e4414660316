// mink::prometheus::SagaMetrics fed by a SagaManager: lifecycle counters and step durations.
#include <gtest/gtest.h>

#include <prometheus/text_serializer.h>

#include "mink/prometheus/saga_metrics.hpp"
#include "saga/saga_fixture.hpp"

namespace mink::sagatest {
namespace {

std::string Scrape(::prometheus::Registry& registry) {
  return ::prometheus::TextSerializer().Serialize(registry.Collect());
}

TEST(PrometheusSagaMetrics, CountsLifecycleTransitionsAndSteps) {
  auto registry = std::make_shared<::prometheus::Registry>();
  SagaManagerOptions o = SagaFixture::Defaults();
  o.metrics = std::make_shared<mink::prometheus::SagaMetrics>(registry);
  SagaFixture f(o);
  f.Feed("1", OrderPlaced{"1", 1});
  f.Feed("1", OrderShipped{"1"});  // completes
  f.Feed("2", OrderPlaced{"2", 1});
  f.Feed("2", PaymentFailed{"2", "declined"});  // compensated
  const std::string text = Scrape(*registry);
  EXPECT_NE(text.find("mink_sagas_started_total{saga_type=\"OrderFulfillment\"} 2"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("mink_sagas_completed_total{saga_type=\"OrderFulfillment\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("mink_sagas_compensated_total{result=\"compensated\",saga_type="
                      "\"OrderFulfillment\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("mink_saga_step_duration_seconds_count{command_type=\"ChargePayment\","
                      "saga_type=\"OrderFulfillment\",status=\"success\"} 2"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace mink::sagatest

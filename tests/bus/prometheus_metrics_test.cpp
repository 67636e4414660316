// mink::prometheus::CommandMetrics through MetricsMiddleware, read back as exposition text.
#include <gtest/gtest.h>

#include <prometheus/text_serializer.h>

#include "bus/test_commands.hpp"
#include "mink/prometheus/command_metrics.hpp"

namespace mink::testing {
namespace {

std::string Scrape(::prometheus::Registry& registry) {
  return ::prometheus::TextSerializer().Serialize(registry.Collect());
}

TEST(PrometheusCommandMetrics, CountsByTypeAndStatusWithDurationsAndInFlight) {
  auto registry = std::make_shared<::prometheus::Registry>();
  auto metrics = std::make_shared<prometheus::CommandMetrics>(
      registry, prometheus::CommandMetricsOptions{.labels = {{"service", "orders"}}});
  CommandBus bus;
  bus.Use(MetricsMiddleware(metrics));
  bus.Register(PingHandler());
  bus.RegisterFunc("CreateOrder", [](const Context&, const AnyCommand&) {
    return NewErrorResult(DomainError("no"));
  });
  bus.Dispatch(Context{}, Ping{});
  bus.Dispatch(Context{}, Ping{});
  bus.Dispatch(Context{}, CreateOrder{.customer_id = "c"});

  const std::string text = Scrape(*registry);
  EXPECT_NE(
      text.find(R"(mink_commands_total{service="orders",command_type="Ping",status="success"} 2)"),
      std::string::npos)
      << text;
  EXPECT_NE(
      text.find(
          R"(mink_commands_total{service="orders",command_type="CreateOrder",status="error"} 1)"),
      std::string::npos)
      << text;
  EXPECT_NE(
      text.find(R"(mink_command_duration_seconds_count{service="orders",command_type="Ping"} 2)"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(mink_commands_in_flight{service="orders",command_type="Ping"} 0)"),
            std::string::npos)
      << text;
}

TEST(PrometheusCommandMetrics, InFlightGaugeCountsRunningCommands) {
  auto registry = std::make_shared<::prometheus::Registry>();
  auto metrics = std::make_shared<prometheus::CommandMetrics>(registry);
  CommandBus bus;
  bus.Use(MetricsMiddleware(metrics));
  std::string during;
  bus.RegisterFunc("Ping", [&](const Context&, const AnyCommand&) {
    during = Scrape(*registry);
    return NewSuccessResult("", 0);
  });
  bus.Dispatch(Context{}, Ping{});
  EXPECT_NE(during.find(R"(mink_commands_in_flight{command_type="Ping"} 1)"), std::string::npos)
      << during;
  EXPECT_THROW(prometheus::CommandMetrics(nullptr), Error);
}

}  // namespace
}  // namespace mink::testing

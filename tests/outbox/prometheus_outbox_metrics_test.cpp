// mink::prometheus::OutboxMetrics through an OutboxProcessor, read back as exposition text.
#include <gtest/gtest.h>

#include <prometheus/text_serializer.h>

#include "mink/memory/outbox_store.hpp"
#include "mink/outbox/processor.hpp"
#include "mink/prometheus/outbox_metrics.hpp"
#include "outbox/recording_publisher.hpp"

namespace mink {
namespace {

TEST(PrometheusOutboxMetrics, TheSeedsNamesThroughTheProcessor) {
  auto registry = std::make_shared<::prometheus::Registry>();
  auto metrics = std::make_shared<prometheus::OutboxMetrics>(
      registry, prometheus::OutboxMetricsOptions{.labels = {{"service", "orders"}}});
  auto store = std::make_shared<memory::OutboxStore>();
  auto webhook = std::make_shared<mink::testing::RecordingPublisher>("webhook");
  webhook->fail = [](const OutboxMessage& m) { return m.aggregate_id == "bad"; };
  std::vector<OutboxMessage> ms(3);
  const char* aggregates[] = {"a", "bad", "c"};
  for (int i = 0; i < 3; ++i) {
    ms[i].aggregate_id = aggregates[i];
    ms[i].event_type = "E";
    ms[i].destination = "webhook:http://x";
    ms[i].payload = "{}";
    ms[i].max_attempts = 1;
  }
  store->Schedule(Context{}, ms);
  OutboxProcessor p(store, {.publishers = {webhook}, .metrics = metrics});
  p.ProcessBatch(Context{});
  p.RunMaintenance(Context{});

  const std::string text = ::prometheus::TextSerializer().Serialize(registry->Collect());
  for (
      const char* line :
      {R"(mink_outbox_messages_processed_total{service="orders",destination="webhook",status="success"} 2)",
       R"(mink_outbox_messages_processed_total{service="orders",destination="webhook",status="error"} 1)",
       R"(mink_outbox_messages_failed_total{service="orders",destination="webhook"} 1)",
       R"(mink_outbox_messages_dead_lettered_total{service="orders"} 1)",
       R"(mink_outbox_batch_duration_seconds_count{service="orders"} 1)",
       R"(mink_outbox_pending_messages{service="orders"} 0)"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  }
}

}  // namespace
}  // namespace mink

// OutboxProcessor on PostgreSQL: several processors (separate stores, so separate connection
// pools, as separate processes would have) deliver each message once; a processor is woken by
// another adapter's append through LISTEN/NOTIFY (the event subscriptions' wake sender).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

#include "core/test_events.hpp"
#include "mink/outbox/event_store_with_outbox.hpp"
#include "mink/outbox/processor.hpp"
#include "outbox/pg_outbox_support.hpp"
#include "outbox/recording_publisher.hpp"
#include "postgres/pg_test_support.hpp"

namespace mink {
namespace {

namespace pgt = postgres::testing;
using mink::testing::RecordingPublisher;
using namespace std::chrono_literals;

const Context kCtx;

TEST(PostgresOutboxProcessor, SeveralProcessorsDeliverEachMessageExactlyOnce) {
  const std::string schema = pgt::UniqueSchema();
  auto first = mink::testing::MakePgOutboxStore(schema);
  auto publisher = std::make_shared<RecordingPublisher>("webhook");
  std::vector<std::shared_ptr<postgres::OutboxStore>> stores{first};
  std::vector<std::unique_ptr<OutboxProcessor>> processors;
  for (int i = 0; i < 3; ++i) {
    if (i > 0) {
      stores.push_back(std::make_shared<postgres::OutboxStore>(
          postgres::OutboxStoreOptions{.url = pgt::DatabaseURL(), .schema = schema}));
    }
    processors.push_back(std::make_unique<OutboxProcessor>(
        stores.back(), OutboxProcessorOptions{
                           .batch_size = 10, .poll_interval = 10ms, .publishers = {publisher}}));
    processors.back()->Start(kCtx);
  }
  constexpr int kMessages = 200;
  for (int b = 0; b < kMessages / 20; ++b) {
    std::vector<OutboxMessage> ms(20);
    for (auto& m : ms) {
      m.aggregate_id = "Order-" + std::to_string(b);
      m.event_type = "OrderCreated";
      m.destination = "webhook:http://a";
      m.payload = "{}";
    }
    first->Schedule(kCtx, ms);
  }
  ASSERT_TRUE(publisher->WaitDelivered(kMessages));
  for (auto& p : processors) p->Stop();
  auto delivered = publisher->Delivered();
  EXPECT_EQ(delivered.size(), static_cast<std::size_t>(kMessages));
  for (const auto& [id, n] : delivered) EXPECT_EQ(n, 1) << id;
  EXPECT_EQ(first->Count(kCtx, OutboxStatus::kCompleted), kMessages);
  for (std::size_t i = 1; i < stores.size(); ++i) stores[i]->Close();
}

// The writer and the processor use different adapters on one schema, as two processes would:
// the processor's wake-up arrives through the writer's NOTIFY and its own LISTEN thread. Its
// poll interval is an hour, so only that wake-up can deliver within the test's deadline.
TEST(PostgresOutboxProcessor, AnotherAdaptersAppendWakesTheProcessorThroughNotify) {
  auto writer = pgt::MakeAdapter();
  auto listener = pgt::MakeAdapter(postgres::Options{.schema = writer->Schema()});
  auto outbox = mink::testing::MakePgOutboxStore();
  EventStoreWithOutbox store(std::make_shared<EventStore>(writer), outbox,
                             {{.destination = "webhook:http://a"}});
  auto publisher = std::make_shared<RecordingPublisher>("webhook");
  OutboxProcessor processor(
      outbox, {.poll_interval = 1h, .publishers = {publisher}, .wake_feed = listener});
  processor.Start(kCtx);
  std::vector<double> latencies_ms;
  for (int i = 1; i <= 20; ++i) {
    const auto start = std::chrono::steady_clock::now();
    store.Append(kCtx, "Order-" + std::to_string(i),
                 {Event(mink::testing::OrderCreated{"x", "y"})});
    ASSERT_TRUE(publisher->WaitDelivered(static_cast<std::size_t>(i))) << "append " << i;
    latencies_ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count());
  }
  processor.Stop();
  std::sort(latencies_ms.begin(), latencies_ms.end());
  std::printf("append -> delivered across adapters (NOTIFY): p50 %.2f ms, max %.2f ms\n",
              latencies_ms[latencies_ms.size() / 2], latencies_ms.back());
}

}  // namespace
}  // namespace mink

// A processor in another OS process is SIGKILLed mid-batch: its claimed messages are reclaimed
// after the processing timeout and delivered by a surviving processor — nothing is lost, and
// the only duplicates are messages of the killed batch.
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>

#include "mink/outbox/processor.hpp"
#include "outbox/pg_outbox_support.hpp"
#include "outbox/recording_publisher.hpp"
#include "postgres/pg_test_support.hpp"
#include "support/child_process.hpp"

namespace mink {
namespace {

namespace pgt = postgres::testing;
using namespace std::chrono_literals;

const Context kCtx;

TEST(PostgresOutboxKill, AKilledProcessorsBatchIsReclaimedAndDeliveredNothingLost) {
  const std::string schema = pgt::UniqueSchema();
  auto store = mink::testing::MakePgOutboxStore(schema);
  pgt::AdminQuery("CREATE TABLE \"" + schema + "\".deliveries (id TEXT, pid INT)");
  constexpr int kMessages = 40;
  std::vector<OutboxMessage> ms(kMessages);
  for (int i = 0; i < kMessages; ++i) {
    ms[i].aggregate_id = "Order-" + std::to_string(i);
    ms[i].event_type = "OrderCreated";
    ms[i].destination = "webhook:http://a";
    ms[i].payload = "{}";
  }
  store->Schedule(kCtx, ms);

  std::set<std::string> killed_batch;
  {
    mink::testing::ChildProcess child(
        std::vector<std::string>{MINK_OUTBOX_CHILD, "crash", pgt::DatabaseURL(), schema});
    for (;;) {
      const std::string line = child.ReadLine(60s);
      ASSERT_FALSE(line.empty()) << "the child said nothing";
      if (line == "delivering") break;
      ASSERT_EQ(line.rfind("claimed ", 0), 0u) << line;
      killed_batch.insert(line.substr(8));
    }
    child.Kill();
    EXPECT_EQ(child.Wait(), 128 + SIGKILL);
  }
  ASSERT_EQ(killed_batch.size(), 10u);
  EXPECT_EQ(store->Count(kCtx, OutboxStatus::kProcessing), 10);

  auto publisher = std::make_shared<mink::testing::RecordingPublisher>("webhook");
  OutboxProcessor survivor(store, {.poll_interval = 20ms,
                                   .retry_backoff = 100ms,  // maintenance (reclaim) interval
                                   .processing_timeout = 1s,
                                   .publishers = {publisher}});
  survivor.Start(kCtx);
  ASSERT_TRUE(publisher->WaitDelivered(kMessages, 60s));
  survivor.Stop();

  auto delivered = publisher->Delivered();
  EXPECT_EQ(delivered.size(), static_cast<std::size_t>(kMessages));
  for (const auto& [id, n] : delivered) EXPECT_EQ(n, 1) << id;
  EXPECT_EQ(store->Count(kCtx, OutboxStatus::kCompleted), kMessages);
  // What the killed process delivered before dying was delivered again (at-least-once), and
  // it all came from its own claimed batch.
  auto by_child = pgt::AdminQuery("SELECT id FROM \"" + schema + "\".deliveries");
  EXPECT_EQ(by_child.size(), 2u);
  for (const auto& id : by_child) EXPECT_TRUE(killed_batch.contains(id)) << id;
  for (const auto& id : killed_batch) EXPECT_EQ(store->Get(kCtx, id)->attempts, 2) << id;
}

}  // namespace
}  // namespace mink

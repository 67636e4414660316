// EventStoreWithOutbox on PostgreSQL: events and messages in ONE transaction (the adapter's
// AppendWithHook), so they commit or vanish together — also across a server restart.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <set>
#include <thread>

#include "core/test_events.hpp"
#include "mink/outbox/errors.hpp"
#include "mink/outbox/event_store_with_outbox.hpp"
#include "outbox/pg_outbox_support.hpp"
#include "postgres/pg_test_support.hpp"
#include "support/error_code.hpp"

namespace mink {
namespace {

namespace pgt = postgres::testing;
using mink::testing::CodeOf;
using testing::ItemAdded;
using testing::OrderCreated;
using namespace std::chrono_literals;

const Context kCtx;

struct Fixture {
  std::shared_ptr<postgres::Adapter> adapter = pgt::MakeAdapter();
  std::shared_ptr<EventStore> events = std::make_shared<EventStore>(adapter);
  std::shared_ptr<postgres::OutboxStore> outbox = mink::testing::MakePgOutboxStore();
  EventStoreWithOutbox store{events,
                             outbox,
                             {{.event_types = {"OrderCreated"}, .destination = "kafka:orders"},
                              {.destination = "webhook:http://partner/events"}}};
};

TEST(PostgresEventStoreWithOutbox, EventsAndMessagesAreWrittenTogether) {
  Fixture f;
  EXPECT_TRUE(f.store.IsAtomic());
  f.store.Append(kCtx, "Order-1", {Event(OrderCreated{"1", "a"}), Event(ItemAdded{"x", 1, 2})});
  auto stored = f.adapter->Load(kCtx, "Order-1", 0);
  ASSERT_EQ(stored.size(), 2u);
  auto messages = f.outbox->FetchPending(kCtx, 10);
  ASSERT_EQ(messages.size(), 3u);
  std::multiset<std::string> ids;
  for (const auto& m : messages) ids.insert(m.headers.at("event-id"));
  EXPECT_EQ(ids.count(stored[0].id), 2u);
  EXPECT_EQ(ids.count(stored[1].id), 1u);
}

TEST(PostgresEventStoreWithOutbox, AFailingMessageInsertLeavesNoEvents) {
  Fixture f;
  pgt::AdminQuery("DROP TABLE " + f.outbox->QualifiedTable());
  EXPECT_EQ(CodeOf([&] {
              f.store.Append(kCtx, "Order-2", {Event(OrderCreated{"2", "b"})});
            }),
            errc::kStorageFailed);
  EXPECT_TRUE(f.adapter->Load(kCtx, "Order-2", 0).empty());
  EXPECT_EQ(f.adapter->GetLastPosition(kCtx), 0u);
}

TEST(PostgresEventStoreWithOutbox, AFailingAppendLeavesNoMessages) {
  Fixture f;
  f.store.Append(kCtx, "Order-3", {Event(OrderCreated{"3", "c"})});
  EXPECT_EQ(CodeOf([&] {
              f.store.Append(kCtx, "Order-3", {Event(OrderCreated{"3", "c"})}, NoStream);
            }),
            errc::kConcurrencyConflict);
  EXPECT_EQ(f.outbox->Count(kCtx, OutboxStatus::kPending), 2);
}

// A real restart of the server (scripts/pg-restart.sh) while a writer appends: every event
// that committed has its messages, and every message its event — nothing half-written.
TEST(PostgresEventStoreWithOutbox, EventsAndMessagesCommitOrVanishTogetherAcrossARestart) {
  const std::string restart = pgt::RestartCommand();
  if (restart.empty()) GTEST_SKIP() << "MINK_TEST_PG_RESTART is not set";
  Fixture f;
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  std::thread writer([&] {
    while (!stop) {
      try {
        f.store.Append(kCtx, "Restart-1", {Event(OrderCreated{"r", "x"})});
        ++ok;
      } catch (const Error&) {
        ++failed;
        std::this_thread::sleep_for(20ms);
      }
    }
  });
  for (int i = 0; i < 500 && ok.load() < 5; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_EQ(std::system(restart.c_str()), 0) << "restart command failed: " << restart;
  const int after_restart = ok.load();
  for (int i = 0; i < 1000 && ok.load() < after_restart + 5; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  stop = true;
  writer.join();
  EXPECT_GE(ok.load(), after_restart + 5) << "appends did not recover after the restart";
  EXPECT_GT(failed.load(), 0) << "the restart interrupted nothing: the test proved nothing";

  auto stored = f.adapter->Load(kCtx, "Restart-1", 0);
  std::set<std::string> event_ids;
  for (const auto& e : stored) event_ids.insert(e.id);
  std::multiset<std::string> message_event_ids;
  for (;;) {
    auto batch = f.outbox->FetchPending(kCtx, 1000);
    if (batch.empty()) break;
    for (const auto& m : batch) message_event_ids.insert(m.headers.at("event-id"));
  }
  EXPECT_EQ(message_event_ids.size(), 2 * event_ids.size());
  for (const auto& id : event_ids) EXPECT_EQ(message_event_ids.count(id), 2u) << id;
  for (const auto& id : message_event_ids) EXPECT_TRUE(event_ids.contains(id)) << id;
}

}  // namespace
}  // namespace mink

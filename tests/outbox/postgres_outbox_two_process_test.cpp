// Two healthy processors in two separate OS processes (mink_outbox_child deliver) share one
// PostgreSQL outbox table: every message is delivered exactly once in total — no duplicate,
// none missing — and both processes take part. The children record each delivery in a table
// of the test's schema (seq = commit order of the deliveries), the recorder both share.
//
// Both processes doing some of the work: each claims at most 5 of the 500 messages per round
// and polls every 20 ms, so one process would have to win ~100 claims in a row while the other
// sits idle; it is not a property of the outbox (one process could legitimately do it all),
// but with these numbers it practically never happens, so it is asserted to show the table
// really is shared.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "mink/outbox/store.hpp"
#include "outbox/pg_outbox_support.hpp"
#include "postgres/pg_test_support.hpp"
#include "support/child_process.hpp"

namespace mink {
namespace {

namespace pgt = postgres::testing;
using mink::testing::ChildProcess;
using namespace std::chrono_literals;

const Context kCtx;

struct Deliveries {
  std::vector<std::string> ids;                             // in seq order
  std::map<std::string, std::vector<int>> n_per_aggregate;  // payload "n", in seq order
  std::map<std::string, int> per_pid;
};

Deliveries ReadDeliveries(const std::string& schema) {
  Deliveries d;
  for (const auto& row : pgt::AdminQuery("SELECT id || ' ' || aggregate || ' ' || pid || ' ' || "
                                         "payload FROM \"" +
                                         schema + "\".deliveries ORDER BY seq")) {
    std::istringstream in(row);
    std::string id, aggregate, pid, payload;
    in >> id >> aggregate >> pid;
    std::getline(in >> std::ws, payload);
    d.ids.push_back(id);
    d.n_per_aggregate[aggregate].push_back(nlohmann::json::parse(payload)["n"].get<int>());
    ++d.per_pid[pid];
  }
  return d;
}

// Starts two children, schedules `messages` (aggregate a gets payload {"n": 0, 1, ...} in
// scheduling order), waits until all are completed, stops the children; returns the IDs.
std::set<std::string> RunTwoProcesses(const std::string& schema, OutboxStore& store, int aggregates,
                                      int per_aggregate, bool ordered) {
  pgt::AdminQuery("CREATE TABLE \"" + schema +
                  "\".deliveries (seq BIGSERIAL, id TEXT, aggregate TEXT, payload TEXT, pid INT)");
  std::vector<std::string> argv{MINK_OUTBOX_CHILD, "deliver", pgt::DatabaseURL(), schema};
  if (ordered) argv.push_back("ordered");
  ChildProcess a(argv), b(argv);
  EXPECT_EQ(a.ReadLine(60s), "ready");
  EXPECT_EQ(b.ReadLine(60s), "ready");

  std::set<std::string> ids;
  const int total = aggregates * per_aggregate;
  for (int n = 0; n < per_aggregate; ++n) {  // one Schedule per round: the children race
    std::vector<OutboxMessage> ms(aggregates);
    for (int i = 0; i < aggregates; ++i) {
      ms[i].aggregate_id = "Order-" + std::to_string(i);
      ms[i].event_type = "OrderCreated";
      ms[i].destination = "webhook:http://a";
      ms[i].payload = nlohmann::json{{"n", n}}.dump();
    }
    store.Schedule(kCtx, ms);
    for (const auto& m : ms) ids.insert(m.id);
  }
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(total));

  // Completed is recorded after the delivery committed, so once all are completed every
  // delivery is in the table. Polled with a generous deadline (sanitizer builds are slow).
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  while (store.Count(kCtx, OutboxStatus::kCompleted) < total &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(store.Count(kCtx, OutboxStatus::kCompleted), total);

  std::size_t said = 0;
  for (ChildProcess* child : {&a, &b}) {
    child->WriteLine("stop");
    const std::string line = child->ReadLine(60s);
    EXPECT_EQ(line.rfind("stopped ", 0), 0u) << line;
    if (line.rfind("stopped ", 0) == 0) said += std::stoul(line.substr(8));
    EXPECT_EQ(child->Wait(), 0);
  }
  EXPECT_EQ(said, static_cast<std::size_t>(total)) << "the children's own counts";
  return ids;
}

TEST(PostgresOutboxTwoProcesses, EachMessageIsDeliveredExactlyOnceWhileBothAreHealthy) {
  const std::string schema = pgt::UniqueSchema();
  auto store = mink::testing::MakePgOutboxStore(schema);
  constexpr int kAggregates = 50, kPerAggregate = 10;  // 500 messages
  const auto scheduled = RunTwoProcesses(schema, *store, kAggregates, kPerAggregate, false);

  const Deliveries d = ReadDeliveries(schema);
  EXPECT_EQ(d.ids.size(), scheduled.size()) << "a duplicate or a missing delivery";
  std::map<std::string, int> times;
  for (const auto& id : d.ids) ++times[id];
  for (const auto& [id, n] : times) EXPECT_EQ(n, 1) << "delivered " << n << " times: " << id;
  for (const auto& id : scheduled) EXPECT_TRUE(times.contains(id)) << "never delivered: " << id;
  ASSERT_EQ(d.per_pid.size(), 2u) << "one process did all the work";
  for (const auto& [pid, n] : d.per_pid) {
    EXPECT_GT(n, 0) << pid;
    std::printf("process %s delivered %d\n", pid.c_str(), n);
  }
  for (const auto& id : scheduled) EXPECT_EQ(store->Get(kCtx, id)->attempts, 1) << id;
}

// ordered_per_aggregate across processes: a message is not claimed while an earlier one of its
// aggregate is unfinished, so the deliveries of each aggregate commit in scheduling order even
// though the two processes take turns on it.
TEST(PostgresOutboxTwoProcesses, OrderedDeliveryKeepsEachAggregatesOrderAcrossProcesses) {
  const std::string schema = pgt::UniqueSchema();
  auto store = mink::testing::MakePgOutboxStore(schema);
  constexpr int kAggregates = 3, kPerAggregate = 30;
  const auto scheduled = RunTwoProcesses(schema, *store, kAggregates, kPerAggregate, true);

  const Deliveries d = ReadDeliveries(schema);
  EXPECT_EQ(d.ids.size(), scheduled.size());
  ASSERT_EQ(d.n_per_aggregate.size(), static_cast<std::size_t>(kAggregates));
  std::vector<int> expected(kPerAggregate);
  for (int i = 0; i < kPerAggregate; ++i) expected[i] = i;
  for (const auto& [aggregate, ns] : d.n_per_aggregate) EXPECT_EQ(ns, expected) << aggregate;
  for (const auto& [pid, n] : d.per_pid) std::printf("process %s delivered %d\n", pid.c_str(), n);
}

}  // namespace
}  // namespace mink

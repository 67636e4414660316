// Several SagaManagers, one leader: the memory LeaderElection (all-or-nothing leases, revoke)
// and two managers in one process sharing the stores — only the leader dispatches, and a
// standby takes over when the leader's lease is lost, without skipping or repeating a step.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "mink/memory/adapter.hpp"
#include "mink/memory/leader_election.hpp"
#include "mink/memory/saga_store.hpp"
#include "saga/pipeline_saga.hpp"
#include "support/error_code.hpp"
#include "support/eventually.hpp"

namespace mink::sagatest {
namespace {

using namespace std::chrono_literals;
using namespace pipeline;

const Context kCtx;

using mink::testing::Eventually;

TEST(MemoryLeaderElection, LeasesAreAllOrNothingAndEndWithTheirHolder) {
  memory::LeaderElection election;
  auto ab = election.TryAcquire(kCtx, {"a", "b"});
  ASSERT_NE(ab, nullptr);
  EXPECT_EQ(election.TryAcquire(kCtx, {"b", "c"}), nullptr);
  EXPECT_FALSE(election.IsHeld("c"));  // nothing of a refused set is kept
  auto c = election.TryAcquire(kCtx, {"c"});
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(ab->StillHeld(kCtx));
  ab.reset();
  EXPECT_FALSE(election.IsHeld("a"));
  EXPECT_NE(election.TryAcquire(kCtx, {"a", "b"}), nullptr);
}

TEST(MemoryLeaderElection, ARevokedLeaseIsLostAndItsNamesAreFree) {
  memory::LeaderElection election;
  auto lease = election.TryAcquire(kCtx, {"x", "y"});
  ASSERT_NE(lease, nullptr);
  EXPECT_TRUE(election.Revoke("y"));
  EXPECT_FALSE(lease->StillHeld(kCtx));
  auto next = election.TryAcquire(kCtx, {"x"});
  ASSERT_NE(next, nullptr);
  lease.reset();  // the lost lease's release leaves the new holder alone
  EXPECT_TRUE(election.IsHeld("x"));
  EXPECT_TRUE(next->StillHeld(kCtx));
  EXPECT_FALSE(election.Revoke("nobody"));
}

TEST(MemoryLeaderElection, BadInputIsATypedError) {
  memory::LeaderElection election;
  EXPECT_EQ(mink::testing::CodeOf([&] { election.TryAcquire(kCtx, {}); }), errc::kInvalidArgument);
  EXPECT_EQ(mink::testing::CodeOf([&] {
              election.TryAcquire(kCtx, {"a", ""});
            }),
            errc::kInvalidArgument);
  EXPECT_FALSE(election.IsHeld("a"));
  auto [done, cancel] = kCtx.WithCancel();
  cancel();
  EXPECT_EQ(mink::testing::CodeOf([&] { election.TryAcquire(done, {"a"}); }), errc::kCancelled);
}

// Two managers on the same stores and election, as two replicas of a service.
struct TwoReplicas {
  explicit TwoReplicas(std::chrono::milliseconds first_interval = 10ms) {
    RegisterPipeline(events, *bus, [this](const DoStep& c) {
      std::lock_guard lock(mutex);
      ++runs[c.id + ":" + std::to_string(c.step)];
    });
    SagaManagerOptions o;
    o.retry_attempts = 2;
    o.retry_delay = 1ms;
    o.poll_interval = 20ms;
    o.leader_election = election;
    o.leader_retry_interval = first_interval;
    for (auto& m : managers) {
      m = std::make_unique<SagaManager>(sagas, events, bus, o);
      RegisterPipelineSaga(*m);
      o.leader_retry_interval = 10ms;
    }
  }
  void Start(const std::string& id) { events->Append(kCtx, StreamOf(id), {PipelineStarted{id}}); }
  int Completed() {
    return static_cast<int>(sagas->FindByType(kCtx, kSagaType, {SagaStatus::kCompleted}).size());
  }
  int Leaders() const {
    return (managers[0]->IsLeader() ? 1 : 0) + (managers[1]->IsLeader() ? 1 : 0);
  }

  std::shared_ptr<memory::Adapter> adapter = std::make_shared<memory::Adapter>();
  std::shared_ptr<EventStore> events = std::make_shared<EventStore>(adapter);
  std::shared_ptr<CommandBus> bus = std::make_shared<CommandBus>();
  std::shared_ptr<memory::SagaStore> sagas = std::make_shared<memory::SagaStore>();
  std::shared_ptr<memory::LeaderElection> election = std::make_shared<memory::LeaderElection>();
  std::unique_ptr<SagaManager> managers[2];
  std::mutex mutex;
  std::map<std::string, int> runs;
};

TEST(SagaManagerLeader, OnlyTheLeaderFollowsTheFeed) {
  TwoReplicas r;
  auto a = r.managers[0]->StartAsync(kCtx);
  auto b = r.managers[1]->StartAsync(kCtx);
  EXPECT_TRUE(r.managers[0]->IsRunning());
  EXPECT_TRUE(r.managers[1]->IsRunning());
  ASSERT_TRUE(Eventually([&] { return r.Leaders() == 1; }));
  EXPECT_TRUE(r.election->IsHeld("saga:Pipeline"));
  EXPECT_TRUE(r.election->IsHeld("saga-checkpoint:mink-saga-manager"));
  for (int i = 0; i < 20; ++i) r.Start(std::to_string(i));
  EXPECT_TRUE(Eventually([&] { return r.Completed() == 20; }));
  EXPECT_EQ(r.Leaders(), 1);
  {
    std::lock_guard lock(r.mutex);
    EXPECT_EQ(r.runs.size(), 20u * kSteps);
    for (const auto& [step, n] : r.runs) EXPECT_EQ(n, 1) << step;
  }
  r.managers[0]->Stop();
  r.managers[1]->Stop();
  a.get();
  b.get();
  EXPECT_FALSE(r.election->IsHeld("saga:Pipeline"));  // Stop releases the lease
}

TEST(SagaManagerLeader, AStandbyTakesOverWhenTheLeaseIsLostAndNothingIsSkipped) {
  TwoReplicas r(300ms);
  auto a = r.managers[0]->StartAsync(kCtx);
  ASSERT_TRUE(Eventually([&] { return r.managers[0]->IsLeader(); }));
  auto b = r.managers[1]->StartAsync(kCtx);
  for (int i = 0; i < 10; ++i) r.Start(std::to_string(i));
  ASSERT_TRUE(Eventually([&] { return r.Completed() == 10; }));
  EXPECT_FALSE(r.managers[1]->IsLeader());

  // The leader's session "dies": it notices within its 300 ms check interval and backs off as
  // long before trying again; the standby, polling every 10 ms, takes over first.
  ASSERT_TRUE(r.election->Revoke("saga:Pipeline"));
  ASSERT_TRUE(Eventually([&] { return r.managers[1]->IsLeader() && !r.managers[0]->IsLeader(); }));
  EXPECT_TRUE(r.managers[0]->IsRunning());  // the old leader stands by
  for (int i = 10; i < 20; ++i) r.Start(std::to_string(i));
  EXPECT_TRUE(Eventually([&] { return r.Completed() == 20; }));
  EXPECT_FALSE(r.managers[0]->IsLeader());
  {
    std::lock_guard lock(r.mutex);
    EXPECT_EQ(r.runs.size(), 20u * kSteps);
    for (const auto& [step, n] : r.runs) EXPECT_EQ(n, 1) << step;
  }
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(r.events->Load(kCtx, StreamOf(std::to_string(i))).size(), 1u + kSteps) << i;
  }
  r.managers[1]->Stop();
  b.get();
  ASSERT_TRUE(Eventually([&] { return r.managers[0]->IsLeader(); }));  // and back again
  r.managers[0]->Stop();
  a.get();
}

TEST(SagaManagerLeader, StopEndsAStandbyPromptly) {
  TwoReplicas r;
  auto holder = r.election->TryAcquire(kCtx, {"saga:Pipeline"});
  auto a = r.managers[0]->StartAsync(kCtx);
  EXPECT_TRUE(r.managers[0]->IsRunning());
  EXPECT_FALSE(r.managers[0]->IsLeader());
  r.managers[0]->Stop();
  EXPECT_EQ(a.wait_for(10s), std::future_status::ready);
  a.get();
  EXPECT_FALSE(r.managers[0]->IsRunning());
}

}  // namespace
}  // namespace mink::sagatest

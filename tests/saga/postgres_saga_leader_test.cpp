// One active SagaManager per saga type across processes, on one PostgreSQL:
//   * mink::postgres::LeaderElection — a name has one holder; the lease ends with its
//     session (released, or the backend terminated) and a waiting election then wins;
//   * two real replica processes (mink_saga_child) on one schema, the leader SIGKILLed at
//     random points several times while sagas run: the standby takes over within seconds, no
//     event is skipped (every saga completes, in the same final state as an uninterrupted
//     run), and no step's effect happens twice.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "mink/memory/adapter.hpp"
#include "mink/memory/saga_store.hpp"
#include "mink/postgres/leader_election.hpp"
#include "mink/postgres/saga_store.hpp"
#include "postgres/pg_test_support.hpp"
#include "saga/pipeline_saga.hpp"
#include "support/child_process.hpp"
#include "support/error_code.hpp"

namespace mink {
namespace {

namespace pgt = postgres::testing;
namespace pl = sagatest::pipeline;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const Context kCtx;

postgres::LeaderElection Election(const std::string& schema,
                                  const std::string& app = "mink-leader") {
  return postgres::LeaderElection(
      {.url = pgt::DatabaseURL(), .schema = schema, .application_name = app});
}

TEST(PostgresLeaderElection, ANameHasOneHolderUntilItsLeaseEnds) {
  const std::string schema = pgt::UniqueSchema();
  auto first = Election(schema), second = Election(schema);
  auto lease = first.TryAcquire(kCtx, {"saga:A", "saga:B"});
  ASSERT_NE(lease, nullptr);
  EXPECT_TRUE(lease->StillHeld(kCtx));
  EXPECT_EQ(second.TryAcquire(kCtx, {"saga:B"}), nullptr);
  EXPECT_EQ(second.TryAcquire(kCtx, {"saga:C", "saga:A"}), nullptr);
  auto c = second.TryAcquire(kCtx, {"saga:C"});  // the refused set kept nothing
  ASSERT_NE(c, nullptr);
  // The same name in another schema is another lock.
  EXPECT_NE(Election(pgt::UniqueSchema()).TryAcquire(kCtx, {"saga:A"}), nullptr);
  lease.reset();
  EXPECT_NE(second.TryAcquire(kCtx, {"saga:A", "saga:B"}), nullptr);
  const auto [k1, k2] = first.LockKey("saga:C");
  EXPECT_EQ(pgt::AdminQuery("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND "
                            "classid = " +
                            std::to_string(static_cast<uint32_t>(k1)) +
                            " AND objid = " + std::to_string(static_cast<uint32_t>(k2)))[0],
            "1");
}

TEST(PostgresLeaderElection, ALeaseWhoseSessionDiedIsLostAndItsNamesAreFree) {
  const std::string schema = pgt::UniqueSchema();
  const std::string app = "mink-leader-test-" + std::to_string(getpid());
  auto holder = Election(schema, app), waiting = Election(schema);
  auto lease = holder.TryAcquire(kCtx, {"saga:A"});
  ASSERT_NE(lease, nullptr);
  EXPECT_EQ(waiting.TryAcquire(kCtx, {"saga:A"}), nullptr);
  ASSERT_EQ(pgt::TerminateBackends(app), 1);  // the holder's session dies
  std::unique_ptr<LeaderLease> next;
  for (auto deadline = Clock::now() + 10s; !next && Clock::now() < deadline;) {
    next = waiting.TryAcquire(kCtx, {"saga:A"});
    if (!next) std::this_thread::sleep_for(20ms);
  }
  ASSERT_NE(next, nullptr);
  EXPECT_FALSE(lease->StillHeld(kCtx));
  EXPECT_FALSE(lease->StillHeld(kCtx));  // lost for good
  EXPECT_TRUE(next->StillHeld(kCtx));
}

TEST(PostgresLeaderElection, BadInputIsATypedError) {
  using mink::testing::CodeOf;
  EXPECT_EQ(CodeOf([] { postgres::LeaderElection({.url = pgt::DatabaseURL(), .schema = "x;y"}); }),
            errc::kInvalidSchemaName);
  EXPECT_EQ(CodeOf([] { postgres::LeaderElection({.url = "postgresql://[::1"}); }),
            errc::kInvalidArgument);
  auto election = Election(pgt::UniqueSchema());
  EXPECT_EQ(CodeOf([&] { election.TryAcquire(kCtx, {}); }), errc::kInvalidArgument);
  EXPECT_EQ(CodeOf([&] { election.TryAcquire(kCtx, {"a", ""}); }), errc::kInvalidArgument);
  postgres::LeaderElection unreachable(
      {.url = "postgresql://mink:mink@127.0.0.1:1/none", .connect_timeout = 2s});
  EXPECT_EQ(CodeOf([&] { unreachable.TryAcquire(kCtx, {"a"}); }), errc::kConnectionFailed);
}

// The final state of one pipeline saga run by a single, uninterrupted manager (memory).
SagaState UninterruptedRun() {
  auto events = std::make_shared<EventStore>(std::make_shared<memory::Adapter>());
  auto bus = std::make_shared<CommandBus>();
  auto sagas = std::make_shared<memory::SagaStore>();
  pl::RegisterPipeline(events, *bus);
  SagaManager manager(sagas, events, bus);
  pl::RegisterPipelineSaga(manager);
  events->Append(kCtx, pl::StreamOf("0"), {pl::PipelineStarted{"0"}});
  // Each event's step appends the next event; process them in order as the feed would.
  for (uint64_t after = 0; after <= pl::kSteps; ++after) {
    for (const auto& e : events->LoadEventsFromPosition(kCtx, after, 1)) {
      manager.ProcessEvent(kCtx, e);
    }
  }
  return sagas->Load(kCtx, std::string(pl::kSagaType) + "-" + pl::StreamOf("0"));
}

// What must match between two runs (IDs, times and event IDs differ).
std::string Shape(const SagaState& s) {
  std::ostringstream out;
  out << ToString(s.status) << " step=" << s.current_step
      << " processed=" << s.processed_events.size() << " done=" << s.data.value("done", -1)
      << " failure='" << s.failure_reason << "' steps=";
  for (const auto& st : s.steps) {
    out << "[" << st.name << " " << st.index << " " << static_cast<int>(st.status) << " "
        << st.error << "]";
  }
  return out.str();
}

// A replica process and what it printed.
struct Replica {
  explicit Replica(const std::string& schema)
      : process(std::make_unique<mink::testing::ChildProcess>(
            std::vector<std::string>{MINK_SAGA_CHILD, pgt::DatabaseURL(), schema})) {}
  std::unique_ptr<mink::testing::ChildProcess> process;
  bool leader = false;
  bool alive = true;
  int ran_as_leader = 0;
};

TEST(PostgresSagaLeader, TwoProcessesOneLeaderSigkilledRepeatedlyNothingSkippedNoEffectTwice) {
  const std::string schema = pgt::UniqueSchema();
  auto adapter = pgt::MakeAdapter({.schema = schema});  // dropped with its schema at the end
  auto events = std::make_shared<EventStore>(adapter);
  events->RegisterEvents<pl::PipelineStarted, pl::StepDone>();
  auto sagas = std::make_shared<postgres::SagaStore>(
      postgres::SagaStoreOptions{.url = pgt::DatabaseURL(), .schema = schema});
  sagas->Initialize(kCtx);
  const std::string expected = Shape(UninterruptedRun());

  constexpr int kKills = 3;
  int pipelines = 0;  // appended so far: 20 at first, more while kills are still to come
  const unsigned seed = std::random_device{}();
  std::mt19937 rng(seed);
  SCOPED_TRACE("seed " + std::to_string(seed));

  std::vector<std::unique_ptr<Replica>> replicas;
  auto spawn = [&] {
    replicas.push_back(std::make_unique<Replica>(schema));
    ASSERT_EQ(replicas.back()->process->ReadLine(60s), "ready");
  };
  ASSERT_NO_FATAL_FAILURE(spawn());
  ASSERT_NO_FATAL_FAILURE(spawn());
  std::map<std::string, int> runs;  // "<pipeline> <step>" -> handler runs, all processes
  Clock::time_point killed_at{};
  std::vector<double> takeover_ms;
  // Reads what every live replica printed (up to `wait` for each).
  auto pump = [&](std::chrono::milliseconds first_wait) {
    for (auto& r : replicas) {
      if (!r->alive) continue;
      auto wait = first_wait;
      for (std::string line; !(line = r->process->ReadLine(wait)).empty(); wait = 1ms) {
        if (line.rfind("ran ", 0) == 0) {
          ++runs[line.substr(4)];
          if (r->leader) ++r->ran_as_leader;
        } else if (line.rfind("leader ", 0) == 0) {
          r->leader = true;
          r->ran_as_leader = 0;
          if (killed_at != Clock::time_point{}) {
            const Clock::time_point at{std::chrono::microseconds(std::stoll(line.substr(7)))};
            takeover_ms.push_back(
                std::chrono::duration<double, std::milli>(at - killed_at).count());
            killed_at = {};
          }
        } else if (line.rfind("standby ", 0) == 0) {
          r->leader = false;
        }
      }
    }
  };

  auto append_pipelines = [&](int n) {
    for (int i = 0; i < n; ++i, ++pipelines) {
      events->Append(kCtx, pl::StreamOf(std::to_string(pipelines)),
                     {pl::PipelineStarted{std::to_string(pipelines)}});
    }
  };
  append_pipelines(20);
  int kills = 0;
  const auto deadline = Clock::now() + 180s;
  int kill_after = std::uniform_int_distribution<int>(1, 12)(rng);
  while (Clock::now() < deadline) {
    pump(20ms);
    // Keep work coming until every kill has happened (the leader must be busy to be killed).
    if (kills < kKills && static_cast<int>(runs.size()) + 6 >= pipelines * pl::kSteps) {
      append_pipelines(5);
    }
    if (kills < kKills && killed_at == Clock::time_point{}) {
      for (auto& r : replicas) {
        if (r->alive && r->leader && r->ran_as_leader >= kill_after) {
          r->process->Kill();  // mid-run: between any two instructions of the leader
          killed_at = Clock::now();
          r->process->Wait();
          // What it printed before it died is still in the pipe.
          for (std::string line; !(line = r->process->ReadLine(200ms)).empty();) {
            if (line.rfind("ran ", 0) == 0) ++runs[line.substr(4)];
          }
          r->alive = false;
          ++kills;
          kill_after = std::uniform_int_distribution<int>(1, 12)(rng);
          ASSERT_NO_FATAL_FAILURE(spawn());  // a new standby replaces it, as an orchestrator would
          break;
        }
      }
    }
    if (kills == kKills && killed_at == Clock::time_point{} &&
        static_cast<int>(sagas->FindByType(kCtx, pl::kSagaType, {SagaStatus::kCompleted}).size()) ==
            pipelines) {
      break;
    }
  }
  for (auto& r : replicas) {
    if (!r->alive) continue;
    r->process->WriteLine("stop");
    // Everything it printed up to its exit (a last "ran" line may still be in the pipe).
    for (std::string line; !(line = r->process->ReadLine(10s)).empty();) {
      if (line.rfind("ran ", 0) == 0) ++runs[line.substr(4)];
    }
    EXPECT_EQ(r->process->Wait(), 0);
  }

  EXPECT_EQ(kills, kKills) << "the leader did not make progress to be killed";
  const auto all = sagas->FindByType(kCtx, pl::kSagaType, {});
  EXPECT_EQ(all.size(), static_cast<std::size_t>(pipelines));
  for (const auto& s : all) EXPECT_EQ(Shape(s), expected) << s.id;
  // Each step's effect exactly once: the stream holds PipelineStarted + StepDone 1..kSteps.
  for (int i = 0; i < pipelines; ++i) {
    const auto stream = events->Load(kCtx, pl::StreamOf(std::to_string(i)));
    ASSERT_EQ(stream.size(), 1u + pl::kSteps) << i;
    for (int k = 1; k <= pl::kSteps; ++k) EXPECT_EQ(stream[k].As<pl::StepDone>().step, k) << i;
  }
  // Every step ran; a second run of a handler is possible only for a command a killed leader
  // had in flight (its reservation expired unfinished), so at most one per kill.
  int reruns = 0;
  EXPECT_EQ(runs.size(), static_cast<std::size_t>(pipelines * pl::kSteps));
  for (const auto& [step, n] : runs) reruns += n - 1;
  EXPECT_LE(reruns, kKills);
  ASSERT_EQ(takeover_ms.size(), static_cast<std::size_t>(kKills));
  for (double ms : takeover_ms) EXPECT_LT(ms, 10000.0);
  std::cout << "[ figures  ] sagas=" << pipelines << " kills=" << kills
            << " handler re-runs=" << reruns << " takeover ms:";
  for (double ms : takeover_ms) std::cout << " " << static_cast<int>(ms);
  std::cout << std::endl;
}

}  // namespace
}  // namespace mink

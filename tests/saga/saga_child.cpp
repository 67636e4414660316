// A separate OS process for the multi-process saga tests (postgres_saga_leader_test.cpp): one
// replica of a service running a SagaManager with the PostgreSQL event store, saga store,
// idempotency store and leader election, all on the test's schema.
//
//   mink_saga_child <url> <schema>
//     prints "ready" once the manager runs (leading or standing by), "leader <t>" / "standby <t>"
//     when that changes (t: steady-clock microseconds), and "ran <pipeline> <step>" each time the
//     DoStep handler runs (before its effect). Ends cleanly on "stop" or end of input; the tests
//     SIGKILL it mid-run.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>

#include "mink/idempotency/middleware.hpp"
#include "mink/postgres/adapter.hpp"
#include "mink/postgres/idempotency_store.hpp"
#include "mink/postgres/leader_election.hpp"
#include "mink/postgres/saga_store.hpp"
#include "mink/saga/command_ids.hpp"
#include "saga/pipeline_saga.hpp"

namespace {

std::mutex out_mutex;

// One whole line per write, so a SIGKILL never leaves half a line in the pipe.
void Say(const std::string& line) {
  const std::string data = line + "\n";
  std::lock_guard lock(out_mutex);
  if (write(STDOUT_FILENO, data.data(), data.size()) < 0) _exit(3);
}

}  // namespace

int main(int argc, char** argv) try {
  using namespace std::chrono_literals;
  namespace pl = mink::sagatest::pipeline;
  if (argc != 3) {
    std::cerr << "usage: mink_saga_child <url> <schema>\n";
    return 2;
  }
  const std::string url = argv[1], schema = argv[2];
  const mink::Context ctx;
  auto adapter = std::make_shared<mink::postgres::Adapter>(
      mink::postgres::Options{.url = url, .schema = schema});
  adapter->Initialize(ctx);
  auto events = std::make_shared<mink::EventStore>(adapter);
  auto sagas = std::make_shared<mink::postgres::SagaStore>(
      mink::postgres::SagaStoreOptions{.url = url, .schema = schema});
  sagas->Initialize(ctx);
  auto keys = std::make_shared<mink::postgres::IdempotencyStore>(
      mink::postgres::IdempotencyStoreOptions{.url = url, .schema = schema});
  keys->Initialize(ctx);

  auto bus = std::make_shared<mink::CommandBus>();
  mink::IdempotencyConfig idempotency = mink::DefaultIdempotencyConfig(keys);
  idempotency.key_func = mink::SagaIdempotencyKey;
  // A killed replica's reservation blocks its command for this long; the saga's retries
  // (below) outlast it, and then the command runs again (its effect is version-guarded).
  idempotency.reservation_ttl = 2s;
  bus->Use(mink::IdempotencyMiddleware(idempotency));
  pl::RegisterPipeline(
      events, *bus, [](const pl::DoStep& c) { Say("ran " + c.id + " " + std::to_string(c.step)); });

  mink::SagaManagerOptions options;
  options.retry_attempts = 8;  // 50 ms doubling: about 6 s of retries in all
  options.retry_delay = 50ms;
  options.poll_interval = 50ms;
  options.leader_election = std::make_shared<mink::postgres::LeaderElection>(
      mink::postgres::LeaderElectionOptions{.url = url, .schema = schema});
  options.leader_retry_interval = 100ms;
  mink::SagaManager manager(sagas, events, bus, options);
  pl::RegisterPipelineSaga(manager);
  auto running = manager.StartAsync(ctx);
  Say("ready");

  std::atomic<bool> stop{false};
  std::thread watch([&] {
    bool leading = false;
    while (!stop.load()) {
      if (manager.IsLeader() != leading) {
        leading = !leading;
        // With the steady clock's time (CLOCK_MONOTONIC: the same in every process), so the
        // test measures the take-over from the kill, not from when it read this line.
        const auto now = std::chrono::duration_cast<std::chrono::microseconds>(
            std::chrono::steady_clock::now().time_since_epoch());
        Say(std::string(leading ? "leader " : "standby ") + std::to_string(now.count()));
      }
      std::this_thread::sleep_for(5ms);
    }
  });
  std::string line;
  while (std::getline(std::cin, line) && line != "stop") {
  }
  stop.store(true);
  watch.join();
  manager.Stop();
  running.get();
  return 0;
} catch (const std::exception& e) {
  std::cerr << "mink_saga_child: " << e.what() << "\n";
  return 1;
}

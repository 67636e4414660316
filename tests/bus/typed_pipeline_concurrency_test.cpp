// One typed mink::Pipeline (every built-in) shared by every dispatching thread: the stages are
// const and shared, each dispatch has its own `next`, so concurrent dispatches must not
// interfere. Runs under TSan (label "concurrency").
#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <mutex>
#include <set>
#include <thread>

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include "bus/test_commands.hpp"
#include "mink/memory/idempotency_store.hpp"

namespace mink::testing {
namespace {

TEST(TypedPipelineConcurrency, OnePipelineDispatchedFromManyThreads) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 200;
  auto logger = std::make_shared<spdlog::logger>("typed-concurrency",
                                                 std::make_shared<spdlog::sinks::null_sink_mt>());
  logger->set_level(spdlog::level::warn);
  auto recorder = std::make_shared<FakeRecorder>();
  auto store = std::make_shared<memory::IdempotencyStore>();

  Pipeline pipeline{
      ValidationMiddleware(),
      RecoveryMiddleware(),
      LoggingMiddleware(logger),
      MetricsMiddleware(recorder),
      TimeoutMiddleware(std::chrono::seconds(30)),
      RetryMiddleware({.max_attempts = 2, .initial_delay = std::chrono::milliseconds(1)}),
      CorrelationIDMiddleware(),
      CausationIDMiddleware(),
      TenantMiddleware(),
      OnlyFor<IsIdempotentCommand>(IdempotencyMiddleware(DefaultIdempotencyConfig(store))),
  };
  std::atomic<int> handled = 0;
  std::atomic<int> failures = 0;  // each thread's first command fails once, then is retried
  std::mutex seen_mutex;
  std::set<std::string> correlations;
  CommandBus bus;
  bus.Register<AddItem>(pipeline, [&](const Context& ctx, const AddItem& cmd) -> CommandResult {
    thread_local std::string failed_once;  // a retry runs on the dispatching thread
    if (cmd.quantity == 1 && failed_once != cmd.GetCommandID()) {
      failed_once = cmd.GetCommandID();
      ++failures;
      throw ConcurrencyError("S", 0, 1);  // transient: retried
    }
    ++handled;
    EXPECT_EQ(ctx.TenantID(), "tenant-" + cmd.order_id);
    EXPECT_EQ(ctx.CausationID(), cmd.GetCommandID());
    {
      std::lock_guard lock(seen_mutex);
      correlations.insert(ctx.CorrelationID());
    }
    return NewSuccessResult(cmd.order_id, cmd.quantity);
  });

  std::latch start(kThreads);
  std::atomic<int> ok = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < kPerThread; ++i) {
        AddItem cmd{.order_id = std::to_string(t), .sku = "sku", .quantity = i + 1};
        cmd.client_request_id = "req-" + std::to_string(t) + "-" + std::to_string(i);
        cmd.SetTenantID("tenant-" + cmd.order_id);
        CommandResult r = bus.Dispatch(Context{}, cmd);
        if (r.IsSuccess() && r.aggregate_id == cmd.order_id && r.version == i + 1) ++ok;
      }
    });
  }
  for (auto& thread : threads) thread.join();

  constexpr int kTotal = kThreads * kPerThread;
  EXPECT_EQ(ok.load(), kTotal);
  EXPECT_EQ(handled.load(), kTotal);
  EXPECT_EQ(failures.load(), kThreads);
  EXPECT_EQ(recorder->calls().size(), static_cast<std::size_t>(kTotal));
  EXPECT_EQ(correlations.size(), static_cast<std::size_t>(kTotal)) << "one fresh ID each";
  EXPECT_EQ(store->Len(), static_cast<std::size_t>(kTotal)) << "every result recorded";

  // A duplicate replays from the store without running the handler.
  AddItem again{.order_id = "0", .sku = "sku", .quantity = 1};
  again.client_request_id = "req-0-0";
  again.SetTenantID("tenant-0");
  EXPECT_EQ(bus.Dispatch(Context{}, again).aggregate_id, "0");
  EXPECT_EQ(handled.load(), kTotal);
}

}  // namespace
}  // namespace mink::testing

// CommandBus under concurrency: Close drains in-flight work; Dispatch, Use and Register race.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <latch>
#include <thread>

#include "bus/test_commands.hpp"

namespace mink::testing {
namespace {

TEST(CommandBusConcurrency, CloseWaitsForInFlightDispatches) {
  CommandBus bus;
  std::latch entered(2);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> finished = 0;
  bus.RegisterFunc("Ping", [&](const Context&, const AnyCommand&) {
    entered.count_down();
    released.wait();
    ++finished;
    return NewSuccessResult("", 0);
  });
  std::future<CommandResult> a = bus.DispatchAsync(Context{}, Ping{});
  std::thread b([&] { bus.Dispatch(Context{}, Ping{}); });
  entered.wait();  // both handlers are running

  std::atomic<bool> close_returned = false;
  std::thread closer([&] {
    bus.Close();
    close_returned = true;
  });
  // Close refuses new work as soon as it has started; wait for that, not for time.
  while (!bus.IsClosed()) std::this_thread::yield();
  EXPECT_THROW(bus.Dispatch(Context{}, Ping{}), Error);
  EXPECT_FALSE(close_returned);  // the two handlers are still blocked on `released`
  EXPECT_EQ(finished, 0);

  release.set_value();
  closer.join();
  b.join();
  EXPECT_TRUE(close_returned);
  EXPECT_EQ(finished, 2);
  EXPECT_EQ(a.wait_for(std::chrono::seconds(0)), std::future_status::ready);  // ready by Close
  EXPECT_TRUE(a.get().IsSuccess());
}

TEST(CommandBusConcurrency, ConcurrentDispatchUseAndRegisterAreSafe) {
  CommandBus bus;
  bus.Register(PingHandler());
  std::atomic<int> middleware_runs = 0;
  constexpr int kDispatchers = 4;
  constexpr int kPerThread = 300;
  std::atomic<int> ok = 0;
  std::latch start(kDispatchers + 2);

  std::vector<std::thread> threads;
  for (int t = 0; t < kDispatchers; ++t) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      for (int i = 0; i < kPerThread; ++i) {
        if (bus.Dispatch(Context{}, Ping{}).IsSuccess()) ++ok;
      }
    });
  }
  threads.emplace_back([&] {
    start.arrive_and_wait();
    for (int i = 0; i < 50; ++i) {
      bus.Use([&](const Context& ctx, const AnyCommand& cmd, Next next) {
        ++middleware_runs;
        return next(ctx, cmd);
      });
    }
  });
  threads.emplace_back([&] {
    start.arrive_and_wait();
    for (int i = 0; i < 50; ++i) {
      bus.Register(NewCommandHandlerFunc(
          "Other" + std::to_string(i),
          [](const Context&, const AnyCommand&) { return NewSuccessResult("", 0); }));
      bus.Register(PingHandler());  // replaces the Ping handler while it is being used
    }
  });
  for (std::thread& t : threads) t.join();

  EXPECT_EQ(ok, kDispatchers * kPerThread);
  EXPECT_EQ(bus.MiddlewareCount(), 50u);
  EXPECT_EQ(bus.HandlerCount(), 51u);
  const int before = middleware_runs;
  bus.Dispatch(Context{}, Ping{});
  EXPECT_EQ(middleware_runs - before, 50);  // all middleware apply once registration is done
}

TEST(CommandBusConcurrency, ManyAsyncDispatchesAllComplete) {
  CommandBus bus;
  std::atomic<int> handled = 0;
  bus.RegisterFunc("Ping", [&](const Context&, const AnyCommand&) {
    ++handled;
    return NewSuccessResult("", 0);
  });
  std::vector<std::future<CommandResult>> futures;
  for (int i = 0; i < 64; ++i) futures.push_back(bus.DispatchAsync(Context{}, Ping{}));
  bus.Close();  // waits for all of them
  EXPECT_EQ(handled, 64);
  for (auto& f : futures) EXPECT_TRUE(f.get().IsSuccess());
}

TEST(CommandBusConcurrency, DestroyingTheBusWaitsForAsyncDispatches) {
  std::atomic<int> handled = 0;
  std::vector<std::future<CommandResult>> futures;
  {
    CommandBus bus;
    bus.RegisterFunc("Ping", [&](const Context&, const AnyCommand&) {
      std::this_thread::yield();
      ++handled;
      return NewSuccessResult("", 0);
    });
    for (int i = 0; i < 16; ++i) futures.push_back(bus.DispatchAsync(Context{}, Ping{}));
  }
  EXPECT_EQ(handled, 16);
  for (auto& f : futures) EXPECT_TRUE(f.get().IsSuccess());
}

}  // namespace
}  // namespace mink::testing

// CommandBus: registration, dispatch, the pipeline order, async, DispatchAll, Close.
#include <gtest/gtest.h>

#include <future>

#include "bus/test_commands.hpp"

namespace mink::testing {
namespace {

Middleware Recording(std::vector<std::string>& log, std::string name) {
  return [&log, name](const Context& ctx, const AnyCommand& cmd, Next next) {
    log.push_back(name + "-before");
    CommandResult r = next(ctx, cmd);
    log.push_back(name + "-after");
    return r;
  };
}

TEST(CommandBus, DispatchesToTheRegisteredHandler) {
  CommandBus bus;
  bus.Register(PingHandler("p1"));
  EXPECT_TRUE(bus.HasHandler("Ping"));
  EXPECT_FALSE(bus.HasHandler("CreateOrder"));
  EXPECT_EQ(bus.HandlerCount(), 1u);
  CommandResult r = bus.Dispatch(Context{}, Ping{});
  EXPECT_TRUE(r.IsSuccess());
  EXPECT_EQ(r.aggregate_id, "p1");
}

TEST(CommandBus, RegisterFuncAndReplacingAHandler) {
  CommandBus bus;
  bus.RegisterFunc("Ping",
                   [](const Context&, const AnyCommand&) { return NewSuccessResult("a", 1); });
  bus.RegisterFunc("Ping",
                   [](const Context&, const AnyCommand&) { return NewSuccessResult("b", 1); });
  EXPECT_EQ(bus.HandlerCount(), 1u);
  EXPECT_EQ(bus.Dispatch(Context{}, Ping{}).aggregate_id, "b");
}

TEST(CommandBus, UnknownTypeThrowsHandlerNotFoundWithoutRunningMiddleware) {
  CommandBus bus;
  std::vector<std::string> log;
  bus.Use(Recording(log, "mw"));
  try {
    bus.Dispatch(Context{}, CreateOrder{.customer_id = "c"});
    FAIL() << "expected HandlerNotFoundError";
  } catch (const HandlerNotFoundError& e) {
    EXPECT_EQ(e.code(), errc::kHandlerNotFound);
    EXPECT_EQ(e.CommandType(), "CreateOrder");
  }
  EXPECT_TRUE(log.empty());
}

TEST(CommandBus, MiddlewareRunsInRegistrationOrderFirstOutermost) {
  CommandBus bus;
  std::vector<std::string> log;
  bus.Use(Recording(log, "mw1"));
  bus.Use(Recording(log, "mw2"));
  bus.RegisterFunc("Ping", [&](const Context&, const AnyCommand&) {
    log.push_back("handler");
    return NewSuccessResult("", 0);
  });
  EXPECT_EQ(bus.MiddlewareCount(), 2u);
  bus.Dispatch(Context{}, Ping{});
  EXPECT_EQ(log, (std::vector<std::string>{"mw1-before", "mw2-before", "handler", "mw2-after",
                                           "mw1-after"}));
}

TEST(CommandBus, MiddlewareCanShortCircuit) {
  CommandBus bus;
  bool handler_called = false;
  bus.Use([](const Context&, const AnyCommand&, Next) -> CommandResult {
    throw DomainError("blocked");
  });
  bus.RegisterFunc("Ping", [&](const Context&, const AnyCommand&) {
    handler_called = true;
    return NewSuccessResult("", 0);
  });
  EXPECT_THROW(bus.Dispatch(Context{}, Ping{}), DomainError);
  EXPECT_FALSE(handler_called);

  CommandBus bus2;
  bus2.Use([](const Context&, const AnyCommand&, Next) { return NewSuccessResult("cached", 4); });
  bus2.Register(PingHandler("real"));
  EXPECT_EQ(bus2.Dispatch(Context{}, Ping{}).aggregate_id, "cached");
}

TEST(CommandBus, MiddlewareCanReplaceTheContext) {
  CommandBus bus;
  bus.Use([](const Context& ctx, const AnyCommand& cmd, Next next) {
    return next(ctx.WithUserID("user-7").WithValue(std::string("k"), 42), cmd);
  });
  std::string seen_user;
  int seen_value = 0;
  bus.RegisterFunc("Ping", [&](const Context& ctx, const AnyCommand&) {
    seen_user = ctx.UserID();
    seen_value = *ctx.Value<int>("k");
    return NewSuccessResult("", 0);
  });
  bus.Dispatch(Context{}, Ping{});
  EXPECT_EQ(seen_user, "user-7");
  EXPECT_EQ(seen_value, 42);
}

TEST(CommandBus, GivesEveryCommandAnIdAndKeepsAGivenOne) {
  CommandBus bus;
  std::vector<std::string> ids;
  bus.RegisterFunc("CreateOrder", [&](const Context& ctx, const AnyCommand& cmd) {
    ids.push_back(cmd.Base().GetCommandID());
    EXPECT_EQ(CommandIDFromContext(ctx), cmd.Base().GetCommandID());
    return NewSuccessResult("", 0);
  });
  bus.Dispatch(Context{}, CreateOrder{.customer_id = "c"});
  bus.Dispatch(Context{}, CreateOrder{.customer_id = "c"});
  CreateOrder given{.customer_id = "c"};
  given.SetCommandID("given-id");
  bus.Dispatch(Context{}, given);
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_EQ(ids[0].size(), 36u);
  EXPECT_NE(ids[0], ids[1]);
  EXPECT_EQ(ids[2], "given-id");
}

TEST(CommandBus, NestedDispatchRecordsTheOuterCommandAsCausation) {
  CommandBus bus;
  std::string outer_id;
  std::string inner_causation;
  bus.RegisterFunc("CreateOrder", [&](const Context& ctx, const AnyCommand& cmd) {
    outer_id = cmd.Base().GetCommandID();
    return bus.Dispatch(ctx, Ping{});
  });
  bus.RegisterFunc("Ping", [&](const Context&, const AnyCommand& cmd) {
    inner_causation = cmd.Base().GetCausationID();
    return NewSuccessResult("", 0);
  });
  bus.Dispatch(Context{}, CreateOrder{.customer_id = "c"});
  EXPECT_FALSE(outer_id.empty());
  EXPECT_EQ(inner_causation, outer_id);
}

TEST(CommandBus, DoneContextIsRefused) {
  CommandBus bus;
  bus.Register(PingHandler());
  auto [ctx, cancel] = Context{}.WithCancel();
  cancel();
  try {
    bus.Dispatch(ctx, Ping{});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), errc::kCancelled);
  }
}

TEST(CommandBus, EmptyCommandAndNullRegistrationsAreRejected) {
  CommandBus bus;
  AnyCommand cmd(Ping{});
  AnyCommand moved = std::move(cmd);
  EXPECT_THROW(bus.Dispatch(Context{}, std::move(cmd)), Error);  // NOLINT(bugprone-use-after-move)
  EXPECT_THROW(bus.Register(nullptr), Error);
  EXPECT_THROW(bus.Use(Middleware{}), Error);
}

TEST(CommandBus, DispatchAsyncDeliversResultsAndExceptionsThroughTheFuture) {
  CommandBus bus;
  bus.Register(PingHandler("async"));
  std::future<CommandResult> ok = bus.DispatchAsync(Context{}, Ping{});
  EXPECT_EQ(ok.get().aggregate_id, "async");
  std::future<CommandResult> missing =
      bus.DispatchAsync(Context{}, CreateOrder{.customer_id = "c"});
  EXPECT_THROW(missing.get(), HandlerNotFoundError);
}

TEST(CommandBus, DispatchAllContinuesAfterAFailure) {
  CommandBus bus;
  bus.Use(ValidationMiddleware());
  bus.Register(PingHandler("p"));
  bus.RegisterFunc("CreateOrder", [](const Context&, const AnyCommand& cmd) {
    return NewSuccessResult(cmd.As<CreateOrder>().customer_id, 1);
  });
  std::vector<DispatchResult> results =
      bus.DispatchAll(Context{}, CreateOrder{}, Ping{}, CreateOrder{.customer_id = "c2"});
  ASSERT_EQ(results.size(), 3u);
  EXPECT_FALSE(results[0].IsSuccess());
  EXPECT_TRUE(ErrorIs(results[0].error, errc::kValidationFailed));
  EXPECT_TRUE(results[0].result.HasError(errc::kValidationFailed));
  EXPECT_TRUE(results[1].IsSuccess());
  EXPECT_TRUE(results[2].IsSuccess());
  EXPECT_EQ(results[2].result.aggregate_id, "c2");
}

TEST(CommandBus, DispatchAllStopsRunningCommandsOnceTheContextIsCancelled) {
  CommandBus bus;
  auto [ctx, cancel] = Context{}.WithCancel();
  int runs = 0;
  bus.RegisterFunc("Ping", [&, cancel = cancel](const Context&, const AnyCommand&) {
    ++runs;
    cancel();
    return NewSuccessResult("", 0);
  });
  std::vector<DispatchResult> results = bus.DispatchAll(ctx, Commands{Ping{}, Ping{}, Ping{}});
  EXPECT_EQ(runs, 1);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_TRUE(results[0].IsSuccess());
  EXPECT_TRUE(ErrorIs(results[1].error, errc::kCancelled));
  EXPECT_TRUE(ErrorIs(results[2].error, errc::kCancelled));
}

TEST(CommandBus, ClosedBusRefusesDispatchAndCloseIsIdempotent) {
  CommandBus bus;
  bus.Register(PingHandler());
  EXPECT_FALSE(bus.IsClosed());
  bus.Close();
  bus.Close();
  EXPECT_TRUE(bus.IsClosed());
  try {
    bus.Dispatch(Context{}, Ping{});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), errc::kCommandBusClosed);
  }
  EXPECT_THROW(bus.DispatchAsync(Context{}, Ping{}).get(), Error);
}

TEST(CommandBus, CloseFromInsideAHandlerThrowsInsteadOfDeadlocking) {
  CommandBus bus;
  bus.RegisterFunc("Ping", [&](const Context&, const AnyCommand&) {
    bus.Close();
    return NewSuccessResult("", 0);
  });
  try {
    bus.Dispatch(Context{}, Ping{});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), errc::kInvalidArgument);
  }
  EXPECT_FALSE(bus.IsClosed());
}

}  // namespace
}  // namespace mink::testing

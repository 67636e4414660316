// Built-in middleware: validation, recovery, logging, metrics, timeout, conditional.
#include <gtest/gtest.h>

#include <sstream>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "bus/test_commands.hpp"
#include "core/test_events.hpp"
#include "mink/memory/adapter.hpp"

namespace mink::testing {
namespace {

struct Throws {
  static constexpr std::string_view kCommandType = "Throws";
  std::string what;
  bool std_exception = true;
  void Validate() const {}
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(Throws, what, std_exception)
};

CommandHandlerFn Thrower() {
  return [](const Context&, const AnyCommand& cmd) -> CommandResult {
    const Throws& t = cmd.As<Throws>();
    if (t.std_exception) throw std::out_of_range(t.what);
    throw 42;
  };
}

TEST(ValidationMiddleware, InvalidCommandNeverReachesTheHandler) {
  CommandBus bus;
  bus.Use(ValidationMiddleware());
  int calls = 0;
  bus.RegisterFunc("CreateOrder", [&](const Context&, const AnyCommand&) {
    ++calls;
    return NewSuccessResult("", 0);
  });
  try {
    bus.Dispatch(Context{}, CreateOrder{});
    FAIL();
  } catch (const ValidationError& e) {
    EXPECT_EQ(e.command_type(), "CreateOrder");
    EXPECT_EQ(e.field(), "CustomerID");
  }
  EXPECT_EQ(calls, 0);
  EXPECT_TRUE(bus.Dispatch(Context{}, CreateOrder{.customer_id = "c"}).IsSuccess());
  EXPECT_EQ(calls, 1);
}

struct Picky {
  static constexpr std::string_view kCommandType = "Picky";
  void Validate() const { throw std::invalid_argument("too picky"); }
};

TEST(ValidationMiddleware, NonMinkExceptionFromValidateBecomesAValidationError) {
  CommandBus bus;
  bus.Use(ValidationMiddleware());
  bus.RegisterFunc("Picky",
                   [](const Context&, const AnyCommand&) { return NewSuccessResult("", 0); });
  try {
    bus.Dispatch(Context{}, Picky{});
    FAIL();
  } catch (const ValidationError& e) {
    EXPECT_EQ(e.message(), "too picky");
  }
}

TEST(RecoveryMiddleware, StdExceptionBecomesPanicErrorWithTypeWhatAndCommandData) {
  CommandBus bus;
  bus.Use(RecoveryMiddleware());
  bus.RegisterFunc("Throws", Thrower());
  try {
    bus.Dispatch(Context{}, Throws{.what = "index 9"});
    FAIL();
  } catch (const PanicError& e) {
    EXPECT_EQ(e.code(), errc::kHandlerFailed);
    EXPECT_EQ(e.command_type(), "Throws");
    EXPECT_NE(e.value().find("std::out_of_range"), std::string::npos) << e.value();
    EXPECT_NE(e.value().find("index 9"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("Throws"), std::string::npos);
    EXPECT_EQ(nlohmann::json::parse(e.command_data())["what"], "index 9");
    EXPECT_THROW(std::rethrow_exception(e.Cause()), std::out_of_range);
  }
}

TEST(RecoveryMiddleware, NonStdExceptionIsRecoveredToo) {
  CommandBus bus;
  bus.Use(RecoveryMiddleware());
  bus.RegisterFunc("Throws", Thrower());
  try {
    bus.Dispatch(Context{}, Throws{.std_exception = false});
    FAIL();
  } catch (const PanicError& e) {
    EXPECT_EQ(e.value(), "unknown exception");
  }
}

TEST(RecoveryMiddleware, MinkErrorsPassUnchanged) {
  CommandBus bus;
  bus.Use(RecoveryMiddleware());
  bus.RegisterFunc("Ping", [](const Context&, const AnyCommand&) -> CommandResult {
    throw ConcurrencyError("Order-1", 1, 2);
  });
  EXPECT_THROW(bus.Dispatch(Context{}, Ping{}), ConcurrencyError);
}

TEST(LoggingMiddleware, LogsStartCompletionAndFailure) {
  std::ostringstream out;
  auto logger = std::make_shared<spdlog::logger>(
      "bus-test", std::make_shared<spdlog::sinks::ostream_sink_st>(out));
  logger->set_level(spdlog::level::debug);
  logger->set_pattern("%l %v");
  CommandBus bus;
  bus.Use(LoggingMiddleware(logger));
  bus.Register(PingHandler("agg-1"));
  bus.RegisterFunc("Throws", Thrower());
  bus.RegisterFunc("CreateOrder", [](const Context&, const AnyCommand&) {
    return NewErrorResult(DomainError("no stock"));
  });

  bus.Dispatch(Context{}, Ping{});
  EXPECT_THROW(bus.Dispatch(Context{}, Throws{.what = "boom"}), std::out_of_range);
  bus.Dispatch(Context{}, CreateOrder{.customer_id = "c"});

  const std::string text = out.str();
  EXPECT_NE(text.find("debug dispatching command Ping"), std::string::npos) << text;
  EXPECT_NE(text.find("info command Ping completed in"), std::string::npos) << text;
  EXPECT_NE(text.find("(aggregate agg-1, version 1)"), std::string::npos) << text;
  EXPECT_NE(text.find("error command Throws failed after"), std::string::npos) << text;
  EXPECT_NE(text.find("boom"), std::string::npos) << text;
  EXPECT_NE(text.find("warning command CreateOrder returned an error result"), std::string::npos)
      << text;
}

TEST(MetricsMiddleware, RecordsSuccessErrorResultsAndExceptions) {
  auto recorder = std::make_shared<FakeRecorder>();
  CommandBus bus;
  bus.Use(MetricsMiddleware(recorder));
  bus.Register(PingHandler());
  bus.RegisterFunc("CreateOrder", [](const Context&, const AnyCommand&) {
    return NewErrorResult(DomainError("no"));
  });
  bus.RegisterFunc("Throws", Thrower());

  bus.Dispatch(Context{}, Ping{});
  bus.Dispatch(Context{}, CreateOrder{.customer_id = "c"});
  EXPECT_THROW(bus.Dispatch(Context{}, Throws{.what = "x"}), std::out_of_range);

  auto calls = recorder->calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(recorder->started(), (std::vector<std::string>{"Ping", "CreateOrder", "Throws"}));
  EXPECT_EQ(calls[0].type, "Ping");
  EXPECT_TRUE(calls[0].success);
  EXPECT_FALSE(calls[0].error);
  EXPECT_FALSE(calls[1].success);
  EXPECT_TRUE(ErrorIs(calls[1].error, errc::kDomain));
  EXPECT_FALSE(calls[2].success);
  EXPECT_THROW(std::rethrow_exception(calls[2].error), std::out_of_range);
}

// Regression: a recorder that throws neither fails a command that ran nor records it twice.
TEST(MetricsMiddleware, AThrowingRecorderDoesNotFailTheCommand) {
  class ThrowingRecorder : public MetricsRecorder {
   public:
    void RecordCommand(std::string_view, std::chrono::nanoseconds, bool,
                       const std::exception_ptr&) override {
      ++calls;
      throw std::runtime_error("metrics backend down");
    }
    std::atomic<int> calls{0};
  };
  auto recorder = std::make_shared<ThrowingRecorder>();
  CommandBus bus;
  bus.Use(MetricsMiddleware(recorder));
  bus.Register(PingHandler());
  EXPECT_TRUE(bus.Dispatch(Context{}, Ping{}).IsSuccess());
  EXPECT_EQ(recorder->calls.load(), 1);
}

TEST(TimeoutMiddleware, HandlerSeesTheDeadlineAndCooperativeWaitsEndAtIt) {
  CommandBus bus;
  bus.Use(TimeoutMiddleware(std::chrono::milliseconds(20)));
  bus.RegisterFunc("Ping", [](const Context& ctx, const AnyCommand&) -> CommandResult {
    EXPECT_TRUE(ctx.Deadline().has_value());
    ctx.SleepFor(std::chrono::minutes(5));  // returns at the deadline
    ctx.ThrowIfDone();
    return NewSuccessResult("", 0);
  });
  try {
    bus.Dispatch(Context{}, Ping{});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), errc::kDeadlineExceeded);
  }
}

TEST(TimeoutMiddleware, HandlerIgnoringTheDeadlineHasItsResultReturned) {
  CommandBus bus;
  bus.Use(TimeoutMiddleware(std::chrono::milliseconds(1)));
  bus.RegisterFunc("Ping", [](const Context& ctx, const AnyCommand&) {
    while (!ctx.DeadlineExceeded()) std::this_thread::yield();  // busy, never checks ctx
    return NewSuccessResult("finished anyway", 1);
  });
  EXPECT_EQ(bus.Dispatch(Context{}, Ping{}).aggregate_id, "finished anyway");
}

TEST(TimeoutMiddleware, StoreRefusesWritesAfterTheDeadline) {
  EventStore store(std::make_shared<memory::Adapter>());
  store.RegisterEvents<OrderCreated>();
  CommandBus bus;
  bus.Use(TimeoutMiddleware(std::chrono::milliseconds(1)));
  bus.RegisterFunc("Ping", [&](const Context& ctx, const AnyCommand&) {
    while (!ctx.DeadlineExceeded()) std::this_thread::yield();
    store.Append(ctx, "Order-late", {OrderCreated{"late", "c"}});
    return NewSuccessResult("late", 1);
  });
  try {
    bus.Dispatch(Context{}, Ping{});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), errc::kDeadlineExceeded);
  }
  EXPECT_TRUE(store.Load(Context{}, "Order-late").empty());
  EXPECT_THROW(TimeoutMiddleware(std::chrono::seconds(0)), Error);
}

TEST(ConditionalMiddleware, AppliesOnlyToMatchingCommands) {
  CommandBus bus;
  std::vector<std::string> seen;
  bus.Use(CommandTypeMiddleware({"CreateOrder"},
                                [&](const Context& ctx, const AnyCommand& cmd, Next next) {
                                  seen.emplace_back(cmd.CommandType());
                                  return next(ctx, cmd);
                                }));
  bus.Register(PingHandler());
  bus.RegisterFunc("CreateOrder",
                   [](const Context&, const AnyCommand&) { return NewSuccessResult("", 0); });
  bus.Dispatch(Context{}, Ping{});
  bus.Dispatch(Context{}, CreateOrder{.customer_id = "c"});
  EXPECT_EQ(seen, std::vector<std::string>{"CreateOrder"});
}

}  // namespace
}  // namespace mink::testing

// Built-in middleware: validation, recovery, logging, metrics, timeout, conditional — each test
// runs against both pipeline forms (support/both_forms.hpp): the runtime bus.Use and the typed
// mink::Pipeline.
#include <gtest/gtest.h>

#include <sstream>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "bus/test_commands.hpp"
#include "core/test_events.hpp"
#include "mink/memory/adapter.hpp"
#include "support/both_forms.hpp"

namespace mink::testing {
namespace {

struct Throws {
  static constexpr std::string_view kCommandType = "Throws";
  std::string what;
  bool std_exception = true;
  void Validate() const {}
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(Throws, what, std_exception)
};

CommandResult Throw(const Context&, const Throws& t) {
  if (t.std_exception) throw std::out_of_range(t.what);
  throw 42;
}

CommandResult Pong(const Context&, const Ping&) { return NewSuccessResult("pong", 1); }

class ValidationMiddlewareTest : public BothFormsTest {};
class RecoveryMiddlewareTest : public BothFormsTest {};
class LoggingMiddlewareTest : public BothFormsTest {};
class MetricsMiddlewareTest : public BothFormsTest {};
class TimeoutMiddlewareTest : public BothFormsTest {};
class ConditionalMiddlewareTest : public BothFormsTest {};
INSTANTIATE_BOTH_FORMS(ValidationMiddlewareTest);
INSTANTIATE_BOTH_FORMS(RecoveryMiddlewareTest);
INSTANTIATE_BOTH_FORMS(LoggingMiddlewareTest);
INSTANTIATE_BOTH_FORMS(MetricsMiddlewareTest);
INSTANTIATE_BOTH_FORMS(TimeoutMiddlewareTest);
INSTANTIATE_BOTH_FORMS(ConditionalMiddlewareTest);

TEST_P(ValidationMiddlewareTest, InvalidCommandNeverReachesTheHandler) {
  auto f = Make(ValidationMiddleware());
  int calls = 0;
  f->Handle<CreateOrder>([&](const Context&, const CreateOrder&) {
    ++calls;
    return NewSuccessResult("", 0);
  });
  try {
    f->bus.Dispatch(Context{}, CreateOrder{});
    FAIL();
  } catch (const ValidationError& e) {
    EXPECT_EQ(e.CommandType(), "CreateOrder");
    EXPECT_EQ(e.Field(), "CustomerID");
  }
  EXPECT_EQ(calls, 0);
  EXPECT_TRUE(f->bus.Dispatch(Context{}, CreateOrder{.customer_id = "c"}).IsSuccess());
  EXPECT_EQ(calls, 1);
}

struct Picky {
  static constexpr std::string_view kCommandType = "Picky";
  void Validate() const { throw std::invalid_argument("too picky"); }
};

TEST_P(ValidationMiddlewareTest, NonMinkExceptionFromValidateBecomesAValidationError) {
  auto f = Make(ValidationMiddleware());
  f->Handle<Picky>([](const Context&, const Picky&) { return NewSuccessResult("", 0); });
  try {
    f->bus.Dispatch(Context{}, Picky{});
    FAIL();
  } catch (const ValidationError& e) {
    EXPECT_EQ(e.Message(), "too picky");
  }
}

TEST_P(RecoveryMiddlewareTest, StdExceptionBecomesPanicErrorWithTypeWhatAndCommandData) {
  auto f = Make(RecoveryMiddleware());
  f->Handle<Throws>(Throw);
  try {
    f->bus.Dispatch(Context{}, Throws{.what = "index 9"});
    FAIL();
  } catch (const PanicError& e) {
    EXPECT_EQ(e.code(), errc::kHandlerFailed);
    EXPECT_EQ(e.CommandType(), "Throws");
    EXPECT_NE(e.Value().find("std::out_of_range"), std::string::npos) << e.Value();
    EXPECT_NE(e.Value().find("index 9"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("Throws"), std::string::npos);
    EXPECT_EQ(nlohmann::json::parse(e.CommandData())["what"], "index 9");
    EXPECT_THROW(std::rethrow_exception(e.Cause()), std::out_of_range);
  }
}

TEST_P(RecoveryMiddlewareTest, NonStdExceptionIsRecoveredToo) {
  auto f = Make(RecoveryMiddleware());
  f->Handle<Throws>(Throw);
  try {
    f->bus.Dispatch(Context{}, Throws{.std_exception = false});
    FAIL();
  } catch (const PanicError& e) {
    EXPECT_EQ(e.Value(), "unknown exception");
  }
}

TEST_P(RecoveryMiddlewareTest, MinkErrorsPassUnchanged) {
  auto f = Make(RecoveryMiddleware());
  f->Handle<Ping>([](const Context&, const Ping&) -> CommandResult {
    throw ConcurrencyError("Order-1", 1, 2);
  });
  EXPECT_THROW(f->bus.Dispatch(Context{}, Ping{}), ConcurrencyError);
}

TEST_P(LoggingMiddlewareTest, LogsStartCompletionAndFailure) {
  std::ostringstream out;
  auto logger = std::make_shared<spdlog::logger>(
      "bus-test", std::make_shared<spdlog::sinks::ostream_sink_st>(out));
  logger->set_level(spdlog::level::debug);
  logger->set_pattern("%l %v");
  auto f = Make(LoggingMiddleware(logger));
  f->Handle<Ping>([](const Context&, const Ping&) { return NewSuccessResult("agg-1", 1); });
  f->Handle<Throws>(Throw);
  f->Handle<CreateOrder>(
      [](const Context&, const CreateOrder&) { return NewErrorResult(DomainError("no stock")); });

  f->bus.Dispatch(Context{}, Ping{});
  EXPECT_THROW(f->bus.Dispatch(Context{}, Throws{.what = "boom"}), std::out_of_range);
  f->bus.Dispatch(Context{}, CreateOrder{.customer_id = "c"});

  const std::string text = out.str();
  EXPECT_NE(text.find("debug dispatching command Ping"), std::string::npos) << text;
  EXPECT_NE(text.find("info command Ping completed in"), std::string::npos) << text;
  EXPECT_NE(text.find("(aggregate agg-1, version 1)"), std::string::npos) << text;
  EXPECT_NE(text.find("error command Throws failed after"), std::string::npos) << text;
  EXPECT_NE(text.find("boom"), std::string::npos) << text;
  EXPECT_NE(text.find("warning command CreateOrder returned an error result"), std::string::npos)
      << text;
}

TEST_P(MetricsMiddlewareTest, RecordsSuccessErrorResultsAndExceptions) {
  auto recorder = std::make_shared<FakeRecorder>();
  auto f = Make(MetricsMiddleware(recorder));
  f->Handle<Ping>(Pong);
  f->Handle<CreateOrder>(
      [](const Context&, const CreateOrder&) { return NewErrorResult(DomainError("no")); });
  f->Handle<Throws>(Throw);

  f->bus.Dispatch(Context{}, Ping{});
  f->bus.Dispatch(Context{}, CreateOrder{.customer_id = "c"});
  EXPECT_THROW(f->bus.Dispatch(Context{}, Throws{.what = "x"}), std::out_of_range);

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
TEST_P(MetricsMiddlewareTest, AThrowingRecorderDoesNotFailTheCommand) {
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
  auto f = Make(MetricsMiddleware(recorder));
  f->Handle<Ping>(Pong);
  EXPECT_TRUE(f->bus.Dispatch(Context{}, Ping{}).IsSuccess());
  EXPECT_EQ(recorder->calls.load(), 1);
}

TEST_P(TimeoutMiddlewareTest, HandlerSeesTheDeadlineAndCooperativeWaitsEndAtIt) {
  auto f = Make(TimeoutMiddleware(std::chrono::milliseconds(20)));
  f->Handle<Ping>([](const Context& ctx, const Ping&) -> CommandResult {
    EXPECT_TRUE(ctx.Deadline().has_value());
    ctx.SleepFor(std::chrono::minutes(5));  // returns at the deadline
    ctx.ThrowIfDone();
    return NewSuccessResult("", 0);
  });
  try {
    f->bus.Dispatch(Context{}, Ping{});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), errc::kDeadlineExceeded);
  }
}

TEST_P(TimeoutMiddlewareTest, HandlerIgnoringTheDeadlineHasItsResultReturned) {
  auto f = Make(TimeoutMiddleware(std::chrono::milliseconds(1)));
  f->Handle<Ping>([](const Context& ctx, const Ping&) {
    while (!ctx.DeadlineExceeded()) std::this_thread::yield();  // busy, never checks ctx
    return NewSuccessResult("finished anyway", 1);
  });
  EXPECT_EQ(f->bus.Dispatch(Context{}, Ping{}).aggregate_id, "finished anyway");
}

TEST_P(TimeoutMiddlewareTest, StoreRefusesWritesAfterTheDeadline) {
  EventStore store(std::make_shared<memory::Adapter>());
  store.RegisterEvents<OrderCreated>();
  auto f = Make(TimeoutMiddleware(std::chrono::milliseconds(1)));
  f->Handle<Ping>([&](const Context& ctx, const Ping&) {
    while (!ctx.DeadlineExceeded()) std::this_thread::yield();
    store.Append(ctx, "Order-late", {OrderCreated{"late", "c"}});
    return NewSuccessResult("late", 1);
  });
  try {
    f->bus.Dispatch(Context{}, Ping{});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), errc::kDeadlineExceeded);
  }
  EXPECT_TRUE(store.Load(Context{}, "Order-late").empty());
  EXPECT_THROW(TimeoutMiddleware(std::chrono::seconds(0)), Error);
}

// The inner middleware is generic (`const auto&` command, `auto&&` next), so the same lambda
// serves the runtime form (AnyCommand, Next) and the typed one (the concrete command).
TEST_P(ConditionalMiddlewareTest, AppliesOnlyToMatchingCommands) {
  std::vector<std::string> seen;
  auto f = Make(CommandTypeMiddleware(
      {"CreateOrder"}, [&](const Context& ctx, const auto& cmd, auto&& next) -> CommandResult {
        seen.emplace_back(CommandTypeOf(cmd));
        return next(ctx, cmd);
      }));
  f->Handle<Ping>(Pong);
  f->Handle<CreateOrder>(
      [](const Context&, const CreateOrder&) { return NewSuccessResult("", 0); });
  f->bus.Dispatch(Context{}, Ping{});
  f->bus.Dispatch(Context{}, CreateOrder{.customer_id = "c"});
  EXPECT_EQ(seen, std::vector<std::string>{"CreateOrder"});
}

TEST_P(ConditionalMiddlewareTest, ConditionSeesTheCommandAndRuntimeConditionsWork) {
  std::vector<std::string> seen;
  auto f = Make(ConditionalMiddleware(
      [](const auto& cmd) { return CommandBaseOf(cmd).GetTenantID() == "beta"; },
      [&](const Context& ctx, const auto& cmd, auto&& next) -> CommandResult {
        seen.push_back(CommandBaseOf(cmd).GetTenantID());
        return next(ctx, cmd);
      }));
  f->Handle<CreateOrder>(
      [](const Context&, const CreateOrder&) { return NewSuccessResult("", 0); });
  CreateOrder beta{.customer_id = "c"};
  beta.SetTenantID("beta");
  CreateOrder other{.customer_id = "c"};
  other.SetTenantID("other");
  f->bus.Dispatch(Context{}, beta);
  f->bus.Dispatch(Context{}, other);
  EXPECT_EQ(seen, std::vector<std::string>{"beta"});
}

}  // namespace
}  // namespace mink::testing

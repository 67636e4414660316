// mink::Pipeline on the bus: OnlyFor selection, the typed fast path, how runtime middleware
// compose around a typed pipeline, commands without a CommandBase, and the one place where the
// two forms see a command differently.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <type_traits>
#include <vector>

#include "bus/test_commands.hpp"
#include "support/both_forms.hpp"

namespace mink::testing {
namespace {

// Appends "<name>>" on the way in and "<name><" on the way out.
struct Trace {
  std::vector<std::string>* log;
  std::string name;
  template <CommandLike C, class N>
  CommandResult operator()(const Context& ctx, const C& command, N&& next) const {
    log->push_back(name + ">");
    CommandResult r = next(ctx, command);
    log->push_back(name + "<");
    return r;
  }
};

// Counts the copies and moves of a command.
struct Counted : CommandBase {
  static constexpr std::string_view kCommandType = "Counted";
  static inline std::atomic<int> copies{0};
  static inline std::atomic<int> moves{0};
  Counted() = default;
  Counted(const Counted& other) : CommandBase(other) { ++copies; }
  Counted(Counted&& other) noexcept : CommandBase(std::move(other)) { ++moves; }
  Counted& operator=(const Counted&) = delete;
  Counted& operator=(Counted&&) = delete;
  void Validate() const {}
  static void Reset() {
    copies = 0;
    moves = 0;
  }
};

// A stage that only compiles for an IdempotentCommand: it calls IdempotencyKey() directly.
struct KeyRecorder {
  std::vector<std::string>* keys;
  template <IdempotentCommand C, class N>
  CommandResult operator()(const Context& ctx, const C& command, N&& next) const {
    keys->push_back(command.IdempotencyKey());
    return next(ctx, command);
  }
};

CommandResult Ok(const Context&, const auto&) { return NewSuccessResult("ok", 1); }

// ---- OnlyFor ----

// KeyRecorder cannot even be instantiated for CreateOrder, so OnlyFor must decide at compile
// time: a runtime check would still have to compile the call for CreateOrder.
TEST(OnlyFor, AppliesToIdempotentCommandsAndSkipsOthersAtCompileTime) {
  using Selected = SelectedMiddleware<IsIdempotentCommand, KeyRecorder>;
  using AddItemNext = decltype([](const Context&, const AddItem&) { return CommandResult{}; });
  using CreateOrderNext =
      decltype([](const Context&, const CreateOrder&) { return CommandResult{}; });
  static_assert(IdempotentCommand<AddItem> && !IdempotentCommand<CreateOrder>);
  static_assert(
      std::is_invocable_v<const KeyRecorder&, const Context&, const AddItem&, AddItemNext&>);
  static_assert(!std::is_invocable_v<const KeyRecorder&, const Context&, const CreateOrder&,
                                     CreateOrderNext&>);
  static_assert(
      std::is_invocable_v<const Selected&, const Context&, const CreateOrder&, CreateOrderNext&>);
  // The runtime form cannot see the type, so OnlyFor refuses to become a runtime Middleware.
  static_assert(!std::is_constructible_v<Middleware, Selected>);

  std::vector<std::string> keys;
  std::vector<std::string> log;
  Pipeline pipeline{Trace{&log, "outer"}, OnlyFor<IsIdempotentCommand>(KeyRecorder{&keys})};
  CommandBus bus;
  bus.Register<AddItem>(pipeline, Ok<AddItem>);
  bus.Register<CreateOrder>(pipeline, Ok<CreateOrder>);

  EXPECT_TRUE(bus.Dispatch(Context{}, AddItem{.client_request_id = "req-1"}).IsSuccess());
  EXPECT_TRUE(bus.Dispatch(Context{}, CreateOrder{.customer_id = "c"}).IsSuccess());
  EXPECT_TRUE(bus.Dispatch(Context{}, AddItem{.client_request_id = "req-2"}).IsSuccess());
  EXPECT_EQ(keys, (std::vector<std::string>{"req-1", "req-2"}));
  EXPECT_EQ(log,
            (std::vector<std::string>{"outer>", "outer<", "outer>", "outer<", "outer>", "outer<"}))
      << "the skipped stage still passes the command on";
}

TEST(OnlyFor, SelectsByAggregateCommandToo) {
  static_assert(IsAggregateCommand<AddItem>::value && !IsAggregateCommand<CreateOrder>::value);
  static_assert(IsJsonCommand<CreateOrder>::value && !IsJsonCommand<Ping>::value);
  std::vector<std::string> log;
  Pipeline pipeline{OnlyFor<IsAggregateCommand>(Trace{&log, "aggregate"})};
  CommandBus bus;
  bus.Register<AddItem>(pipeline, Ok<AddItem>);
  bus.Register<CreateOrder>(pipeline, Ok<CreateOrder>);
  bus.Dispatch(Context{}, CreateOrder{.customer_id = "c"});
  EXPECT_TRUE(log.empty());
  bus.Dispatch(Context{}, AddItem{.order_id = "o-1"});
  EXPECT_EQ(log, (std::vector<std::string>{"aggregate>", "aggregate<"}));
}

// ---- the typed fast path ----

// Dispatch takes its command by value: passing an lvalue costs that one copy. The fast path
// adds nothing (the handler gets a reference to Dispatch's own parameter); the erased path
// moves the command into an AnyCommand, so the same counter shows it.
TEST(TypedFastPath, NoAnyCommandIsMadeWhenTheBusHasNoRuntimeMiddleware) {
  std::vector<std::string> log;
  CommandBus bus;
  const Counted* seen = nullptr;
  bus.Register<Counted>(Pipeline{Trace{&log, "typed"}},
                        [&](const Context& ctx, const Counted& cmd) {
                          seen = &cmd;
                          EXPECT_EQ(CommandIDFromContext(ctx), cmd.GetCommandID());
                          return NewSuccessResult("ok", 1);
                        });
  const Counted command;
  Counted::Reset();
  ASSERT_TRUE(bus.Dispatch(Context{}, command).IsSuccess());
  EXPECT_EQ(Counted::copies.load(), 1) << "only the by-value parameter";
  EXPECT_EQ(Counted::moves.load(), 0) << "no AnyCommand was built";
  EXPECT_NE(seen, nullptr);
  EXPECT_EQ(log, (std::vector<std::string>{"typed>", "typed<"}));

  // The same dispatch with a runtime middleware takes the erased path, and the counter sees it.
  bus.Use(Trace{&log, "runtime"});
  Counted::Reset();
  ASSERT_TRUE(bus.Dispatch(Context{}, command).IsSuccess());
  EXPECT_EQ(Counted::copies.load(), 1);
  EXPECT_GT(Counted::moves.load(), 0) << "wrapped in an AnyCommand for the runtime middleware";
}

TEST(TypedFastPath, RetryCallsNextSeveralTimesOnTheFastPath) {
  int calls = 0;
  CommandBus bus;
  bus.Register<CreateOrder>(
      Pipeline{RecoveryMiddleware(),
               RetryMiddleware({.max_attempts = 3, .initial_delay = std::chrono::milliseconds(1)})},
      [&](const Context&, const CreateOrder&) -> CommandResult {
        if (++calls < 3) throw ConcurrencyError("S", 0, 1);  // transient: retried
        return NewSuccessResult("done", calls);
      });
  EXPECT_EQ(bus.Dispatch(Context{}, CreateOrder{.customer_id = "c"}).version, 3);
  EXPECT_EQ(calls, 3);
}

// ---- composition with runtime middleware ----

// Runtime middleware wrap every dispatch in registration order; the handler's typed stages run
// inside them in declaration order; the first of each is outermost.
TEST(TypedPipelineComposition, RuntimeMiddlewareRunAroundTheTypedStages) {
  std::vector<std::string> log;
  CommandBus bus;
  bus.Use(Trace{&log, "r1"}, Trace{&log, "r2"});
  bus.Register<CreateOrder>(Pipeline{Trace{&log, "t1"}, Trace{&log, "t2"}},
                            [&](const Context&, const CreateOrder&) {
                              log.push_back("handler");
                              return NewSuccessResult("ok", 1);
                            });
  const std::vector<std::string> expected{"r1>", "r2>", "t1>", "t2>", "handler",
                                          "t2<", "t1<", "r2<", "r1<"};
  bus.Dispatch(Context{}, CreateOrder{.customer_id = "c"});
  EXPECT_EQ(log, expected);
  log.clear();
  bus.Dispatch(Context{}, AnyCommand(CreateOrder{.customer_id = "c"}));
  EXPECT_EQ(log, expected) << "Dispatch(AnyCommand) runs the same chain";
  log.clear();
  bus.Use(Trace{&log, "r3"});  // added later: still outside every typed stage
  bus.Dispatch(Context{}, CreateOrder{.customer_id = "c"});
  EXPECT_EQ(log, (std::vector<std::string>{"r1>", "r2>", "r3>", "t1>", "t2>", "handler", "t2<",
                                           "t1<", "r3<", "r2<", "r1<"}));
}

// A runtime middleware that short-circuits keeps the typed stages from running at all.
TEST(TypedPipelineComposition, ARuntimeShortCircuitSkipsTheTypedStages) {
  std::vector<std::string> log;
  CommandBus bus;
  bus.Use([](const Context&, const AnyCommand&, Next) {
    return NewErrorResult(DomainError("refused"));
  });
  bus.Register<CreateOrder>(Pipeline{Trace{&log, "t1"}}, Ok<CreateOrder>);
  EXPECT_TRUE(bus.Dispatch(Context{}, CreateOrder{.customer_id = "c"}).HasError(errc::kDomain));
  EXPECT_TRUE(log.empty());
}

// ---- commands without a CommandBase ----

TEST(TypedPipelineErasedPath, ANonCommandBaseCommandRunsTheTypedPipeline) {
  std::vector<std::string> log;
  int calls = 0;
  CommandBus bus;
  bus.Register<Ping>(Pipeline{ValidationMiddleware(), Trace{&log, "typed"}},
                     [&](const Context& ctx, const Ping&) {
                       ++calls;
                       EXPECT_FALSE(CommandIDFromContext(ctx).empty());
                       return NewSuccessResult("pong", 1);
                     });
  EXPECT_EQ(bus.Dispatch(Context{}, Ping{}).aggregate_id, "pong");
  EXPECT_EQ(bus.Dispatch(Context{}, AnyCommand(Ping{})).aggregate_id, "pong");
  bus.Use(Trace{&log, "runtime"});
  EXPECT_EQ(bus.Dispatch(Context{}, Ping{}).aggregate_id, "pong");
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(log, (std::vector<std::string>{"typed>", "typed<", "typed>", "typed<", "runtime>",
                                           "typed>", "typed<", "runtime<"}));

  // Another C++ type under the same type name: an error result, neither stage nor handler runs.
  log.clear();
  CommandResult wrong = bus.Dispatch(Context{}, FakePing{});
  EXPECT_TRUE(wrong.HasError(errc::kInvalidArgument));
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(log, (std::vector<std::string>{"runtime>", "runtime<"}));
}

// ---- a command without CommandBase ----

// Such a command keeps its bus-given ID in an envelope inside the AnyCommand; typed stages get
// the bare struct. CommandIDOf(ctx, cmd) finds the ID on the context instead, so
// CausationIDMiddleware (and LoggingMiddleware's "id") behave the same in both forms.
class NonCommandBaseIDsTest : public BothFormsTest {};
INSTANTIATE_BOTH_FORMS(NonCommandBaseIDsTest);

TEST_P(NonCommandBaseIDsTest, BothFormsUseTheBusGivenID) {
  std::string causation, command_id;
  auto f = Make(CausationIDMiddleware());
  f->Handle<Ping>([&](const Context& ctx, const Ping&) {
    causation = ctx.CausationID();
    command_id = CommandIDFromContext(ctx);
    return NewSuccessResult("pong", 1);
  });
  f->bus.Dispatch(Context{}, Ping{});
  ASSERT_FALSE(command_id.empty()) << "both forms: the bus gave the command an ID";
  EXPECT_EQ(causation, command_id);
  // A causation on the context is honoured by both.
  f->bus.Dispatch(Context{}.WithCausationID("ctx-cause"), Ping{});
  EXPECT_EQ(causation, "ctx-cause");
}

}  // namespace
}  // namespace mink::testing

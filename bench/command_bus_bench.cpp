// Command bus overhead: the same handler called directly (the baseline), behind the nine
// built-in middleware as a typed mink::Pipeline (called directly and through the bus's typed
// fast path) and as runtime middleware (bus.Use), and dispatched with no middleware (typed
// fast path and erased path). Overhead per dispatch = time(case) - time(direct call). See
// docs/benchmarks.md.
#include <benchmark/benchmark.h>

#include <atomic>
#include <memory>
#include <string>

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include "mink/mink.hpp"

namespace {

using namespace std::chrono_literals;

struct CreateOrder : mink::CommandBase {
  static constexpr std::string_view kCommandType = "CreateOrder";
  std::string customer_id;
  int quantity = 0;
  void Validate() const {
    if (customer_id.empty()) throw mink::ValidationError("CreateOrder", "CustomerID", "required");
  }
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(CreateOrder, customer_id, quantity)
};

// The handler under test: a little real work (builds the result from the command).
mink::CommandResult Handle(const mink::Context& ctx, const CreateOrder& cmd) {
  benchmark::DoNotOptimize(ctx.TenantID().data());
  return mink::NewSuccessResult(cmd.customer_id, cmd.quantity);
}

class CountingRecorder : public mink::MetricsRecorder {
 public:
  void RecordCommand(std::string_view, std::chrono::nanoseconds, bool success,
                     const std::exception_ptr&) override {
    (success ? ok : failed).fetch_add(1, std::memory_order_relaxed);
  }
  std::atomic<uint64_t> ok = 0, failed = 0;
};

CreateOrder MakeCommand() {
  CreateOrder cmd;
  cmd.customer_id = "cust-123";
  cmd.quantity = 2;
  cmd.SetTenantID("acme");
  return cmd;
}

std::shared_ptr<spdlog::logger> NullLogger(spdlog::level::level_enum log_level) {
  auto logger =
      std::make_shared<spdlog::logger>("bench", std::make_shared<spdlog::sinks::null_sink_mt>());
  logger->set_level(log_level);
  return logger;
}

// The nine built-ins, in the order both forms use: Recovery, Logging, Metrics, Validation,
// CorrelationID (generated each time), CausationID, Tenant, Timeout, Retry (no retries).
mink::Pipeline<mink::RecoveryMiddleware, mink::LoggingMiddleware, mink::MetricsMiddleware,
               mink::ValidationMiddleware, mink::CorrelationIDMiddleware,
               mink::CausationIDMiddleware, mink::TenantMiddleware, mink::TimeoutMiddleware,
               mink::RetryMiddleware>
TypedNine(spdlog::level::level_enum log_level) {
  return mink::Pipeline{mink::RecoveryMiddleware(),
                        mink::LoggingMiddleware(NullLogger(log_level)),
                        mink::MetricsMiddleware(std::make_shared<CountingRecorder>()),
                        mink::ValidationMiddleware(),
                        mink::CorrelationIDMiddleware(),
                        mink::CausationIDMiddleware(),
                        mink::TenantMiddleware(),
                        mink::TimeoutMiddleware(5s),
                        mink::RetryMiddleware()};
}

void UseFullPipeline(mink::CommandBus& bus, spdlog::level::level_enum log_level) {
  bus.Use(mink::RecoveryMiddleware(), mink::LoggingMiddleware(NullLogger(log_level)),
          mink::MetricsMiddleware(std::make_shared<CountingRecorder>()),
          mink::ValidationMiddleware(), mink::CorrelationIDMiddleware(),
          mink::CausationIDMiddleware(), mink::TenantMiddleware(), mink::TimeoutMiddleware(5s),
          mink::RetryMiddleware());
}

// The handler as the typed pipeline sees it: a lambda the compiler can inline.
constexpr auto kHandler = [](const mink::Context& ctx, const CreateOrder& cmd) {
  return Handle(ctx, cmd);
};

void BM_DirectHandlerCall(benchmark::State& state) {
  const mink::Context ctx;
  for (auto _ : state) {
    CreateOrder cmd = MakeCommand();  // the dispatch benchmarks build one per iteration too
    mink::CommandResult r = Handle(ctx, cmd);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_DirectHandlerCall);

// The nine built-ins as a typed Pipeline, called directly: no bus, no AnyCommand.
void BM_TypedPipeline_Direct(benchmark::State& state) {
  const auto pipeline = TypedNine(spdlog::level::warn);
  auto handler = kHandler;
  const mink::Context ctx;
  for (auto _ : state) {
    CreateOrder cmd = MakeCommand();
    mink::CommandResult r = pipeline(ctx, cmd, handler);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_TypedPipeline_Direct);

// A stage that only passes the command on: nine of them measure the pipeline's own cost (the
// stage calls and `next`), without the work the built-ins do (IDs, derived contexts, clocks).
struct PassThrough {
  template <mink::CommandLike C, class N>
  mink::CommandResult operator()(const mink::Context& ctx, const C& cmd, N&& next) const {
    return next(ctx, cmd);
  }
};

void BM_TypedPipeline_NinePassThrough_Direct(benchmark::State& state) {
  const mink::Pipeline pipeline{PassThrough{}, PassThrough{}, PassThrough{},
                                PassThrough{}, PassThrough{}, PassThrough{},
                                PassThrough{}, PassThrough{}, PassThrough{}};
  auto handler = kHandler;
  const mink::Context ctx;
  for (auto _ : state) {
    CreateOrder cmd = MakeCommand();
    mink::CommandResult r = pipeline(ctx, cmd, handler);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_TypedPipeline_NinePassThrough_Direct);

void RunDispatch(benchmark::State& state, mink::CommandBus& bus) {
  const mink::Context ctx;
  for (auto _ : state) {
    mink::CommandResult r = bus.Dispatch(ctx, MakeCommand());
    benchmark::DoNotOptimize(r);
  }
}

// A GenericHandler<CreateOrder> and no middleware: the typed fast path (no AnyCommand).
void BM_Dispatch_NoMiddleware(benchmark::State& state) {
  mink::CommandBus bus;
  bus.Register(mink::NewGenericHandler<CreateOrder>(Handle));
  RunDispatch(state, bus);
}
BENCHMARK(BM_Dispatch_NoMiddleware);

// A handler of AnyCommand and no middleware: the erased path (the command goes into an
// AnyCommand, the handler reads it back with As<C>()).
void BM_Dispatch_NoMiddleware_Erased(benchmark::State& state) {
  mink::CommandBus bus;
  bus.RegisterFunc("CreateOrder", [](const mink::Context& ctx, const mink::AnyCommand& cmd) {
    return Handle(ctx, cmd.As<CreateOrder>());
  });
  RunDispatch(state, bus);
}
BENCHMARK(BM_Dispatch_NoMiddleware_Erased);

// The nine built-ins as the handler's typed Pipeline, dispatched through the bus's fast path.
void BM_Dispatch_TypedPipeline(benchmark::State& state) {
  mink::CommandBus bus;
  bus.Register<CreateOrder>(TypedNine(spdlog::level::warn), kHandler);
  RunDispatch(state, bus);
}
BENCHMARK(BM_Dispatch_TypedPipeline);

// Nine pass-through stages: as runtime middleware, and as the handler's typed Pipeline.
void BM_Dispatch_RuntimeNinePassThrough(benchmark::State& state) {
  mink::CommandBus bus;
  for (int i = 0; i < 9; ++i) bus.Use(PassThrough{});
  bus.Register(mink::NewGenericHandler<CreateOrder>(Handle));
  RunDispatch(state, bus);
}
BENCHMARK(BM_Dispatch_RuntimeNinePassThrough);

void BM_Dispatch_TypedNinePassThrough(benchmark::State& state) {
  mink::CommandBus bus;
  bus.Register<CreateOrder>(
      mink::Pipeline{PassThrough{}, PassThrough{}, PassThrough{}, PassThrough{}, PassThrough{},
                     PassThrough{}, PassThrough{}, PassThrough{}, PassThrough{}},
      kHandler);
  RunDispatch(state, bus);
}
BENCHMARK(BM_Dispatch_TypedNinePassThrough);

// The nine built-ins as runtime middleware (bus.Use), logger at warn (nothing formatted for a
// success).
void BM_Dispatch_FullPipeline(benchmark::State& state) {
  mink::CommandBus bus;
  UseFullPipeline(bus, spdlog::level::warn);
  bus.Register(mink::NewGenericHandler<CreateOrder>(Handle));
  RunDispatch(state, bus);
}
BENCHMARK(BM_Dispatch_FullPipeline);

// The same with the logger at info: one formatted line per dispatch into a null sink.
void BM_Dispatch_FullPipeline_InfoLogging(benchmark::State& state) {
  mink::CommandBus bus;
  UseFullPipeline(bus, spdlog::level::info);
  bus.Register(mink::NewGenericHandler<CreateOrder>(Handle));
  RunDispatch(state, bus);
}
BENCHMARK(BM_Dispatch_FullPipeline_InfoLogging);

// Several threads dispatching on one bus (the bus's lock and the shared middleware), set up by
// thread 0 with `setup`. One static bus per Setup type, i.e. per benchmark.
template <class Setup>
void DispatchOnSharedBus(benchmark::State& state, Setup setup) {
  static mink::CommandBus* bus = nullptr;
  if (state.thread_index() == 0) {
    bus = new mink::CommandBus();
    setup(*bus);
  }
  const mink::Context ctx;
  for (auto _ : state) {
    mink::CommandResult r = bus->Dispatch(ctx, MakeCommand());
    benchmark::DoNotOptimize(r);
  }
  if (state.thread_index() == 0) {
    delete bus;
    bus = nullptr;
  }
}

void BM_Dispatch_FullPipeline_Threads(benchmark::State& state) {
  DispatchOnSharedBus(state, [](mink::CommandBus& bus) {
    UseFullPipeline(bus, spdlog::level::warn);
    bus.Register(mink::NewGenericHandler<CreateOrder>(Handle));
  });
}
BENCHMARK(BM_Dispatch_FullPipeline_Threads)->Threads(2)->UseRealTime();

// The same with the nine as the handler's typed Pipeline.
void BM_Dispatch_TypedPipeline_Threads(benchmark::State& state) {
  DispatchOnSharedBus(state, [](mink::CommandBus& bus) {
    bus.Register<CreateOrder>(TypedNine(spdlog::level::warn), kHandler);
  });
}
BENCHMARK(BM_Dispatch_TypedPipeline_Threads)->Threads(2)->UseRealTime();

}  // namespace

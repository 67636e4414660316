// Command bus overhead: the same handler called directly (the baseline) and dispatched
// through a CommandBus with no middleware and with the full built-in pipeline.
// Overhead per dispatch = time(dispatch) - time(direct call). See docs/benchmarks.md.
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

void UseFullPipeline(mink::CommandBus& bus, spdlog::level::level_enum log_level) {
  auto logger =
      std::make_shared<spdlog::logger>("bench", std::make_shared<spdlog::sinks::null_sink_mt>());
  logger->set_level(log_level);
  bus.Use(mink::RecoveryMiddleware(), mink::LoggingMiddleware(logger),
          mink::MetricsMiddleware(std::make_shared<CountingRecorder>()),
          mink::ValidationMiddleware(), mink::CorrelationIDMiddleware(),
          mink::CausationIDMiddleware(), mink::TenantMiddleware(), mink::TimeoutMiddleware(5s),
          mink::RetryMiddleware());
}

void BM_DirectHandlerCall(benchmark::State& state) {
  const mink::Context ctx;
  for (auto _ : state) {
    CreateOrder cmd = MakeCommand();  // the dispatch benchmarks build one per iteration too
    mink::CommandResult r = Handle(ctx, cmd);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_DirectHandlerCall);

void RunDispatch(benchmark::State& state, mink::CommandBus& bus) {
  bus.Register(mink::NewGenericHandler<CreateOrder>(Handle));
  const mink::Context ctx;
  for (auto _ : state) {
    mink::CommandResult r = bus.Dispatch(ctx, MakeCommand());
    benchmark::DoNotOptimize(r);
  }
}

void BM_Dispatch_NoMiddleware(benchmark::State& state) {
  mink::CommandBus bus;
  RunDispatch(state, bus);
}
BENCHMARK(BM_Dispatch_NoMiddleware);

// Recovery, Logging (logger at warn: nothing formatted for a success), Metrics, Validation,
// CorrelationID (generated each time), CausationID, Tenant, Timeout, Retry (no retries).
void BM_Dispatch_FullPipeline(benchmark::State& state) {
  mink::CommandBus bus;
  UseFullPipeline(bus, spdlog::level::warn);
  RunDispatch(state, bus);
}
BENCHMARK(BM_Dispatch_FullPipeline);

// The same with the logger at info: one formatted line per dispatch into a null sink.
void BM_Dispatch_FullPipeline_InfoLogging(benchmark::State& state) {
  mink::CommandBus bus;
  UseFullPipeline(bus, spdlog::level::info);
  RunDispatch(state, bus);
}
BENCHMARK(BM_Dispatch_FullPipeline_InfoLogging);

// Several threads dispatching on one bus (the bus's lock and the shared middleware).
void BM_Dispatch_FullPipeline_Threads(benchmark::State& state) {
  static mink::CommandBus* bus = nullptr;
  if (state.thread_index() == 0) {
    bus = new mink::CommandBus();
    UseFullPipeline(*bus, spdlog::level::warn);
    bus->Register(mink::NewGenericHandler<CreateOrder>(Handle));
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
BENCHMARK(BM_Dispatch_FullPipeline_Threads)->Threads(2)->UseRealTime();

}  // namespace

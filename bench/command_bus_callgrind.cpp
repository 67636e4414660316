// A driver for instruction counts: N iterations of one case of command_bus_bench.cpp, for
// valgrind --tool=callgrind. Instruction counts do not depend on the machine's load, so they
// compare before/after reliably where a shared VM makes ns figures noisy. Per-dispatch count =
// (count for 30000 iterations - count for 10000) / 20000, which removes the setup. The binary
// is build/bench/bench/mink_command_bus_callgrind (-DMINK_BUILD_BENCH=ON):
//
//   valgrind --tool=callgrind --callgrind-out-file=/dev/null <binary> 30000 0
//
// Cases: 0 bus, no middleware, typed fast path; 1 typed Pipeline of the nine built-ins called
// directly; 2 bus + the nine as a typed Pipeline; 3 direct call; 4 bus, no middleware, erased
// path (a handler of AnyCommand); 5 bus + the nine as runtime middleware.
#include <chrono>
#include <cstdio>
#include <cstdlib>
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
  void Validate() const {}
};

[[gnu::noinline]] mink::CommandResult Handle(const mink::Context&, const CreateOrder& cmd) {
  return mink::NewSuccessResult(cmd.customer_id, cmd.quantity);
}

struct NoopRecorder : mink::MetricsRecorder {
  void RecordCommand(std::string_view, std::chrono::nanoseconds, bool,
                     const std::exception_ptr&) override {}
};

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 100000;
  const int mode = argc > 2 ? std::atoi(argv[2]) : 0;
  auto logger = std::make_shared<spdlog::logger>("callgrind",
                                                 std::make_shared<spdlog::sinks::null_sink_mt>());
  logger->set_level(spdlog::level::warn);
  const mink::Pipeline nine{mink::RecoveryMiddleware(),
                            mink::LoggingMiddleware(logger),
                            mink::MetricsMiddleware(std::make_shared<NoopRecorder>()),
                            mink::ValidationMiddleware(),
                            mink::CorrelationIDMiddleware(),
                            mink::CausationIDMiddleware(),
                            mink::TenantMiddleware(),
                            mink::TimeoutMiddleware(5s),
                            mink::RetryMiddleware()};
  auto handler = [](const mink::Context& ctx, const CreateOrder& cmd) { return Handle(ctx, cmd); };

  mink::CommandBus bus;
  if (mode == 2) {
    bus.Register<CreateOrder>(nine, handler);
  } else if (mode == 4 || mode == 5) {
    bus.RegisterFunc("CreateOrder", [](const mink::Context& ctx, const mink::AnyCommand& cmd) {
      return Handle(ctx, cmd.As<CreateOrder>());
    });
  } else {
    bus.Register(mink::NewGenericHandler<CreateOrder>(Handle));
  }
  if (mode == 5) {
    bus.Use(mink::RecoveryMiddleware(), mink::LoggingMiddleware(logger),
            mink::MetricsMiddleware(std::make_shared<NoopRecorder>()), mink::ValidationMiddleware(),
            mink::CorrelationIDMiddleware(), mink::CausationIDMiddleware(),
            mink::TenantMiddleware(), mink::TimeoutMiddleware(5s), mink::RetryMiddleware());
  }

  const mink::Context ctx;
  long sum = 0;
  for (int i = 0; i < n; ++i) {
    CreateOrder cmd;
    cmd.customer_id = "cust-123";
    cmd.quantity = 2;
    cmd.SetTenantID("acme");
    if (mode == 1) {
      sum += nine(ctx, cmd, handler).version;
    } else if (mode == 3) {
      sum += Handle(ctx, cmd).version;
    } else {
      sum += bus.Dispatch(ctx, std::move(cmd)).version;
    }
  }
  std::printf("%ld\n", sum);
  return 0;
}

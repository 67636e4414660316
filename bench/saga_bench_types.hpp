// The saga workload of bench/saga_bench.cpp: an order saga of four events, each dispatching
// one command to a handler that only counts, and a SagaMetrics that lets the benchmark wait
// (without polling) until N sagas were started / completed.
//
//   BenchOrderPlaced      -> BenchCharge
//   BenchPaymentReceived  -> BenchReserve
//   BenchItemsReserved    -> BenchShip
//   BenchOrderShipped     -> BenchNotify, complete
// Events live on stream "Order-<id>"; the saga correlates by stream ID.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "mink/mink.hpp"
#include "mink/saga/metrics.hpp"
#include "mink/saga/saga.hpp"

namespace sagabench {

#define SAGABENCH_EVENT(Name)                             \
  struct Name {                                           \
    static constexpr std::string_view kEventType = #Name; \
    std::string order_id;                                 \
    NLOHMANN_DEFINE_TYPE_INTRUSIVE(Name, order_id)        \
  }
SAGABENCH_EVENT(BenchOrderPlaced);
SAGABENCH_EVENT(BenchPaymentReceived);
SAGABENCH_EVENT(BenchItemsReserved);
SAGABENCH_EVENT(BenchOrderShipped);
#undef SAGABENCH_EVENT

#define SAGABENCH_COMMAND(Name)                             \
  struct Name : mink::CommandBase {                         \
    static constexpr std::string_view kCommandType = #Name; \
    std::string order_id;                                   \
    void Validate() const {}                                \
    NLOHMANN_DEFINE_TYPE_INTRUSIVE(Name, order_id)          \
  }
SAGABENCH_COMMAND(BenchCharge);
SAGABENCH_COMMAND(BenchReserve);
SAGABENCH_COMMAND(BenchShip);
SAGABENCH_COMMAND(BenchNotify);
#undef SAGABENCH_COMMAND

inline constexpr int kEventsPerSaga = 4;
inline constexpr std::string_view kSagaType = "BenchOrder";

class BenchSaga : public mink::JsonSaga<BenchSaga> {
 public:
  explicit BenchSaga(std::string id) : JsonSaga(std::move(id), std::string(kSagaType)) {}

  std::vector<std::string> HandledEvents() const override {
    return {"BenchOrderPlaced", "BenchPaymentReceived", "BenchItemsReserved", "BenchOrderShipped"};
  }

  mink::Commands HandleEvent(const mink::Context&, const mink::Event& event) override {
    mink::Commands out;
    mink::Match(
        event,
        [&](const BenchOrderPlaced& e) {
          order_id = e.order_id;
          out.push_back(BenchCharge{{}, order_id});
        },
        [&](const BenchPaymentReceived&) {
          paid = true;
          out.push_back(BenchReserve{{}, order_id});
        },
        [&](const BenchItemsReserved&) {
          reserved = true;
          out.push_back(BenchShip{{}, order_id});
        },
        [&](const BenchOrderShipped&) {
          shipped = true;
          out.push_back(BenchNotify{{}, order_id});
        });
    return out;
  }

  mink::Commands Compensate(const mink::Context&, int, const std::exception_ptr&) override {
    return {};
  }
  bool IsComplete() const override { return shipped; }

  std::string order_id;
  bool paid = false;
  bool reserved = false;
  bool shipped = false;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(BenchSaga, order_id, paid, reserved, shipped)
};

// Counts transitions; Wait* block on a condition variable until a count is reached.
class CountingMetrics : public mink::SagaMetrics {
 public:
  void SagaStarted(std::string_view) noexcept override { Bump(started_); }
  void SagaCompleted(std::string_view) noexcept override { Bump(completed_); }
  void SagaFailed(std::string_view) noexcept override { Bump(failed_); }
  void SagaCompensated(std::string_view, bool) noexcept override { Bump(failed_); }
  void StepDuration(std::string_view, std::string_view, bool,
                    std::chrono::nanoseconds) noexcept override {}

  // False on timeout or when a saga failed.
  bool WaitStarted(int64_t n, std::chrono::seconds limit) { return Wait(started_, n, limit); }
  bool WaitCompleted(int64_t n, std::chrono::seconds limit) { return Wait(completed_, n, limit); }
  int64_t Failed() {
    std::lock_guard lock(mutex_);
    return failed_;
  }

 private:
  void Bump(int64_t& counter) noexcept {
    {
      std::lock_guard lock(mutex_);
      ++counter;
    }
    cv_.notify_all();
  }
  bool Wait(const int64_t& counter, int64_t n, std::chrono::seconds limit) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, limit, [&] { return counter >= n || failed_ > 0; }) && failed_ == 0;
  }
  std::mutex mutex_;
  std::condition_variable cv_;
  int64_t started_ = 0;
  int64_t completed_ = 0;
  int64_t failed_ = 0;
};

// What the command handlers do: count, and stamp the time the first command of a saga ran.
struct Probe {
  std::atomic<int64_t> commands{0};
  std::atomic<int64_t> first_command_ns{0};  // steady_clock, set by BenchCharge
};

inline void RegisterHandlers(mink::CommandBus& bus, const std::shared_ptr<Probe>& probe) {
  auto count = [probe](const std::string& id) {
    probe->commands.fetch_add(1, std::memory_order_relaxed);
    return mink::NewSuccessResult(id, 1);
  };
  bus.Register(mink::NewGenericHandler<BenchCharge>(
      [probe, count](const mink::Context&, const BenchCharge& c) {
        probe->first_command_ns.store(std::chrono::steady_clock::now().time_since_epoch().count());
        return count(c.order_id);
      }));
  bus.Register(mink::NewGenericHandler<BenchReserve>(
      [count](const mink::Context&, const BenchReserve& c) { return count(c.order_id); }));
  bus.Register(mink::NewGenericHandler<BenchShip>(
      [count](const mink::Context&, const BenchShip& c) { return count(c.order_id); }));
  bus.Register(mink::NewGenericHandler<BenchNotify>(
      [count](const mink::Context&, const BenchNotify& c) { return count(c.order_id); }));
}

inline void RegisterEvents(mink::EventStore& events) {
  events.RegisterEvents<BenchOrderPlaced, BenchPaymentReceived, BenchItemsReserved,
                        BenchOrderShipped>();
}

inline std::vector<mink::Event> SagaEvents(const std::string& order_id) {
  return {BenchOrderPlaced{order_id}, BenchPaymentReceived{order_id}, BenchItemsReserved{order_id},
          BenchOrderShipped{order_id}};
}

}  // namespace sagabench

// A three-step saga for the leader-election and crash tests: PipelineStarted dispatches
// DoStep 1; the DoStep handler appends StepDone{step} to "Pipeline-<id>"; StepDone{k}
// dispatches DoStep k+1 until step kSteps completes the saga.
//
// The handler is idempotent by the stream's version (PipelineStarted is version 1, StepDone k
// is version k+1): a re-run after a crash finds its version taken and adds nothing, so a
// stream with more or fewer than kSteps StepDone events means a step's effect ran twice or
// not at all.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "mink/cqrs/command.hpp"
#include "mink/cqrs/command_bus.hpp"
#include "mink/cqrs/handler.hpp"
#include "mink/es/event_store.hpp"
#include "mink/saga/saga.hpp"
#include "mink/saga/saga_manager.hpp"

namespace mink::sagatest::pipeline {

inline constexpr int kSteps = 3;
inline constexpr std::string_view kSagaType = "Pipeline";

struct PipelineStarted {
  static constexpr std::string_view kEventType = "PipelineStarted";
  std::string id;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(PipelineStarted, id)
};
struct StepDone {
  static constexpr std::string_view kEventType = "StepDone";
  std::string id;
  int step = 0;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(StepDone, id, step)
};
struct DoStep : CommandBase {
  static constexpr std::string_view kCommandType = "DoStep";
  DoStep() = default;
  DoStep(std::string pipeline, int n) : id(std::move(pipeline)), step(n) {}
  std::string id;
  int step = 0;
  void Validate() const {}
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(DoStep, id, step)
};

class PipelineSaga : public JsonSaga<PipelineSaga> {
 public:
  explicit PipelineSaga(std::string saga_id)
      : JsonSaga(std::move(saga_id), std::string(kSagaType)) {}
  std::vector<std::string> HandledEvents() const override {
    return {"PipelineStarted", "StepDone"};
  }
  Commands HandleEvent(const Context&, const Event& event) override {
    Commands out;
    Match(
        event,
        [&](const PipelineStarted& e) {
          pipeline = e.id;
          out.push_back(DoStep(e.id, 1));
        },
        [&](const StepDone& e) {
          done = e.step;
          if (e.step < kSteps) out.push_back(DoStep(e.id, e.step + 1));
        });
    return out;
  }
  Commands Compensate(const Context&, int, const std::exception_ptr&) override { return {}; }
  bool IsComplete() const override { return done == kSteps; }

  std::string pipeline;
  int done = 0;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(PipelineSaga, pipeline, done)
};

inline std::string StreamOf(const std::string& id) { return "Pipeline-" + id; }

// Registers the events on `store` and the DoStep handler on `bus`; `on_run` is told about
// every run of the handler before its effect.
inline void RegisterPipeline(const std::shared_ptr<EventStore>& store, CommandBus& bus,
                             std::function<void(const DoStep&)> on_run = nullptr) {
  store->RegisterEvents<PipelineStarted, StepDone>();
  bus.Register(NewGenericHandler<DoStep>(
      [store, on_run = std::move(on_run)](const Context& ctx, const DoStep& c) {
        if (on_run) on_run(c);
        try {
          store->Append(ctx, StreamOf(c.id), {StepDone{c.id, c.step}}, c.step);
        } catch (const ConcurrencyError&) {
          // This step's event is there already: a re-run after a crash; no second effect.
        }
        return NewSuccessResult(c.id, c.step + 1);
      }));
}

inline void RegisterPipelineSaga(SagaManager& manager) {
  manager.RegisterSimple(std::string(kSagaType),
                         [](const std::string& id) { return std::make_unique<PipelineSaga>(id); },
                         {"PipelineStarted"});
}

}  // namespace mink::sagatest::pipeline

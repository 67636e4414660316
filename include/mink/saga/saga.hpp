// mink/saga/saga.hpp — Saga (a process manager), SagaBase, JsonSaga, SagaFactory,
// SagaCorrelation.
//
// A saga reacts to events by returning commands; SagaManager dispatches them through the
// command bus, persists the saga (SagaStore) and, when a step fails, asks the saga for
// compensating commands:
//
//   class OrderSaga : public mink::JsonSaga<OrderSaga> {
//    public:
//     explicit OrderSaga(std::string id) : JsonSaga(std::move(id), "OrderFulfillment") {}
//     std::vector<std::string> HandledEvents() const override { return {"OrderCreated", ...}; }
//     mink::Commands HandleEvent(const mink::Context&, const mink::Event& e) override {
//       mink::Commands out;
//       mink::Match(e, [&](const OrderCreated& c) { order_id = c.order_id;
//                                                    out.push_back(RequestPayment{...}); },
//                      [&](const PaymentFailed& f) { throw mink::SagaFailedError(1, f.reason); });
//       return out;
//     }
//     mink::Commands Compensate(const mink::Context&, int failed_step,
//                               const std::exception_ptr& reason) override { ... }
//     bool IsComplete() const override { return shipped; }
//     std::string order_id; bool shipped = false;
//     NLOHMANN_DEFINE_TYPE_INTRUSIVE(OrderSaga, order_id, shipped)   // the saga's Data()
//   };
//
// HandleEvent receives the decoded event (registered types arrive typed, others as raw JSON)
// with its stored identity (ID(), StreamID(), GlobalPosition(), Metadata()). Throwing
// SagaFailedError reports a business failure; any other exception is a failure too (its
// message becomes the reason); both lead to compensation. A saga object is used by one thread
// at a time (the manager holds the saga's lock).
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "mink/context.hpp"
#include "mink/cqrs/any_command.hpp"
#include "mink/es/event.hpp"
#include "mink/es/stored_event.hpp"
#include "mink/saga/errors.hpp"
#include "mink/saga/state.hpp"
#include "mink/saga/status.hpp"

namespace mink {

class Saga {
 public:
  virtual ~Saga() = default;

  virtual const std::string& SagaID() const = 0;
  virtual const std::string& SagaType() const = 0;
  virtual SagaStatus Status() const = 0;
  virtual void SetStatus(SagaStatus status) = 0;
  // The number of commands dispatched successfully so far (0-based step index).
  virtual int CurrentStep() const = 0;
  virtual void SetCurrentStep(int step) = 0;
  virtual const std::string& CorrelationID() const = 0;
  virtual void SetCorrelationID(std::string id) = 0;

  // The event types this saga reacts to (the manager subscribes to these).
  virtual std::vector<std::string> HandledEvents() const = 0;
  // One event in, the commands to dispatch out. Throw to fail the saga (see above).
  virtual Commands HandleEvent(const Context& ctx, const Event& event) = 0;
  // The commands that undo the steps before `failed_step`. Throwing makes the saga failed.
  virtual Commands Compensate(const Context& ctx, int failed_step,
                              const std::exception_ptr& reason) = 0;
  virtual bool IsComplete() const = 0;

  virtual Timestamp StartedAt() const = 0;
  virtual void SetStartedAt(Timestamp t) = 0;
  virtual std::optional<Timestamp> CompletedAt() const = 0;
  virtual void SetCompletedAt(std::optional<Timestamp> t) = 0;

  // The saga's own fields as JSON (go-mink's Data()/SetData map), persisted in SagaState::data.
  virtual nlohmann::json Data() const = 0;
  virtual void SetData(const nlohmann::json& data) = 0;

  virtual int64_t Version() const = 0;
  virtual void SetVersion(int64_t version) = 0;
  void IncrementVersion() { SetVersion(Version() + 1); }

  // The recorded step history, persisted in SagaState::steps.
  virtual const std::vector<SagaStep>& Steps() const = 0;
  virtual void SetSteps(std::vector<SagaStep> steps) = 0;
  virtual void RecordStep(SagaStep step) = 0;
};

// The bookkeeping half of a saga: ID, type, status, step, correlation, times, version, steps.
// New sagas start in kStarted with StartedAt() = now.
class SagaBase : public Saga {
 public:
  SagaBase(std::string id, std::string type)
      : id_(std::move(id)),
        type_(std::move(type)),
        started_at_(TruncateToMicros(std::chrono::system_clock::now())) {}

  const std::string& SagaID() const override { return id_; }
  void SetID(std::string id) { id_ = std::move(id); }
  const std::string& SagaType() const override { return type_; }
  void SetType(std::string type) { type_ = std::move(type); }
  SagaStatus Status() const override { return status_; }
  void SetStatus(SagaStatus status) override { status_ = status; }
  int CurrentStep() const override { return current_step_; }
  void SetCurrentStep(int step) override { current_step_ = step; }
  const std::string& CorrelationID() const override { return correlation_id_; }
  void SetCorrelationID(std::string id) override { correlation_id_ = std::move(id); }
  Timestamp StartedAt() const override { return started_at_; }
  void SetStartedAt(Timestamp t) override { started_at_ = t; }
  std::optional<Timestamp> CompletedAt() const override { return completed_at_; }
  void SetCompletedAt(std::optional<Timestamp> t) override { completed_at_ = t; }
  int64_t Version() const override { return version_; }
  void SetVersion(int64_t version) override { version_ = version; }
  const std::vector<SagaStep>& Steps() const override { return steps_; }
  void SetSteps(std::vector<SagaStep> steps) override { steps_ = std::move(steps); }
  void RecordStep(SagaStep step) override { steps_.push_back(std::move(step)); }

  // go-mink's transitions; each terminal one stamps CompletedAt.
  void Complete() { Finish(SagaStatus::kCompleted); }
  void Fail() { Finish(SagaStatus::kFailed); }
  void StartCompensation() { status_ = SagaStatus::kCompensating; }
  void MarkCompensated() { Finish(SagaStatus::kCompensated); }

 private:
  void Finish(SagaStatus status) {
    status_ = status;
    completed_at_ = TruncateToMicros(std::chrono::system_clock::now());
  }

  std::string id_;
  std::string type_;
  SagaStatus status_ = SagaStatus::kStarted;
  int current_step_ = 0;
  std::string correlation_id_;
  Timestamp started_at_;
  std::optional<Timestamp> completed_at_;
  int64_t version_ = 0;
  std::vector<SagaStep> steps_;
};

// A SagaBase whose Data()/SetData() are the derived class's own nlohmann conversions
// (NLOHMANN_DEFINE_TYPE_INTRUSIVE(Self, fields...) or to_json/from_json found by ADL), so a
// saga's fields round-trip without a hand-written map. A field missing from stored data keeps
// what the macro does with it (the _WITH_DEFAULT variants tolerate missing fields).
template <class Self>
class JsonSaga : public SagaBase {
 public:
  using SagaBase::SagaBase;

  nlohmann::json Data() const override {
    nlohmann::json j;
    to_json(j, static_cast<const Self&>(*this));
    return j;
  }
  void SetData(const nlohmann::json& data) override {
    if (data.is_null() || (data.is_object() && data.empty())) return;  // a fresh saga
    from_json(data, static_cast<Self&>(*this));
  }
};

// Makes a saga instance with the given ID (go-mink's SagaFactory). Register calls it once with
// an empty ID to read HandledEvents().
using SagaFactory = std::function<std::unique_ptr<Saga>(const std::string& id)>;

// How events find their saga: the event's correlation ID (CorrelationIDFunc) names the
// instance; an event of a starting type with no saga yet creates "<saga_type>-<correlation>".
struct SagaCorrelation {
  std::string saga_type;
  std::vector<std::string> starting_events;
  // Empty = the event's stream ID (go-mink's RegisterSimple).
  std::function<std::string(const StoredEvent&)> correlation_id_func;
};

// Copies a saga's bookkeeping and Data() into a SagaState and back. Processed events, the
// failure reason and updated_at belong to the manager and the store, and are left alone.
// SagaFromState lets SetData's exception through (the manager reports it as corrupt state).
MINK_API SagaState SagaToState(const Saga& saga);
MINK_API void SagaFromState(Saga& saga, const SagaState& state);

}  // namespace mink

#ifdef MINK_HEADER_ONLY
#include "mink/saga/saga-inl.hpp"
#endif

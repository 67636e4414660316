// mink/es/aggregate.hpp — event-sourced aggregates.
//
// An aggregate's state follows from its events. Domain methods check their rules and call
// Apply(event), which mutates state through ApplyEvent and records the event as uncommitted.
// EventStore::SaveAggregate appends the uncommitted events to stream "<Type>-<ID>" expecting
// Version() (optimistic concurrency), then advances Version() and clears them — only on
// success. EventStore::LoadAggregate replays the stream through ApplyEvent and sets Version().
//
// Version() is the version of the last persisted event the aggregate has seen; uncommitted
// events do not change it. Aggregates are not thread safe: one aggregate object, one thread.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "mink/es/event.hpp"
#include "mink/es/stream_id.hpp"

namespace mink {

class Aggregate {
 public:
  virtual ~Aggregate() = default;

  virtual const std::string& AggregateID() const = 0;
  virtual const std::string& AggregateType() const = 0;
  virtual int64_t Version() const = 0;
  virtual void SetVersion(int64_t version) = 0;
  // Mutates state for one event; called by Apply and during replay.
  virtual void ApplyEvent(const Event& event) = 0;
  virtual const std::vector<Event>& UncommittedEvents() const = 0;
  virtual void ClearUncommittedEvents() = 0;
};

class AggregateBase : public Aggregate {
 public:
  AggregateBase(std::string id, std::string type) : id_(std::move(id)), type_(std::move(type)) {}

  const std::string& AggregateID() const override { return id_; }
  const std::string& AggregateType() const override { return type_; }
  int64_t Version() const override { return version_; }
  void SetVersion(int64_t version) override { version_ = version; }
  const std::vector<Event>& UncommittedEvents() const override { return uncommitted_; }
  void ClearUncommittedEvents() override { uncommitted_.clear(); }

  bool HasUncommittedEvents() const noexcept { return !uncommitted_.empty(); }
  std::string StreamID() const { return BuildStreamID(type_, id_); }
  void SetID(std::string id) { id_ = std::move(id); }

 protected:
  // Applies `event` to the state, then records it. When ApplyEvent throws, nothing is recorded.
  void Apply(Event event) {
    ApplyEvent(event);
    uncommitted_.push_back(std::move(event));
  }

 private:
  std::string id_;
  std::string type_;
  int64_t version_ = 0;
  std::vector<Event> uncommitted_;
};

}  // namespace mink

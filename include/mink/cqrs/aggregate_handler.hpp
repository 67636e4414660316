// mink/cqrs/aggregate_handler.hpp — NewAggregateHandler: load an aggregate, run the command, save.
//
//   bus.Register(mink::NewAggregateHandler<AddItem, Order>(
//       store,
//       [](const AddItem& cmd) { return cmd.order_id; },                  // aggregate ID
//       [](std::string id) { return std::make_unique<Order>(std::move(id)); },  // factory
//       [](const mink::Context&, Order& order, const AddItem& cmd) { order.AddItem(cmd.sku); }));
//
// Handle follows go-mink's rules:
//   * the aggregate ID comes from `aggregate_id` (default: the command's AggregateID());
//   * an empty ID means a new aggregate: its ID is new_id() and it is NOT loaded; without
//     new_id the result is an error (kInvalidArgument);
//   * otherwise the aggregate is loaded, the executor runs, and SaveAggregate appends the new
//     events expecting the loaded version (optimistic concurrency);
//   * success returns NewSuccessResult(aggregate ID, version after save) with `events` set to
//     the events the command produced;
//   * a failure to load, an exception from the executor, or a failure to save is returned as
//     an error result holding the original exception (its code intact, e.g.
//     kConcurrencyConflict or kDomain), with nothing saved; Dispatch does not throw for it.
//
// The handler keeps a reference to the EventStore, which must outlive it. It is thread safe
// when the factory, executor and ID functions are (each Handle works on its own aggregate).
#pragma once

#include <concepts>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "mink/cqrs/command.hpp"
#include "mink/cqrs/command_result.hpp"
#include "mink/cqrs/handler.hpp"
#include "mink/es/aggregate.hpp"
#include "mink/es/event_store.hpp"

namespace mink {

template <Command C, std::derived_from<Aggregate> A>
struct AggregateHandlerConfig {
  EventStore* store = nullptr;
  std::function<std::string(const C&)> aggregate_id;           // default: cmd.AggregateID()
  std::function<std::unique_ptr<A>(std::string id)> factory;   // default: make_unique<A>(id)
  std::function<void(const Context&, A&, const C&)> executor;  // required
  std::function<std::string()> new_id;  // ID for a new aggregate; empty: new needs an ID
};

template <Command C, std::derived_from<Aggregate> A>
class AggregateHandler final : public TypedCommandHandler<C> {
 public:
  explicit AggregateHandler(AggregateHandlerConfig<C, A> config) : config_(std::move(config)) {
    if (config_.store == nullptr) {
      throw Error(errc::kInvalidArgument, "AggregateHandler needs an EventStore");
    }
    if (!config_.executor) {
      throw Error(errc::kInvalidArgument, "AggregateHandler needs an executor");
    }
    if (!config_.aggregate_id) {
      if constexpr (AggregateCommand<C>) {
        config_.aggregate_id = [](const C& cmd) { return std::string(cmd.AggregateID()); };
      } else {
        throw Error(errc::kInvalidArgument,
                    "AggregateHandler for a command without AggregateID() needs aggregate_id");
      }
    }
    if (!config_.factory) {
      if constexpr (std::is_constructible_v<A, std::string>) {
        config_.factory = [](std::string id) { return std::make_unique<A>(std::move(id)); };
      } else {
        throw Error(
            errc::kInvalidArgument,
            "AggregateHandler needs a factory for an aggregate without an (id) constructor");
      }
    }
  }

  CommandResult HandleTyped(const Context& ctx, const C& command) override {
    const C* cmd = &command;
    try {
      std::string id = config_.aggregate_id(*cmd);
      const bool is_new = id.empty();
      if (is_new) {
        if (!config_.new_id) {
          return NewErrorResult(Error(errc::kInvalidArgument,
                                      "command \"" + std::string(C::kCommandType) +
                                          "\" has no aggregate ID and no ID generator is set"));
        }
        id = config_.new_id();
      }
      std::unique_ptr<A> aggregate = config_.factory(std::move(id));
      if (!aggregate) {
        return NewErrorResult(Error(errc::kInvalidArgument, "aggregate factory returned null"));
      }
      if (!is_new) config_.store->LoadAggregate(ctx, *aggregate);
      config_.executor(ctx, *aggregate, *cmd);
      std::vector<Event> produced = aggregate->UncommittedEvents();
      config_.store->SaveAggregate(ctx, *aggregate);
      CommandResult result = NewSuccessResult(aggregate->AggregateID(), aggregate->Version());
      result.events = std::move(produced);
      return result;
    } catch (...) {
      return NewErrorResult(std::current_exception());
    }
  }

 private:
  AggregateHandlerConfig<C, A> config_;
};

template <Command C, std::derived_from<Aggregate> A>
std::shared_ptr<AggregateHandler<C, A>> NewAggregateHandler(AggregateHandlerConfig<C, A> config) {
  return std::make_shared<AggregateHandler<C, A>>(std::move(config));
}

// The positional form: (store, aggregate ID from command, factory, executor[, new_id]).
template <Command C, std::derived_from<Aggregate> A>
std::shared_ptr<AggregateHandler<C, A>> NewAggregateHandler(
    EventStore& store, std::function<std::string(const C&)> aggregate_id,
    std::function<std::unique_ptr<A>(std::string id)> factory,
    std::function<void(const Context&, A&, const C&)> executor,
    std::function<std::string()> new_id = {}) {
  return NewAggregateHandler<C, A>(AggregateHandlerConfig<C, A>{
      .store = &store,
      .aggregate_id = std::move(aggregate_id),
      .factory = std::move(factory),
      .executor = std::move(executor),
      .new_id = std::move(new_id),
  });
}

}  // namespace mink

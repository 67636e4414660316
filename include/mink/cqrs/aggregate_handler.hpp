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
//     new_id the result is an error (kInvalidArgument), unless handler_assigns_id (the
//     factory-without-ID form): then the executor gives the new aggregate its ID;
//   * otherwise the aggregate is loaded, the executor runs, and SaveAggregate appends the new
//     events expecting the loaded version (optimistic concurrency);
//   * the command's metadata (CommandBase::SetMetadata) is carried into each event's custom
//     metadata ('$' keys are skipped: they are the library's);
//   * success returns NewSuccessResult(aggregate ID, version after save) with `events` set to
//     the events the command produced;
//   * a failure to load, an exception from the executor, or a failure to save propagates out
//     of Dispatch as thrown (its type and code intact, e.g. ConcurrencyError, DomainError),
//     with nothing saved — the same rule as every other handler kind (docs/command-bus.md).
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
  // A new aggregate (empty ID) without new_id is handed to the executor without an ID, and the
  // executor assigns it (the factory-without-ID form below sets this).
  bool handler_assigns_id = false;
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
    std::string id = config_.aggregate_id(command);
    const bool is_new = id.empty();
    if (is_new && config_.new_id) {
      id = config_.new_id();
    } else if (is_new && !config_.handler_assigns_id) {
      return NewErrorResult(
          Error(errc::kInvalidArgument, "command \"" + std::string(C::kCommandType) +
                                            "\" has no aggregate ID and no ID generator is set"));
    }
    std::unique_ptr<A> aggregate = config_.factory(std::move(id));
    if (!aggregate) {
      return NewErrorResult(Error(errc::kInvalidArgument, "aggregate factory returned null"));
    }
    if (!is_new) config_.store->LoadAggregate(ctx, *aggregate);
    config_.executor(ctx, *aggregate, command);
    std::vector<Event> produced = aggregate->UncommittedEvents();
    config_.store->SaveAggregate(ctx, *aggregate, CommandMetadata(command));
    CommandResult result = NewSuccessResult(aggregate->AggregateID(), aggregate->Version());
    result.events = std::move(produced);
    return result;
  }

 private:
  // The command's metadata as event custom metadata (reserved '$' keys skipped).
  static Metadata CommandMetadata(const C& command) {
    Metadata metadata;
    if constexpr (std::is_base_of_v<CommandBase, C>) {
      for (const auto& [key, value] : command.GetMetadataMap()) {
        if (!key.empty() && key.front() != '$') metadata.SetCustom(key, value);
      }
    }
    return metadata;
  }

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

// The factory-without-ID form (go-mink's page: NewAggregateHandler(store, idFn, func() *Order
// {...}, executor)): the factory makes an aggregate without an ID; the handler gives it the
// command's ID (SetID) when there is one, and for a new aggregate the executor assigns it.
template <Command C, std::derived_from<AggregateBase> A>
std::shared_ptr<AggregateHandler<C, A>> NewAggregateHandler(
    EventStore& store, std::function<std::string(const C&)> aggregate_id,
    std::function<std::unique_ptr<A>()> factory,
    std::function<void(const Context&, A&, const C&)> executor) {
  if (!factory) throw Error(errc::kInvalidArgument, "AggregateHandler needs a factory");
  return NewAggregateHandler<C, A>(AggregateHandlerConfig<C, A>{
      .store = &store,
      .aggregate_id = std::move(aggregate_id),
      .factory =
          [factory = std::move(factory)](std::string id) {
            std::unique_ptr<A> aggregate = factory();
            if (aggregate && !id.empty()) aggregate->SetID(std::move(id));
            return aggregate;
          },
      .executor = std::move(executor),
      .handler_assigns_id = true,
  });
}

}  // namespace mink

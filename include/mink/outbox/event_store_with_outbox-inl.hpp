// mink/outbox/event_store_with_outbox-inl.hpp — definitions for event_store_with_outbox.hpp.
#pragma once

#ifndef MINK_HEADER_ONLY
#include "mink/outbox/event_store_with_outbox.hpp"
#endif

#include <spdlog/logger.h>

#include "mink/es/errors.hpp"
#include "mink/es/stream_id.hpp"
#include "mink/es/version.hpp"
#include "mink/outbox/errors.hpp"

namespace mink {

MINK_INLINE EventStoreWithOutbox::EventStoreWithOutbox(std::shared_ptr<EventStore> store,
                                                       std::shared_ptr<mink::OutboxStore> outbox,
                                                       std::vector<OutboxRoute> routes,
                                                       EventStoreWithOutboxOptions options)
    : store_(std::move(store)),
      outbox_(std::move(outbox)),
      routes_(std::move(routes)),
      options_(std::move(options)) {
  if (!store_) throw Error(errc::kInvalidArgument, "EventStoreWithOutbox needs an EventStore");
  if (!outbox_) throw Error(errc::kInvalidArgument, "EventStoreWithOutbox needs an OutboxStore");
  if (options_.max_attempts <= 0) {
    throw Error(errc::kInvalidArgument, "EventStoreWithOutbox max_attempts must be positive");
  }
  for (const OutboxRoute& route : routes_) ValidateDestination(route.destination);
  if (!options_.logger) options_.logger = store_->Options().logger;
}

MINK_INLINE bool EventStoreWithOutbox::IsAtomic() const noexcept {
  return store_->Capability<TransactionalAdapter>() != nullptr;
}

MINK_INLINE std::vector<OutboxMessage> EventStoreWithOutbox::BuildMessages(
    std::span<const Event> events, const std::vector<StoredEvent>& stored) const {
  std::vector<OutboxMessage> messages;
  for (std::size_t i = 0; i < stored.size() && i < events.size(); ++i) {
    const StoredEvent& s = stored[i];
    const Event& event = events[i];
    for (const OutboxRoute& route : routes_) {
      if (!route.MatchesType(s.type)) continue;
      std::string payload;
      try {
        if (route.filter && !route.filter(event, s)) continue;
        payload = route.transform ? route.transform(event, s) : s.data;
      } catch (...) {
        throw Error(errc::kOutboxTransformFailed,
                    "outbox route \"" + route.destination + "\" failed on " + s.type + " of \"" +
                        s.stream_id + "\": " + ErrorMessage(std::current_exception()),
                    std::current_exception());
      }
      OutboxMessage m;
      m.aggregate_id = s.stream_id;
      m.event_type = s.type;
      m.destination = route.destination;
      m.payload = std::move(payload);
      m.max_attempts = options_.max_attempts;
      m.headers.emplace("stream-id", s.stream_id);
      m.headers.emplace("event-type", s.type);
      m.headers.emplace("event-id", s.id);
      if (!s.metadata.correlation_id.empty()) {
        m.headers.emplace("correlation-id", s.metadata.correlation_id);
      }
      if (!s.metadata.causation_id.empty()) {
        m.headers.emplace("causation-id", s.metadata.causation_id);
      }
      messages.push_back(std::move(m));
    }
  }
  return messages;
}

MINK_INLINE AppendResult EventStoreWithOutbox::AppendSpan(const Context& ctx,
                                                          std::string_view stream_id,
                                                          std::span<const Event> events,
                                                          int64_t expected_version,
                                                          const Metadata& metadata) {
  ctx.ThrowIfDone();
  if (stream_id.empty()) throw Error(errc::kEmptyStreamID, "stream ID is empty");
  if (events.empty()) throw Error(errc::kNoEvents, "no events to append");
  ValidateExpectedVersion(expected_version);
  std::vector<EventRecord> records = store_->PrepareRecords(ctx, events, metadata);
  const std::string stream(stream_id);

  if (auto* tx_adapter = store_->Capability<TransactionalAdapter>()) {
    return tx_adapter->AppendWithHook(ctx, stream, std::move(records), expected_version,
                                      [&](Transaction& tx, const std::vector<StoredEvent>& stored) {
                                        std::vector<OutboxMessage> messages =
                                            BuildMessages(events, stored);
                                        if (!messages.empty())
                                          outbox_->ScheduleInTx(ctx, tx, messages);
                                      });
  }

  if (!warned_non_atomic_.exchange(true)) {
    options_.logger->warn(
        "EventStoreWithOutbox: the adapter cannot write events and outbox messages in one "
        "transaction; appending first, then scheduling (a failure in between loses messages)");
  }
  const auto count = static_cast<int64_t>(records.size());
  AppendResult result = store_->Adapter().Append(ctx, stream, std::move(records), expected_version);
  try {
    std::vector<StoredEvent> stored = store_->Adapter().Load(ctx, stream, result.version - count);
    if (stored.size() > events.size()) stored.resize(events.size());
    std::vector<OutboxMessage> messages = BuildMessages(events, stored);
    if (!messages.empty()) outbox_->Schedule(ctx, messages);
  } catch (...) {
    throw OutboxScheduleError(result, std::current_exception());
  }
  return result;
}

MINK_INLINE void EventStoreWithOutbox::SaveAggregate(const Context& ctx, Aggregate& aggregate,
                                                     const Metadata& metadata) {
  const auto& uncommitted = aggregate.UncommittedEvents();
  if (uncommitted.empty()) return;
  if (aggregate.AggregateID().empty()) {
    throw Error(errc::kEmptyStreamID,
                "aggregate of type \"" + aggregate.AggregateType() + "\" has an empty ID");
  }
  const std::string stream = BuildStreamID(aggregate.AggregateType(), aggregate.AggregateID());
  AppendResult result = AppendSpan(ctx, stream, uncommitted, aggregate.Version(), metadata);
  aggregate.SetVersion(result.version);
  aggregate.ClearUncommittedEvents();
}

}  // namespace mink

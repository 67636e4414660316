// mink/es/event_store-inl.hpp — definitions for event_store.hpp (see mink/detail/config.hpp).
#pragma once

#ifndef MINK_HEADER_ONLY
#include "mink/es/event_store.hpp"
#endif

#include <spdlog/logger.h>
#include <spdlog/sinks/null_sink.h>

namespace mink {

MINK_INLINE EventStore::EventStore(std::shared_ptr<EventStoreAdapter> adapter,
                                   EventStoreOptions options)
    : adapter_(std::move(adapter)), options_(std::move(options)) {
  if (!adapter_) throw Error(errc::kInvalidArgument, "EventStore needs an adapter");
  if (!options_.logger) {
    options_.logger =
        std::make_shared<spdlog::logger>("mink", std::make_shared<spdlog::sinks::null_sink_mt>());
  }
}

MINK_INLINE std::vector<EventRecord> EventStore::PrepareRecords(const Context& ctx,
                                                                std::string_view stream_id,
                                                                std::span<const Event> events,
                                                                const Metadata& metadata) const {
  Metadata base = metadata;
  if (base.correlation_id.empty()) base.correlation_id = ctx.CorrelationID();
  if (base.causation_id.empty()) base.causation_id = ctx.CausationID();
  if (base.user_id.empty()) base.user_id = ctx.UserID();
  if (base.tenant_id.empty()) base.tenant_id = ctx.TenantID();

  std::vector<EventRecord> records;
  records.reserve(events.size());
  for (const Event& event : events) {
    EventRecord record{event.Type(), {}, base};
    try {
      record.data = event.Json().dump();
    } catch (const std::exception& e) {
      throw SerializationError(event.Type(), "serialize", e.what());
    }
    if (options_.upcasters && !record.metadata.Custom(kSchemaVersionKey)) {
      SetSchemaVersion(record.metadata, options_.upcasters->LatestVersion(record.type));
    }
    records.push_back(std::move(record));
  }
  // One call for the batch: field encryption asks its provider for one data key per append.
  if (options_.field_transform) options_.field_transform->EncodeBatch(ctx, stream_id, records);
  if (options_.max_event_size > 0) {
    for (const EventRecord& record : records) {
      if (record.data.size() > options_.max_event_size) {
        throw EventTooLargeError(record.type, record.data.size(), options_.max_event_size);
      }
    }
  }
  return records;
}

MINK_INLINE std::vector<Event> EventStore::LoadFrom(const Context& ctx, std::string_view stream_id,
                                                    int64_t from_version) {
  std::vector<StoredEvent> stored = LoadRaw(ctx, stream_id, from_version);
  std::vector<Event> events;
  events.reserve(stored.size());
  for (StoredEvent& s : stored) events.push_back(ProcessStoredEvent(ctx, std::move(s)));
  return events;
}

MINK_INLINE std::vector<StoredEvent> EventStore::LoadRaw(const Context& ctx,
                                                         std::string_view stream_id,
                                                         int64_t from_version) {
  ctx.ThrowIfDone();
  ValidateStreamID(stream_id);
  if (from_version < 0) {
    throw Error(errc::kInvalidVersion,
                "from_version must be >= 0, got " + std::to_string(from_version));
  }
  return adapter_->Load(ctx, std::string(stream_id), from_version);
}

MINK_INLINE nlohmann::json EventStore::DecodeStoredData(const Context& ctx, StoredEvent& stored,
                                                        bool* upcast) const {
  if (options_.field_transform) options_.field_transform->Decode(ctx, stored);
  nlohmann::json data;
  try {
    data = nlohmann::json::parse(stored.data);
  } catch (const nlohmann::json::exception& e) {
    throw SerializationError(stored.type, "deserialize",
                             "event " + std::to_string(stored.version) + " of \"" +
                                 stored.stream_id + "\": " + e.what());
  }
  const bool upcasting = options_.upcasters && options_.upcasters->HasUpcasters(stored.type);
  if (upcasting) {
    int version = 0;
    std::tie(data, version) = options_.upcasters->Upcast(
        stored.type, GetSchemaVersion(stored.metadata), std::move(data), stored.metadata);
    SetSchemaVersion(stored.metadata, version);
  }
  if (upcast) *upcast = upcasting;
  return data;
}

MINK_INLINE Event EventStore::ProcessStoredEvent(const Context& ctx, StoredEvent stored) const {
  nlohmann::json data = DecodeStoredData(ctx, stored);
  std::optional<Event> decoded;
  try {
    decoded = registry_.Decode(stored.type, data);
  } catch (const SerializationError&) {
    // A crypto-shredded event keeps ciphertext (strings) where its type may want numbers or
    // objects: hand it out as raw JSON rather than failing every read of its stream.
    if (!options_.field_transform || !options_.field_transform->KeptEncoded(stored)) throw;
    Event event = Event::Raw(stored.type, std::move(data));
    event.WithStoredIdentity(std::move(stored));
    return event;
  }
  if (!decoded && options_.strict_replay) {
    throw UnregisteredEventTypeError(stored.stream_id, stored.type, stored.version);
  }
  Event event = decoded ? std::move(*decoded) : Event::Raw(stored.type, std::move(data));
  event.WithStoredIdentity(std::move(stored));
  return event;
}

MINK_INLINE void EventStore::SaveAggregate(const Context& ctx, Aggregate& aggregate,
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

MINK_INLINE void EventStore::LoadAggregate(const Context& ctx, Aggregate& aggregate) {
  const std::string stream = BuildStreamID(aggregate.AggregateType(), aggregate.AggregateID());
  int64_t version = aggregate.Version();
  for (StoredEvent& stored : LoadRaw(ctx, stream, 0)) {
    Event event = ProcessStoredEvent(ctx, std::move(stored));
    if (event.IsRaw()) WarnUnregisteredOnce(stream, event);
    aggregate.ApplyEvent(event);
    version = event.Version();
  }
  aggregate.SetVersion(version);
}

MINK_INLINE StreamInfo EventStore::GetStreamInfo(const Context& ctx, std::string_view stream_id) {
  ValidateStreamID(stream_id);
  return adapter_->GetStreamInfo(ctx, std::string(stream_id));
}

MINK_INLINE std::vector<StoredEvent> EventStore::LoadEventsFromPosition(const Context& ctx,
                                                                        uint64_t from_position,
                                                                        std::size_t limit) {
  return Subscriptions().LoadFromPosition(ctx, from_position, limit);
}

MINK_INLINE std::unique_ptr<Subscription> EventStore::SubscribeAll(
    const Context& ctx, uint64_t from_position, const SubscriptionOptions& options) {
  return Subscriptions().SubscribeAll(ctx, from_position, options);
}

MINK_INLINE std::unique_ptr<Subscription> EventStore::SubscribeStream(
    const Context& ctx, std::string_view stream_id, int64_t from_version,
    const SubscriptionOptions& options) {
  ValidateStreamID(stream_id);
  return Subscriptions().SubscribeStream(ctx, std::string(stream_id), from_version, options);
}

MINK_INLINE std::unique_ptr<Subscription> EventStore::SubscribeCategory(
    const Context& ctx, std::string_view category, uint64_t from_position,
    const SubscriptionOptions& options) {
  if (category.empty()) throw Error(errc::kInvalidArgument, "category is empty");
  return Subscriptions().SubscribeCategory(ctx, std::string(category), from_position, options);
}

MINK_INLINE void EventStore::ValidateStreamID(std::string_view stream_id) {
  if (stream_id.empty()) throw Error(errc::kEmptyStreamID, "stream ID is empty");
}

MINK_INLINE AppendResult EventStore::AppendSpan(const Context& ctx, std::string_view stream_id,
                                                std::span<const Event> events,
                                                int64_t expected_version,
                                                const Metadata& metadata) {
  ctx.ThrowIfDone();
  ValidateStreamID(stream_id);
  if (events.empty()) throw Error(errc::kNoEvents, "no events to append");
  ValidateExpectedVersion(expected_version);
  return adapter_->Append(ctx, std::string(stream_id),
                          PrepareRecords(ctx, stream_id, events, metadata), expected_version);
}

MINK_INLINE SubscriptionAdapter& EventStore::Subscriptions() const {
  auto* subs = Capability<SubscriptionAdapter>();
  if (subs == nullptr) {
    throw Error(errc::kSubscriptionNotSupported, "the adapter does not support subscriptions");
  }
  return *subs;
}

MINK_INLINE void EventStore::WarnUnregisteredOnce(const std::string& stream, const Event& event) {
  {
    std::lock_guard lock(warned_mutex_);
    if (warned_.contains(event.Type()) || warned_full_) return;
    if (warned_.size() >= kMaxWarnedUnregisteredTypes) {
      warned_full_ = true;
      options_.logger->warn("more than {} unregistered event types replayed; no longer reported",
                            kMaxWarnedUnregisteredTypes);
      return;
    }
    warned_.insert(event.Type());
  }
  options_.logger->warn(
      "replaying unregistered event type \"{}\" (first seen: stream {}, version {})", event.Type(),
      stream, event.Version());
}

}  // namespace mink

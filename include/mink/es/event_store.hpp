// mink/es/event_store.hpp — the EventStore: typed events and aggregates over an adapter.
//
// Append pipeline (order is part of the contract):
//   merge metadata (explicit > Context IDs) -> serialize -> stamp $schema_version (when an
//   UpcasterChain is configured) -> field transform slot (field encryption) -> size check ->
//   ONE adapter append.
// Load pipeline: adapter load -> field transform slot (decrypt) -> upcast -> deserialize.
//
// Validation happens before anything is written: an empty stream ID, no events, an invalid
// expected version, an oversize or unserializable event each throw a typed error and leave the
// store unchanged.
//
// Thread safety: all methods may be called concurrently once registration and configuration
// are done (registration itself is thread safe too).
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <spdlog/logger.h>
#include <spdlog/sinks/null_sink.h>
#include <nlohmann/json.hpp>

#include "mink/context.hpp"
#include "mink/es/adapter.hpp"
#include "mink/es/aggregate.hpp"
#include "mink/es/event.hpp"
#include "mink/es/event_registry.hpp"
#include "mink/es/stream_id.hpp"
#include "mink/es/upcasting.hpp"

namespace mink {

// The slot where field-level encryption plugs into both pipelines. Encode runs on each record
// after serialization and schema stamping, before the size check; Decode runs on each stored
// event before upcasting.
class RecordTransform {
 public:
  virtual ~RecordTransform() = default;
  virtual void Encode(const Context& ctx, EventRecord& record) const = 0;
  virtual void Decode(const Context& ctx, StoredEvent& stored) const = 0;
};

struct EventStoreOptions {
  std::shared_ptr<spdlog::logger> logger;    // default: discards everything
  std::shared_ptr<UpcasterChain> upcasters;  // default: none (all events schema v1)
  std::size_t max_event_size = 0;            // serialized bytes per event; 0 = unlimited
  bool strict_replay = false;                // unregistered types fail LoadAggregate
  std::shared_ptr<const RecordTransform> field_transform;  // field encryption slot
};

class EventStore {
 public:
  explicit EventStore(std::shared_ptr<EventStoreAdapter> adapter, EventStoreOptions options = {})
      : adapter_(std::move(adapter)), options_(std::move(options)) {
    if (!adapter_) throw Error(errc::kInvalidArgument, "EventStore needs an adapter");
    if (!options_.logger) {
      options_.logger =
          std::make_shared<spdlog::logger>("mink", std::make_shared<spdlog::sinks::null_sink_mt>());
    }
  }

  // ---- registry ----
  template <DecodableEventType... Ts>
  void RegisterEvents() {
    registry_.Register<Ts...>();
  }
  bool IsRegistered(std::string_view type) const { return registry_.IsRegistered(type); }
  std::vector<std::string> RegisteredEventTypes() const { return registry_.RegisteredEventTypes(); }

  // ---- append ----
  AppendResult Append(const Context& ctx, std::string_view stream_id, std::vector<Event> events,
                      int64_t expected_version = AnyVersion, const Metadata& metadata = {}) {
    return AppendSpan(ctx, stream_id, events, expected_version, metadata);
  }
  // The same for events the caller keeps (no copy of the events is made).
  AppendResult Append(const Context& ctx, std::string_view stream_id, std::span<const Event> events,
                      int64_t expected_version = AnyVersion, const Metadata& metadata = {}) {
    return AppendSpan(ctx, stream_id, events, expected_version, metadata);
  }

  // Serializes events through the append pipeline without writing them. Throws the same typed
  // errors Append would.
  std::vector<EventRecord> PrepareRecords(const Context& ctx, std::span<const Event> events,
                                          const Metadata& metadata = {}) const {
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
      if (options_.field_transform) options_.field_transform->Encode(ctx, record);
      if (options_.max_event_size > 0 && record.data.size() > options_.max_event_size) {
        throw EventTooLargeError(record.type, record.data.size(), options_.max_event_size);
      }
      records.push_back(std::move(record));
    }
    return records;
  }

  // ---- load ----
  std::vector<Event> Load(const Context& ctx, std::string_view stream_id) {
    return LoadFrom(ctx, stream_id, 0);
  }

  // Events with version > from_version. A missing stream gives an empty vector.
  std::vector<Event> LoadFrom(const Context& ctx, std::string_view stream_id,
                              int64_t from_version) {
    std::vector<StoredEvent> stored = LoadRaw(ctx, stream_id, from_version);
    std::vector<Event> events;
    events.reserve(stored.size());
    for (StoredEvent& s : stored) events.push_back(ProcessStoredEvent(ctx, std::move(s)));
    return events;
  }

  // Stored events as the adapter returns them: not decrypted, upcast or decoded.
  std::vector<StoredEvent> LoadRaw(const Context& ctx, std::string_view stream_id,
                                   int64_t from_version) {
    ctx.ThrowIfDone();
    ValidateStreamID(stream_id);
    if (from_version < 0) {
      throw Error(errc::kInvalidVersion,
                  "from_version must be >= 0, got " + std::to_string(from_version));
    }
    return adapter_->Load(ctx, std::string(stream_id), from_version);
  }

  // The load pipeline for one stored event: decrypt slot -> upcast -> deserialize. A type no
  // C++ type is registered for becomes a raw JSON Event, or UnregisteredEventTypeError under
  // strict replay.
  Event ProcessStoredEvent(const Context& ctx, StoredEvent stored) const {
    if (options_.field_transform) options_.field_transform->Decode(ctx, stored);
    nlohmann::json data;
    try {
      data = nlohmann::json::parse(stored.data);
    } catch (const nlohmann::json::exception& e) {
      throw SerializationError(stored.type, "deserialize",
                               "event " + std::to_string(stored.version) + " of \"" +
                                   stored.stream_id + "\": " + e.what());
    }
    if (options_.upcasters && options_.upcasters->HasUpcasters(stored.type)) {
      int version = 0;
      std::tie(data, version) = options_.upcasters->Upcast(
          stored.type, GetSchemaVersion(stored.metadata), std::move(data), stored.metadata);
      SetSchemaVersion(stored.metadata, version);
    }
    std::optional<Event> decoded = registry_.Decode(stored.type, data);
    if (!decoded && options_.strict_replay) {
      throw UnregisteredEventTypeError(stored.stream_id, stored.type, stored.version);
    }
    Event event = decoded ? std::move(*decoded) : Event::Raw(stored.type, std::move(data));
    event.WithStoredIdentity(std::move(stored));
    return event;
  }

  // ---- aggregates ----
  void SaveAggregate(const Context& ctx, Aggregate& aggregate) {
    const auto& uncommitted = aggregate.UncommittedEvents();
    if (uncommitted.empty()) return;
    if (aggregate.AggregateID().empty()) {
      throw Error(errc::kEmptyStreamID,
                  "aggregate of type \"" + aggregate.AggregateType() + "\" has an empty ID");
    }
    const std::string stream = BuildStreamID(aggregate.AggregateType(), aggregate.AggregateID());
    AppendResult result = AppendSpan(ctx, stream, uncommitted, aggregate.Version(), {});
    aggregate.SetVersion(result.version);
    aggregate.ClearUncommittedEvents();
  }

  // Replays "<Type>-<ID>" into `aggregate` (a fresh instance). A missing stream leaves it at
  // version 0. Unregistered event types are passed on as raw JSON events with a warning (once
  // per stream, type and version), or throw UnregisteredEventTypeError under strict replay.
  void LoadAggregate(const Context& ctx, Aggregate& aggregate) {
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

  // ---- streams and the global feed ----
  StreamInfo GetStreamInfo(const Context& ctx, std::string_view stream_id) {
    ValidateStreamID(stream_id);
    return adapter_->GetStreamInfo(ctx, std::string(stream_id));
  }
  uint64_t GetLastPosition(const Context& ctx) { return adapter_->GetLastPosition(ctx); }
  void Initialize(const Context& ctx) { adapter_->Initialize(ctx); }
  void Close() { adapter_->Close(); }

  std::vector<StoredEvent> LoadEventsFromPosition(const Context& ctx, uint64_t from_position,
                                                  std::size_t limit = kDefaultLoadLimit) {
    return Subscriptions().LoadFromPosition(ctx, from_position, limit);
  }
  std::unique_ptr<Subscription> SubscribeAll(const Context& ctx, uint64_t from_position,
                                             const SubscriptionOptions& options = {}) {
    return Subscriptions().SubscribeAll(ctx, from_position, options);
  }
  std::unique_ptr<Subscription> SubscribeStream(const Context& ctx, std::string_view stream_id,
                                                int64_t from_version,
                                                const SubscriptionOptions& options = {}) {
    ValidateStreamID(stream_id);
    return Subscriptions().SubscribeStream(ctx, std::string(stream_id), from_version, options);
  }
  std::unique_ptr<Subscription> SubscribeCategory(const Context& ctx, std::string_view category,
                                                  uint64_t from_position,
                                                  const SubscriptionOptions& options = {}) {
    if (category.empty()) throw Error(errc::kInvalidArgument, "category is empty");
    return Subscriptions().SubscribeCategory(ctx, std::string(category), from_position, options);
  }

  // ---- access ----
  template <class Cap>
  Cap* Capability() const noexcept {
    return AdapterCapability<Cap>(*adapter_);
  }
  EventStoreAdapter& Adapter() const noexcept { return *adapter_; }
  const std::shared_ptr<EventStoreAdapter>& AdapterPtr() const noexcept { return adapter_; }
  const EventStoreOptions& Options() const noexcept { return options_; }
  spdlog::logger& Logger() const noexcept { return *options_.logger; }

 private:
  static void ValidateStreamID(std::string_view stream_id) {
    if (stream_id.empty()) throw Error(errc::kEmptyStreamID, "stream ID is empty");
  }

  AppendResult AppendSpan(const Context& ctx, std::string_view stream_id,
                          std::span<const Event> events, int64_t expected_version,
                          const Metadata& metadata) {
    ctx.ThrowIfDone();
    ValidateStreamID(stream_id);
    if (events.empty()) throw Error(errc::kNoEvents, "no events to append");
    ValidateExpectedVersion(expected_version);
    return adapter_->Append(ctx, std::string(stream_id), PrepareRecords(ctx, events, metadata),
                            expected_version);
  }

  SubscriptionAdapter& Subscriptions() const {
    auto* subs = Capability<SubscriptionAdapter>();
    if (subs == nullptr) {
      throw Error(errc::kSubscriptionNotSupported, "the adapter does not support subscriptions");
    }
    return *subs;
  }

  void WarnUnregisteredOnce(const std::string& stream, const Event& event) {
    std::string key = stream + "|" + event.Type() + "|" + std::to_string(event.Version());
    {
      std::lock_guard lock(warned_mutex_);
      if (!warned_.insert(std::move(key)).second) return;
    }
    options_.logger->warn("replaying unregistered event type \"{}\" (stream {}, version {})",
                          event.Type(), stream, event.Version());
  }

  std::shared_ptr<EventStoreAdapter> adapter_;
  EventStoreOptions options_;
  EventRegistry registry_;
  std::mutex warned_mutex_;
  std::set<std::string> warned_;
};

}  // namespace mink

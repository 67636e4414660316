// mink/es/event_store.hpp — the EventStore: typed events and aggregates over an adapter.
//
// Append pipeline (order is part of the contract):
//   merge metadata (explicit > Context IDs) -> serialize -> stamp $schema_version (when an
//   UpcasterChain is configured) -> field transform slot (field encryption, once for the whole
//   batch) -> size check -> ONE adapter append.
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

#include <nlohmann/json.hpp>

#include "mink/context.hpp"
#include "mink/detail/config.hpp"
#include "mink/es/adapter.hpp"
#include "mink/es/aggregate.hpp"
#include "mink/es/event.hpp"
#include "mink/es/event_registry.hpp"
#include "mink/es/stream_id.hpp"
#include "mink/es/upcasting.hpp"

namespace spdlog {
class logger;
}

namespace mink {

// The slot where field-level encryption plugs into both pipelines (mink::FieldEncryption in
// mink/encryption/field_encryption.hpp is the library's). EncodeBatch runs once per append on
// all its records, after serialization and schema stamping, before the size check, and is told
// the target stream (field encryption binds each value to it); its default calls Encode on
// each record. Decode runs on each stored event before upcasting.
class RecordTransform {
 public:
  virtual ~RecordTransform() = default;
  virtual void Encode(const Context& ctx, EventRecord& record) const = 0;
  virtual void EncodeBatch(const Context& ctx, std::string_view stream_id,
                           std::span<EventRecord> records) const {
    (void)stream_id;
    for (EventRecord& r : records) Encode(ctx, r);
  }
  virtual void Decode(const Context& ctx, StoredEvent& stored) const = 0;
  // True when Decode deliberately left `stored` encoded (field encryption under a skipping
  // error handler: a crypto-shredded event). Such an event that no longer decodes into its
  // registered type is handed out as raw JSON instead of failing the load.
  virtual bool KeptEncoded(const StoredEvent& stored) const {
    (void)stored;
    return false;
  }
};

struct EventStoreOptions {
  std::shared_ptr<spdlog::logger> logger;    // default: discards everything
  std::shared_ptr<UpcasterChain> upcasters;  // default: none (all events schema v1)
  std::size_t max_event_size = 0;            // serialized bytes per event; 0 = unlimited
  bool strict_replay = false;  // an unregistered type fails every typed load, not only aggregates
  std::shared_ptr<const RecordTransform> field_transform;  // field encryption slot
};

// How many distinct unregistered event types an EventStore reports (each once); further
// types are not reported, so the set of reported types stays bounded.
inline constexpr std::size_t kMaxWarnedUnregisteredTypes = 256;

class MINK_API EventStore {
 public:
  explicit EventStore(std::shared_ptr<EventStoreAdapter> adapter, EventStoreOptions options = {});

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
  // errors Append would. Field encryption binds values to their stream, so with encrypted
  // fields configured give the stream ID (the form without it then throws kInvalidArgument).
  std::vector<EventRecord> PrepareRecords(const Context& ctx, std::string_view stream_id,
                                          std::span<const Event> events,
                                          const Metadata& metadata = {}) const;
  std::vector<EventRecord> PrepareRecords(const Context& ctx, std::span<const Event> events,
                                          const Metadata& metadata = {}) const {
    return PrepareRecords(ctx, std::string_view{}, events, metadata);
  }

  // ---- load ----
  std::vector<Event> Load(const Context& ctx, std::string_view stream_id) {
    return LoadFrom(ctx, stream_id, 0);
  }

  // Events with version > from_version. A missing stream gives an empty vector.
  std::vector<Event> LoadFrom(const Context& ctx, std::string_view stream_id, int64_t from_version);

  // Stored events as the adapter returns them: not decrypted, upcast or decoded.
  std::vector<StoredEvent> LoadRaw(const Context& ctx, std::string_view stream_id,
                                   int64_t from_version);

  // The load pipeline for one stored event: decrypt slot -> upcast -> deserialize. A type no
  // C++ type is registered for becomes a raw JSON Event, or UnregisteredEventTypeError under
  // strict replay.
  Event ProcessStoredEvent(const Context& ctx, StoredEvent stored) const;
  // The same pipeline up to JSON, without the typed decoding: decrypt slot -> parse -> upcast.
  // `stored.data` is left decrypted and its metadata carries the upcast schema version;
  // `upcast` (optional) tells whether an upcaster changed the data (else the JSON is
  // `stored.data` parsed). For readers that want every stored field (exports, tooling).
  nlohmann::json DecodeStoredData(const Context& ctx, StoredEvent& stored,
                                  bool* upcast = nullptr) const;

  // ---- aggregates ----
  // Appends the aggregate's uncommitted events expecting its version; `metadata` is applied to
  // each of them as in Append.
  void SaveAggregate(const Context& ctx, Aggregate& aggregate, const Metadata& metadata = {});

  // Replays "<Type>-<ID>" into `aggregate` (a fresh instance). A missing stream leaves it at
  // version 0. Unregistered event types are passed on as raw JSON events with a warning (once
  // per type, for at most kMaxWarnedUnregisteredTypes types), or throw UnregisteredEventTypeError
  // under strict replay.
  void LoadAggregate(const Context& ctx, Aggregate& aggregate);

  // ---- streams and the global feed ----
  StreamInfo GetStreamInfo(const Context& ctx, std::string_view stream_id);
  uint64_t GetLastPosition(const Context& ctx) { return adapter_->GetLastPosition(ctx); }
  void Initialize(const Context& ctx) { adapter_->Initialize(ctx); }
  void Close() { adapter_->Close(); }

  std::vector<StoredEvent> LoadEventsFromPosition(const Context& ctx, uint64_t from_position,
                                                  std::size_t limit = kDefaultLoadLimit);
  std::unique_ptr<Subscription> SubscribeAll(const Context& ctx, uint64_t from_position,
                                             const SubscriptionOptions& options = {});
  std::unique_ptr<Subscription> SubscribeStream(const Context& ctx, std::string_view stream_id,
                                                int64_t from_version,
                                                const SubscriptionOptions& options = {});
  std::unique_ptr<Subscription> SubscribeCategory(const Context& ctx, std::string_view category,
                                                  uint64_t from_position,
                                                  const SubscriptionOptions& options = {});

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
  static void ValidateStreamID(std::string_view stream_id);
  AppendResult AppendSpan(const Context& ctx, std::string_view stream_id,
                          std::span<const Event> events, int64_t expected_version,
                          const Metadata& metadata);
  SubscriptionAdapter& Subscriptions() const;
  void WarnUnregisteredOnce(const std::string& stream, const Event& event);

  std::shared_ptr<EventStoreAdapter> adapter_;
  EventStoreOptions options_;
  EventRegistry registry_;
  // The event types already reported by WarnUnregisteredOnce: one entry per type (not per
  // stream or event), at most kMaxWarnedUnregisteredTypes of them, so replaying many streams
  // cannot grow it.
  std::mutex warned_mutex_;
  std::set<std::string, std::less<>> warned_;
  bool warned_full_ = false;  // guarded by warned_mutex_
};

}  // namespace mink

#ifdef MINK_HEADER_ONLY
#include "mink/es/event_store-inl.hpp"
#endif

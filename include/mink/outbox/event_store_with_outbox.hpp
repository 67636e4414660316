// mink/outbox/event_store_with_outbox.hpp — appends events and schedules their outbox messages.
//
//   auto outbox = std::make_shared<mink::memory::OutboxStore>();
//   mink::EventStoreWithOutbox store(event_store, outbox, {
//       {.event_types = {"OrderCreated"}, .destination = "kafka:orders"},
//       {.destination = "webhook:https://partner.example.com/events"}},   // every event
//       {.max_attempts = 10});
//   store.Append(ctx, "Order-1", {mink::Event(OrderCreated{...})});
//
// One message per (event x matching route), built from the record as stored — after the
// EventStore's append pipeline (schema stamp, field encryption), so no plaintext of an
// encrypted field reaches the outbox unless a route's Transform copies it from the typed
// event. aggregate_id = the stream ID; payload = Transform(event, stored) or stored.data;
// headers stream-id, event-type, event-id, and correlation-id / causation-id when the event's
// metadata has them; max_attempts from the options.
//
// Atomicity:
//   * An adapter with TransactionalAdapter (PostgreSQL: one SQL transaction; memory: under
//     its writer lock) writes the events and the messages together: a failing message insert
//     (or Transform) leaves no events, a failing append leaves no messages. The outbox store
//     must match the adapter (a PostgreSQL adapter needs mink::postgres::OutboxStore on the
//     same database; a mismatch fails every append with kInvalidArgument, nothing written).
//   * Any other adapter: the non-atomic fallback — append, then Schedule — logged once as a
//     warning. If scheduling fails after the append, OutboxScheduleError
//     (kOutboxScheduleFailed) says so; the events are stored, their messages are not.
// Errors: everything EventStore::Append throws; Error(kOutboxTransformFailed) when a Transform
// throws (its exception is the Cause()); the outbox store's errors. Thread safe.
#pragma once

#include <atomic>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "mink/context.hpp"
#include "mink/detail/config.hpp"
#include "mink/es/aggregate.hpp"
#include "mink/es/event.hpp"
#include "mink/es/event_store.hpp"
#include "mink/outbox/route.hpp"
#include "mink/outbox/store.hpp"

namespace mink {

struct EventStoreWithOutboxOptions {
  int max_attempts = kDefaultOutboxMaxAttempts;  // of every message scheduled (> 0)
  std::shared_ptr<spdlog::logger> logger;        // default: the EventStore's
};

class MINK_API EventStoreWithOutbox {
 public:
  // Throws Error(kInvalidArgument) for a missing store / outbox or max_attempts <= 0, and
  // Error(kInvalidDestination) for a route whose destination is not "prefix:target".
  EventStoreWithOutbox(std::shared_ptr<EventStore> store, std::shared_ptr<OutboxStore> outbox,
                       std::vector<OutboxRoute> routes, EventStoreWithOutboxOptions options = {});

  AppendResult Append(const Context& ctx, std::string_view stream_id, std::vector<Event> events,
                      int64_t expected_version = AnyVersion, const Metadata& metadata = {}) {
    return AppendSpan(ctx, stream_id, events, expected_version, metadata);
  }
  AppendResult Append(const Context& ctx, std::string_view stream_id, std::span<const Event> events,
                      int64_t expected_version = AnyVersion, const Metadata& metadata = {}) {
    return AppendSpan(ctx, stream_id, events, expected_version, metadata);
  }
  // Appends the aggregate's uncommitted events expecting its version (as EventStore does).
  void SaveAggregate(const Context& ctx, Aggregate& aggregate, const Metadata& metadata = {});

  EventStore& Store() const noexcept { return *store_; }
  mink::OutboxStore& OutboxStore() const noexcept { return *outbox_; }
  const std::vector<OutboxRoute>& Routes() const noexcept { return routes_; }
  // True when events and messages are written atomically (the adapter is transactional).
  bool IsAtomic() const noexcept;

  // The messages Append schedules for `events` once stored as `stored` (same order).
  std::vector<OutboxMessage> BuildMessages(std::span<const Event> events,
                                           const std::vector<StoredEvent>& stored) const;

 private:
  AppendResult AppendSpan(const Context& ctx, std::string_view stream_id,
                          std::span<const Event> events, int64_t expected_version,
                          const Metadata& metadata);

  std::shared_ptr<EventStore> store_;
  std::shared_ptr<mink::OutboxStore> outbox_;
  std::vector<OutboxRoute> routes_;
  EventStoreWithOutboxOptions options_;
  std::atomic<bool> warned_non_atomic_{false};
};

}  // namespace mink

#ifdef MINK_HEADER_ONLY
#include "mink/outbox/event_store_with_outbox-inl.hpp"
#endif

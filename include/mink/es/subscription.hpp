// mink/es/subscription.hpp — a live feed of stored events.
//
// A Subscription is a pull handle: Next(ctx) blocks until the next event is available, the
// subscription is closed, or ctx is done. It never drops events: a slow consumer only falls
// behind, and the adapter serves it from its log (memory) or table (PostgreSQL) when it asks
// again. Events arrive exactly once and in order (global position for SubscribeAll /
// SubscribeCategory, version for SubscribeStream).
//
// Thread safety: one thread calls Next at a time; Close may be called from any thread and wakes
// a blocked Next.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>

#include "mink/context.hpp"
#include "mink/es/stored_event.hpp"

namespace mink {

struct SubscriptionOptions {
  // How many events one fetch from the adapter may bring (the client-side buffer).
  std::size_t buffer_size = 256;
  // Fallback wake-up when an adapter cannot push notifications (or a notification is lost).
  std::chrono::milliseconds poll_interval{100};
  // Called for transient fetch errors that the subscription retries.
  std::function<void(const Error&)> on_error;
};

class Subscription {
 public:
  virtual ~Subscription() = default;

  // The next event; std::nullopt when the subscription is closed or ctx is done (check
  // ctx.Err() to tell which).
  virtual std::optional<StoredEvent> Next(const Context& ctx) = 0;

  // Stops the subscription; a blocked Next returns std::nullopt. Idempotent.
  virtual void Close() = 0;
  virtual bool Closed() const = 0;
};

}  // namespace mink

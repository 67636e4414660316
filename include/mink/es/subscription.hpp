// mink/es/subscription.hpp — a live feed of stored events.
//
// A Subscription is a pull handle: Next(ctx) blocks until the next event is available, the
// subscription is closed, or ctx is done. It never drops events: a slow consumer only falls
// behind, and the adapter serves it from its log (memory) or table (PostgreSQL) when it asks
// again. Events arrive exactly once and in order (global position for SubscribeAll /
// SubscribeCategory, version for SubscribeStream).
//
// A stored event the adapter cannot decode (BadStoredEventError) is handled by the options'
// bad_event policy: every good event before it is delivered first; then the subscription stops
// with the error (Err() returns it), or skips the row and goes on. To resume past a row after
// a stop, subscribe again from its position (SubscribeAll / SubscribeCategory: e.Position();
// SubscribeStream: e.Version()): the start is exclusive. Any other fetch failure (a lost
// connection, a timeout) is reported to on_error and retried at the next wake-up.
//
// Thread safety: one thread calls Next at a time; Close may be called from any thread and wakes
// a blocked Next.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>

#include "mink/context.hpp"
#include "mink/es/errors.hpp"
#include "mink/es/stored_event.hpp"

namespace mink {

// What a subscription does with a stored event it cannot decode.
enum class BadEventPolicy {
  kStop,        // deliver the events before it, then stop: Next returns nullopt, Err() says why
  kSkip,        // report it to on_error and go on after it
  kDeadLetter,  // hand it to dead_letter and go on after it (dead_letter throwing stops)
};

struct SubscriptionOptions {
  // How many events one fetch from the adapter may bring (the client-side buffer).
  std::size_t buffer_size = 256;
  // Fallback wake-up when an adapter cannot push notifications (or a notification is lost).
  std::chrono::milliseconds poll_interval{100};
  // Called for transient fetch errors that the subscription retries, for a bad stored event
  // under kSkip, and for the error that stops the subscription.
  std::function<void(const Error&)> on_error;
  BadEventPolicy bad_event = BadEventPolicy::kStop;
  // Receives each bad stored event under kDeadLetter (required with it).
  std::function<void(const BadStoredEventError&)> dead_letter;
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

  // Why the subscription stopped by itself (a bad stored event under kStop, a dead_letter
  // that threw); null while it runs, after Close() and when ctx ended Next.
  virtual std::exception_ptr Err() const { return nullptr; }
};

}  // namespace mink

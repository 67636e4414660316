// mink/outbox/publisher.hpp — the interface every outbox publisher implements.
//
// A Publisher delivers a batch of messages whose destinations share its prefix. Unlike
// go-mink's Publish(ctx, msgs) error, which fails the whole batch when one message fails,
// Publish reports an outcome per message, so one poisoned message is retried alone and the
// others are not delivered twice.
//
//   class MyPublisher : public mink::Publisher {
//    public:
//     std::string Destination() const override { return "my"; }
//     std::vector<mink::PublishOutcome> Publish(const mink::Context& ctx,
//                                               std::span<const mink::OutboxMessage> batch)
//         override;
//   };
#pragma once

#include <exception>
#include <span>
#include <string>
#include <vector>

#include "mink/context.hpp"
#include "mink/outbox/message.hpp"

namespace mink {

// The outcome of one message of a batch: delivered, or the error that stopped it (recorded as
// the message's last_error; the message is retried with backoff, then dead-lettered).
struct PublishOutcome {
  std::exception_ptr error;  // null: delivered
  bool Delivered() const noexcept { return !error; }
};

class Publisher {
 public:
  virtual ~Publisher() = default;

  // The destination prefix this publisher serves ("webhook", "kafka", "sns").
  virtual std::string Destination() const = 0;

  // Delivers `batch` (every destination has this publisher's prefix) and returns one outcome
  // per message, in batch order. A message counts as delivered only when the receiver has
  // acknowledged it. Throwing fails every message of the batch with the thrown error.
  // The context's deadline and cancellation bound the call.
  virtual std::vector<PublishOutcome> Publish(const Context& ctx,
                                              std::span<const OutboxMessage> batch) = 0;

  // Flushes what is buffered and releases connections; Publish fails afterwards.
  virtual void Close() {}
};

}  // namespace mink

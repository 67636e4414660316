// mink/outbox/message.hpp — what the transactional outbox stores and publishers deliver.
//
// An OutboxMessage is one delivery of one event to one destination ("prefix:target", for
// example "webhook:https://hooks.example.com/orders", "kafka:orders", "sns:arn:aws:sns:..."),
// written in the same transaction as the event and delivered later, at least once, by an
// OutboxProcessor. Status values and their numbers follow go-mink.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "mink/es/stored_event.hpp"

namespace mink {

enum class OutboxStatus : int {
  kPending = 0,     // waiting for a processor (from scheduled_at on)
  kProcessing = 1,  // claimed by a processor; reclaimed when the claim is older than the timeout
  kCompleted = 2,   // delivered
  kFailed = 3,      // the last attempt failed; retried until max attempts, then dead-lettered
  kDeadLetter = 4,  // gave up; listable and re-queueable by ID
};

// "pending", "processing", "completed", "failed", "dead_letter" (the names go-mink stores).
constexpr std::string_view ToString(OutboxStatus status) noexcept {
  switch (status) {
    case OutboxStatus::kPending:
      return "pending";
    case OutboxStatus::kProcessing:
      return "processing";
    case OutboxStatus::kCompleted:
      return "completed";
    case OutboxStatus::kFailed:
      return "failed";
    case OutboxStatus::kDeadLetter:
      return "dead_letter";
  }
  return "unknown";
}

struct OutboxMessage {
  std::string id;
  std::string aggregate_id;  // the stream ID of the event
  std::string event_type;
  std::string destination;  // "prefix:target"
  std::string payload;      // bytes (JSON text unless a route's Transform says otherwise)
  std::map<std::string, std::string> headers;
  OutboxStatus status = OutboxStatus::kPending;
  int attempts = 0;
  int max_attempts = 0;  // 0: the store's default (5)
  std::string last_error;
  Timestamp scheduled_at{};
  std::optional<Timestamp> last_attempt_at;
  std::optional<Timestamp> processed_at;
  Timestamp created_at{};
};

// The text before the first ':' of a destination ("webhook:https://x" -> "webhook"); the whole
// string when there is no ':'. Publishers are chosen by this prefix.
constexpr std::string_view DestinationPrefix(std::string_view destination) noexcept {
  const auto colon = destination.find(':');
  return colon == std::string_view::npos ? destination : destination.substr(0, colon);
}

// The text after the first ':' ("kafka:orders" -> "orders"); empty when there is no ':'.
constexpr std::string_view DestinationTarget(std::string_view destination) noexcept {
  const auto colon = destination.find(':');
  return colon == std::string_view::npos ? std::string_view{} : destination.substr(colon + 1);
}

}  // namespace mink

// mink/outbox/store-inl.hpp — definitions for store.hpp (see mink/detail/config.hpp).
#pragma once

#ifndef MINK_HEADER_ONLY
#include "mink/outbox/store.hpp"
#endif

#include <nlohmann/json.hpp>

#include "mink/error.hpp"
#include "mink/outbox/errors.hpp"
#include "mink/outbox/route.hpp"
#include "mink/uuid.hpp"

namespace mink {

MINK_INLINE bool IsOutboxMessageID(std::string_view id) noexcept {
  if (id.size() != 36) return false;
  for (std::size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

MINK_INLINE void PrepareOutboxMessages(std::vector<OutboxMessage>& messages, Timestamp now) {
  for (const OutboxMessage& m : messages) {
    ValidateDestination(m.destination);
    if (m.aggregate_id.empty()) {
      throw Error(errc::kInvalidArgument, "outbox message has an empty aggregate_id");
    }
    if (m.event_type.empty()) {
      throw Error(errc::kInvalidArgument, "outbox message has an empty event_type");
    }
    if (m.max_attempts < 0) {
      throw Error(errc::kInvalidArgument, "outbox message max_attempts is negative");
    }
    if (!m.id.empty() && !IsOutboxMessageID(m.id)) {
      throw Error(errc::kInvalidArgument, "outbox message id \"" + m.id + "\" is not a UUID");
    }
    if (!nlohmann::json::accept(m.payload)) {
      throw Error(errc::kInvalidArgument,
                  "outbox message payload for \"" + m.destination + "\" is not JSON text");
    }
  }
  const Timestamp micros = std::chrono::time_point_cast<std::chrono::microseconds>(now);
  for (OutboxMessage& m : messages) {
    if (m.id.empty()) m.id = NewUUID();
    if (m.max_attempts == 0) m.max_attempts = kDefaultOutboxMaxAttempts;
    if (m.created_at == Timestamp{}) m.created_at = micros;
    if (m.scheduled_at == Timestamp{}) m.scheduled_at = micros;
    m.status = OutboxStatus::kPending;
    m.attempts = 0;
    m.last_error.clear();
    m.last_attempt_at.reset();
    m.processed_at.reset();
  }
}

}  // namespace mink

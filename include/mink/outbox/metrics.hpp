// mink/outbox/metrics.hpp — what an OutboxProcessor reports (go-mink's OutboxMetrics).
//
// mink::prometheus::OutboxMetrics implements it with the seed's names:
// outbox_messages_processed_total{destination,status}, outbox_messages_failed_total{destination},
// outbox_messages_dead_lettered_total, outbox_batch_duration_seconds, outbox_pending_messages.
// Methods are called from the processor's threads; implementations must be thread safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

namespace mink {

class OutboxMetrics {
 public:
  virtual ~OutboxMetrics() = default;
  // One message handled by a publisher (`destination` is its prefix): delivered or not.
  virtual void RecordMessageProcessed(std::string_view destination, bool success) = 0;
  // One failed delivery attempt (including a missing publisher).
  virtual void RecordMessageFailed(std::string_view destination) = 0;
  // Messages moved to the dead letters.
  virtual void RecordMessageDeadLettered(int64_t count) = 0;
  // The time one claimed batch took, claim to last mark.
  virtual void RecordBatchDuration(std::chrono::nanoseconds duration) = 0;
  // Messages waiting (status pending), sampled by the processor's maintenance.
  virtual void RecordPendingMessages(int64_t count) = 0;
};

}  // namespace mink

// mink/kafka/publisher.hpp — the outbox publisher for "kafka:<topic>" destinations.
//
//   auto publisher = std::make_shared<mink::kafka::Publisher>(mink::kafka::PublisherOptions{
//       .brokers = "kafka-1:9092,kafka-2:9092", .linger = std::chrono::milliseconds(5)});
//   processor_options.publishers.push_back(publisher);
//
// One idempotent librdkafka producer (enable.idempotence=true: acks=all, no duplicates or
// reordering from the producer's own retries) serves every topic. Each message is produced
// to the topic after "kafka:" with key = aggregate ID (so one aggregate's messages share a
// partition), value = payload, and the message headers as Kafka headers.
// A message counts as delivered only when its delivery report says the broker acknowledged
// it. Publish produces the whole batch, then waits for the reports, and returns one outcome
// per message:
//   * a destination whose topic is empty or not [A-Za-z0-9._-]{1,249}: Error
//     (kKafkaInvalidDestination), nothing produced (librdkafka would produce to topic "");
//   * produce() refusing the message (too large, unknown partition, fatal producer state):
//     DeliveryError(kKafkaProduceFailed);
//   * a failed delivery report (broker error, or no acknowledgement within delivery_timeout,
//     e.g. an unreachable broker): DeliveryError(kKafkaDeliveryFailed);
//   * the Context ending before a report arrived: kCancelled / kDeadlineExceeded. The message
//     may still reach the broker later: retrying it may duplicate it (at least once).
// Publish never waits longer than delivery_timeout (+ the time to hand the batch over) or the
// Context's deadline, whichever is sooner. Thread-safe.
// Close() flushes what is buffered for at most close_timeout, then purges the rest (those
// messages' waiting Publish calls see kKafkaDeliveryFailed) and destroys the producer.
// After a fatal producer error (librdkafka's idempotence guarantees broken), every Publish
// fails with kKafkaProduceFailed: create a new Publisher.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <spdlog/logger.h>

#include "mink/error.hpp"
#include "mink/outbox/publisher.hpp"

namespace mink {
namespace errc {
inline constexpr ErrorCode kKafkaInvalidDestination{ErrorArea::kKafka, 1,
                                                    "KafkaInvalidDestination"};
inline constexpr ErrorCode kKafkaConfig{ErrorArea::kKafka, 2, "KafkaConfig"};
inline constexpr ErrorCode kKafkaProduceFailed{ErrorArea::kKafka, 3, "KafkaProduceFailed"};
inline constexpr ErrorCode kKafkaDeliveryFailed{ErrorArea::kKafka, 4, "KafkaDeliveryFailed"};
}  // namespace errc

namespace kafka {

// A message librdkafka refused or could not deliver; kafka_error() is librdkafka's
// rd_kafka_resp_err_t value, kafka_error_name() its name ("TOPIC_AUTHORIZATION_FAILED",
// "_MSG_TIMED_OUT").
class DeliveryError : public Error {
 public:
  DeliveryError(ErrorCode code, const std::string& message, int kafka_error,
                std::string kafka_error_name, bool retriable)
      : Error(code, message),
        kafka_error_(kafka_error),
        kafka_error_name_(std::move(kafka_error_name)),
        retriable_(retriable) {}
  int kafka_error() const noexcept { return kafka_error_; }
  const std::string& kafka_error_name() const noexcept { return kafka_error_name_; }
  // librdkafka's own verdict: a later attempt may succeed.
  bool Retriable() const noexcept { return retriable_; }

 private:
  int kafka_error_;
  std::string kafka_error_name_;
  bool retriable_;
};

struct PublisherOptions {
  // bootstrap.servers (go-mink's WithBrokers default).
  std::string brokers = "localhost:9092";
  // linger.ms: how long the producer waits to fill a batch (go-mink's WithBatchTimeout).
  std::chrono::milliseconds linger{10};
  // message.timeout.ms: a message not acknowledged within this fails with _MSG_TIMED_OUT.
  std::chrono::milliseconds delivery_timeout{30000};
  // Bound of the flush in Close().
  std::chrono::milliseconds close_timeout{10000};
  std::string client_id = "mink-outbox";
  // More librdkafka properties ("compression.type", "security.protocol", ...), applied last.
  // enable.idempotence may be turned off here; that is the caller's decision.
  std::vector<std::pair<std::string, std::string>> config;
  // librdkafka's log and error callbacks; default: spdlog's default logger.
  std::shared_ptr<spdlog::logger> logger;
};

class Publisher final : public mink::Publisher {
 public:
  // Throws Error(kKafkaConfig) for a property librdkafka rejects.
  explicit Publisher(PublisherOptions options = {});
  ~Publisher() override;
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  std::string Destination() const override { return "kafka"; }
  std::vector<PublishOutcome> Publish(const Context& ctx,
                                      std::span<const OutboxMessage> batch) override;
  void Close() override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kafka
}  // namespace mink

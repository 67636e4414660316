// tests/conformance — ONE behavioural suite for every outbox Publisher (webhook, kafka, sns).
//
// A publisher's test binary compiles publisher_conformance.cpp and instantiates the suite with
// a factory that returns a fresh harness per test: the publisher under test wired to a real
// receiver (a local HTTP server, librdkafka's mock cluster, a SigV4-checking SNS endpoint),
// plus a way to read back what the receiver got and to make chosen messages fail there:
//
//   INSTANTIATE_TEST_SUITE_P(Webhook, PublisherConformance, ::testing::Values(
//       mink::conformance::PublisherFactory{"webhook", [] { return MakeWebhookHarness(); }}));
//
// The suite covers: one outcome per message in batch order; every delivered message read back
// with its target, payload and headers; a failure injected at the receiver fails exactly the
// chosen messages while the others are delivered; a malformed destination is a typed error on
// that message alone; a done Context delivers nothing; Close makes Publish fail.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mink/outbox/publisher.hpp"

namespace mink::conformance {

// What a receiver got, normalised by the harness.
struct ReceivedMessage {
  std::string target;   // the destination's target ("orders" of "kafka:orders")
  std::string payload;  // the body / value / Message, byte for byte
  std::map<std::string, std::string> headers;  // the message's headers as the receiver saw them
};

class PublisherHarness {
 public:
  virtual ~PublisherHarness() = default;
  virtual std::shared_ptr<Publisher> publisher() = 0;
  // The prefix Destination() must return ("webhook").
  virtual std::string prefix() const = 0;
  // A valid destination for logical target `name` ("a", "b"), and the target the receiver
  // reports for it (ReceivedMessage::target).
  virtual std::string Destination(const std::string& name) = 0;
  virtual std::string ReceivedTarget(const std::string& name) = 0;
  // Destinations the publisher must reject itself, with a typed error on the message.
  virtual std::vector<std::string> MalformedDestinations() = 0;
  // Changes `message` (still a valid destination of this publisher) so that the receiver
  // rejects its delivery.
  virtual void Poison(OutboxMessage& message) = 0;
  // Everything received so far; waits (bounded) until at least `at_least` messages arrived.
  virtual std::vector<ReceivedMessage> Received(std::size_t at_least) = 0;
};

struct PublisherFactory {
  std::string name;
  std::function<std::unique_ptr<PublisherHarness>()> make;

  friend std::ostream& operator<<(std::ostream& os, const PublisherFactory& f) {
    return os << f.name;
  }
};

class PublisherConformance : public ::testing::TestWithParam<PublisherFactory> {
 protected:
  void SetUp() override { harness_ = GetParam().make(); }
  void TearDown() override {
    if (harness_) harness_->publisher()->Close();
    harness_.reset();
  }

  PublisherHarness& harness() { return *harness_; }
  Publisher& publisher() { return *harness_->publisher(); }

  // A message to logical target `target`, unique payload and headers.
  OutboxMessage Message(int n, const std::string& target = "a") {
    OutboxMessage m;
    m.id = "msg-" + std::to_string(n);
    m.aggregate_id = "order-" + std::to_string(n % 3);
    m.event_type = "OrderPlaced";
    m.destination = harness_->Destination(target);
    m.payload = R"({"order":)" + std::to_string(n) + R"(,"note":"caf\u00e9 & co"})";
    m.headers = {
        {"event-type", "OrderPlaced"}, {"stream-id", m.aggregate_id}, {"n", std::to_string(n)}};
    return m;
  }

  std::unique_ptr<PublisherHarness> harness_;
};

}  // namespace mink::conformance

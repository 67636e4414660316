// mink/sns/publisher.hpp — the outbox publisher for "sns:<TopicArn>" destinations (target
// mink::sns, built with mink::aws in adapters/aws).
//
//   auto publisher = std::make_shared<mink::sns::Publisher>(mink::sns::PublisherOptions{
//       .service = {.config = mink::aws::LoadConfig("sns")}});       // or an emulator:
//   //  .service = {.config = mink::aws::LoadConfig("sns", {.endpoint_url =
//   "http://127.0.0.1:4566"})} processor_options.publishers.push_back(publisher);
//
// Messages are grouped by topic (batch order kept within a topic) and sent with PublishBatch,
// up to 10 entries and 256 KiB per call; a topic with a single message gets a Publish. Each
// entry carries:
//   Message                 the payload as stored
//   MessageAttributes       one String attribute per message header (go-mink's mapping);
//                           headers with an empty name or value are skipped (SNS rejects them)
//   MessageGroupId          FIFO topics (ARN ends in ".fifo") only: the message_group_id
//                           option, or the aggregate ID when it is empty (one group per
//                           aggregate keeps each aggregate's order)
//   MessageDeduplicationId  FIFO topics only: the outbox message ID, so a retried delivery
//                           within SNS's 5-minute window is not published twice
// Calls are SigV4-signed (service "sns") and retried by mink::aws on throttling and 5xx.
// Outcomes, one per message:
//   * destination without an ARN "arn:aws...:sns:<region>:<account>:<name>" after "sns:":
//     Error(kSnsInvalidDestination), nothing sent;
//   * a failed call (after retries): every message of that call fails with its
//     aws::ServiceError / http::HttpError;
//   * PublishBatch answered 200 with <Failed> entries: each failed entry's message gets an
//     aws::ServiceError with the entry's Code and Message (kAwsServiceError when SenderFault,
//     kAwsServiceUnavailable otherwise, kAwsThrottled for throttling codes); the others are
//     delivered. An entry the reply does not mention is Error(kAwsInvalidResponse).
// Thread-safe.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "mink/aws/protocol.hpp"
#include "mink/outbox/publisher.hpp"

namespace mink {
namespace errc {
inline constexpr ErrorCode kSnsInvalidDestination{ErrorArea::kAws, 0x40, "SnsInvalidDestination"};
}  // namespace errc

namespace sns {

struct PublisherOptions {
  // Region, credentials, endpoint (LoadConfig("sns", ...)), transport, retries, clock.
  // signing_name is set to "sns".
  aws::ServiceOptions service;
  // FIFO topics' MessageGroupId (go-mink's WithMessageGroupID); empty: the aggregate ID.
  std::string message_group_id;
  // false: one Publish per message instead of PublishBatch.
  bool use_batch = true;
};

class Publisher final : public mink::Publisher {
 public:
  // Throws what aws::Signer throws for missing credentials / region.
  explicit Publisher(PublisherOptions options);

  std::string Destination() const override { return "sns"; }
  std::vector<PublishOutcome> Publish(const Context& ctx,
                                      std::span<const OutboxMessage> batch) override;
  void Close() override { closed_ = true; }

 private:
  // Sends the messages `indexes` of `batch` (one topic, at most 10) and records outcomes.
  void SendChunk(const Context& ctx, const std::string& topic, std::span<const OutboxMessage> batch,
                 const std::vector<std::size_t>& indexes, std::vector<PublishOutcome>& outcomes);

  PublisherOptions options_;
  std::unique_ptr<aws::QueryProtocolClient> client_;
  std::atomic<bool> closed_{false};
};

}  // namespace sns
}  // namespace mink

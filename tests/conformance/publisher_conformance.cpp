#include "conformance/publisher_conformance.hpp"

#include <algorithm>
#include <set>

#include "mink/error.hpp"

namespace mink::conformance {
namespace {

std::set<std::string> Payloads(const std::vector<ReceivedMessage>& received) {
  std::set<std::string> out;
  for (const auto& r : received) out.insert(r.payload);
  return out;
}

TEST_P(PublisherConformance, ServesItsPrefix) {
  EXPECT_EQ(publisher().Destination(), harness().prefix());
  EXPECT_EQ(DestinationPrefix(harness().Destination("a")), harness().prefix());
}

TEST_P(PublisherConformance, EmptyBatchHasNoOutcomes) {
  EXPECT_TRUE(publisher().Publish(Context{}, {}).empty());
}

TEST_P(PublisherConformance, DeliversEveryMessageWithTargetPayloadAndHeaders) {
  std::vector<OutboxMessage> batch;
  for (int i = 0; i < 5; ++i) batch.push_back(Message(i, i % 2 == 0 ? "a" : "b"));
  const auto outcomes = publisher().Publish(Context{}, batch);
  ASSERT_EQ(outcomes.size(), batch.size());
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    EXPECT_TRUE(outcomes[i].Delivered()) << i << ": " << ErrorMessage(outcomes[i].error);
  }
  const auto received = harness().Received(batch.size());
  ASSERT_EQ(received.size(), batch.size());
  for (const auto& m : batch) {
    const auto it = std::find_if(received.begin(), received.end(),
                                 [&](const ReceivedMessage& r) { return r.payload == m.payload; });
    ASSERT_NE(it, received.end()) << m.id;
    const std::string name = m.destination == harness().Destination("a") ? "a" : "b";
    EXPECT_EQ(it->target, harness().ReceivedTarget(name)) << m.id;
    for (const auto& [k, v] : m.headers) {
      ASSERT_TRUE(it->headers.count(k)) << m.id << " lacks header " << k;
      EXPECT_EQ(it->headers.at(k), v) << m.id << " header " << k;
    }
  }
}

TEST_P(PublisherConformance, InjectedFailuresFailOnlyTheChosenMessages) {
  std::vector<OutboxMessage> batch;
  for (int i = 0; i < 6; ++i) batch.push_back(Message(i));
  harness().Poison(batch[1]);
  harness().Poison(batch[4]);
  const auto outcomes = publisher().Publish(Context{}, batch);
  ASSERT_EQ(outcomes.size(), batch.size());
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    if (i == 1 || i == 4) {
      ASSERT_FALSE(outcomes[i].Delivered()) << i;
      EXPECT_TRUE(ErrorCodeOf(outcomes[i].error).has_value());
      EXPECT_NE(*ErrorCodeOf(outcomes[i].error), errc::kUnknown) << ErrorMessage(outcomes[i].error);
    } else {
      EXPECT_TRUE(outcomes[i].Delivered()) << i << ": " << ErrorMessage(outcomes[i].error);
    }
  }
  const auto received = Payloads(harness().Received(4));
  for (std::size_t i : {0, 2, 3, 5}) EXPECT_TRUE(received.count(batch[i].payload)) << i;
  EXPECT_FALSE(received.count(batch[1].payload));
  EXPECT_FALSE(received.count(batch[4].payload));
}

TEST_P(PublisherConformance, MalformedDestinationIsATypedErrorOnThatMessageAlone) {
  for (const auto& bad : harness().MalformedDestinations()) {
    SCOPED_TRACE(bad);
    std::vector<OutboxMessage> batch{Message(1), Message(2), Message(3)};
    batch[1].destination = bad;
    const auto outcomes = publisher().Publish(Context{}, batch);
    ASSERT_EQ(outcomes.size(), 3u);
    EXPECT_TRUE(outcomes[0].Delivered()) << ErrorMessage(outcomes[0].error);
    ASSERT_FALSE(outcomes[1].Delivered());
    ASSERT_TRUE(ErrorCodeOf(outcomes[1].error).has_value());
    EXPECT_NE(*ErrorCodeOf(outcomes[1].error), errc::kUnknown) << ErrorMessage(outcomes[1].error);
    EXPECT_TRUE(outcomes[2].Delivered()) << ErrorMessage(outcomes[2].error);
  }
}

TEST_P(PublisherConformance, RedeliveringAMessageDeliversItAgain) {
  const std::vector<OutboxMessage> batch{Message(7)};
  ASSERT_TRUE(publisher().Publish(Context{}, batch).at(0).Delivered());
  ASSERT_TRUE(publisher().Publish(Context{}, batch).at(0).Delivered());
  EXPECT_EQ(harness().Received(2).size(), 2u);  // at least once: the publisher does not dedupe
}

TEST_P(PublisherConformance, CancelledContextDeliversNothing) {
  auto [ctx, cancel] = Context{}.WithCancel();
  cancel();
  const std::vector<OutboxMessage> batch{Message(1), Message(2)};
  const auto outcomes = publisher().Publish(ctx, batch);
  ASSERT_EQ(outcomes.size(), 2u);
  for (const auto& o : outcomes) {
    ASSERT_FALSE(o.Delivered());
    EXPECT_TRUE(ErrorIs(o.error, errc::kCancelled)) << ErrorMessage(o.error);
  }
  EXPECT_TRUE(harness().Received(0).empty());
}

TEST_P(PublisherConformance, ExpiredDeadlineDeliversNothing) {
  const auto ctx = Context{}.WithDeadline(Context::Clock::now() - std::chrono::seconds(1));
  const std::vector<OutboxMessage> batch{Message(1)};
  const auto outcomes = publisher().Publish(ctx, batch);
  ASSERT_EQ(outcomes.size(), 1u);
  ASSERT_FALSE(outcomes[0].Delivered());
  EXPECT_TRUE(ErrorIs(outcomes[0].error, errc::kDeadlineExceeded))
      << ErrorMessage(outcomes[0].error);
}

TEST_P(PublisherConformance, PublishAfterCloseFailsEveryMessage) {
  publisher().Close();
  const std::vector<OutboxMessage> batch{Message(1), Message(2)};
  const auto outcomes = publisher().Publish(Context{}, batch);
  ASSERT_EQ(outcomes.size(), 2u);
  for (const auto& o : outcomes) {
    ASSERT_FALSE(o.Delivered());
    EXPECT_TRUE(ErrorIs(o.error, errc::kAdapterClosed)) << ErrorMessage(o.error);
  }
  publisher().Close();  // idempotent
}

}  // namespace
}  // namespace mink::conformance

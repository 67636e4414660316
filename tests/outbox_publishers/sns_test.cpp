// mink::sns::Publisher against a fake SNS endpoint on 127.0.0.1 that verifies SigV4 and the
// Query parameters (fake_sns.hpp): Publish / PublishBatch, FIFO group and deduplication IDs,
// attributes, chunking by 10, partial batch failures mapped to per-message outcomes, and
// whole-call failures. Plus the contract suite.
#include <gtest/gtest.h>

#include "conformance/publisher_conformance.hpp"
#include "mink/sns/publisher.hpp"
#include "outbox_publishers/fake_sns.hpp"

using namespace std::chrono_literals;
using mink::Context;
using mink::ErrorIs;
using mink::ErrorMessage;
using mink::OutboxMessage;
using mink::conformance::PublisherConformance;
using mink::sns::Publisher;
using mink::sns::PublisherOptions;
using mink::testing::FakeSns;

namespace {

const std::string kArn = "arn:aws:sns:us-east-1:111122223333:orders";
const std::string kFifoArn = "arn:aws:sns:us-east-1:111122223333:orders.fifo";

PublisherOptions Options(const FakeSns& fake, std::string secret = mink::testing::kSnsSecret) {
  return PublisherOptions{
      .service = {.config = {.region = "us-east-1",
                             .credentials = {mink::testing::kSnsAccessKey, std::move(secret), ""},
                             .endpoint_url = fake.Url()},
                  .http_client =
                      std::make_shared<mink::http::Client>(mink::http::ClientOptions{.proxy = ""}),
                  .retry = {.max_attempts = 3, .base_delay = 1ms, .max_delay = 5ms}}};
}

OutboxMessage Msg(const std::string& id, const std::string& arn,
                  const std::string& aggregate = "order-1") {
  OutboxMessage m;
  m.id = id;
  m.aggregate_id = aggregate;
  m.event_type = "OrderPlaced";
  m.destination = "sns:" + arn;
  m.payload = R"({"id":")" + id + R"("})";
  return m;
}

// ---- the contract suite ----

class SnsHarness : public mink::conformance::PublisherHarness {
 public:
  SnsHarness() {
    fake_.CreateTopic(Arn("a"));
    fake_.CreateTopic(Arn("b"));
    publisher_ = std::make_shared<Publisher>(Options(fake_));
  }
  static std::string Arn(const std::string& name) {
    return "arn:aws:sns:us-east-1:111122223333:topic-" + name;
  }
  std::shared_ptr<mink::Publisher> publisher() override { return publisher_; }
  std::string prefix() const override { return "sns"; }
  std::string Destination(const std::string& name) override { return "sns:" + Arn(name); }
  std::string ReceivedTarget(const std::string& name) override { return Arn(name); }
  std::vector<std::string> MalformedDestinations() override {
    return {"sns:", "sns", "sns:orders", "sns:arn:aws:sqs:us-east-1:111122223333:queue",
            "sns:arn:aws:sns:us-east-1::orders"};
  }
  void Poison(OutboxMessage& m) override { m.headers["poison"] = "1"; }
  std::vector<mink::conformance::ReceivedMessage> Received(std::size_t) override {
    std::vector<mink::conformance::ReceivedMessage> out;
    for (const auto& p : fake_.AllPublished())
      out.push_back({p.topic_arn, p.message, p.attributes});
    return out;
  }

 private:
  FakeSns fake_;
  std::shared_ptr<Publisher> publisher_;
};

INSTANTIATE_TEST_SUITE_P(Sns, PublisherConformance,
                         ::testing::Values(mink::conformance::PublisherFactory{
                             "sns", [] { return std::make_unique<SnsHarness>(); }}));

// ---- against the fake ----

TEST(SnsPublisher, OneMessageIsAPublishWithStringAttributes) {
  FakeSns fake;
  fake.CreateTopic(kArn);
  Publisher publisher(Options(fake));
  auto m = Msg("evt-1", kArn);
  m.headers = {{"event-type", "OrderPlaced"}, {"stream-id", "order-1"}, {"empty", ""}};
  const std::vector<OutboxMessage> batch{m};
  const auto out = publisher.Publish(Context{}, batch);
  ASSERT_TRUE(out.at(0).Delivered()) << ErrorMessage(out[0].error);
  ASSERT_EQ(fake.Calls().size(), 1u);
  EXPECT_EQ(fake.Calls()[0].first, "Publish");
  const auto got = fake.Published(kArn).at(0);
  EXPECT_EQ(got.message, m.payload);
  EXPECT_EQ(got.attributes, (std::map<std::string, std::string>{{"event-type", "OrderPlaced"},
                                                                {"stream-id", "order-1"}}));
  EXPECT_TRUE(got.group_id.empty());  // standard topic: none
  EXPECT_TRUE(got.dedup_id.empty());
  // The wire form botocore would send (wave2-testing.md §4.2).
  EXPECT_EQ(fake.Bodies()[0].rfind(
                "Action=Publish&Version=2010-03-31&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A", 0),
            0u);
  EXPECT_NE(fake.Bodies()[0].find("&MessageAttributes.entry.1.Name=event-type&MessageAttributes."
                                  "entry.1.Value.DataType=String&MessageAttributes.entry.1.Value."
                                  "StringValue=OrderPlaced"),
            std::string::npos);
}

TEST(SnsPublisher, FifoTopicsGetGroupAndDeduplicationIds) {
  FakeSns fake;
  fake.CreateTopic(kFifoArn);
  {
    Publisher publisher(Options(fake));  // no group option: the aggregate ID
    const std::vector<OutboxMessage> batch{Msg("e1", kFifoArn, "order-1"),
                                           Msg("e2", kFifoArn, "order-2")};
    for (const auto& o : publisher.Publish(Context{}, batch)) {
      ASSERT_TRUE(o.Delivered()) << ErrorMessage(o.error);
    }
  }
  {
    auto options = Options(fake);
    options.message_group_id = "orders";
    Publisher publisher(options);
    const std::vector<OutboxMessage> batch{Msg("e3", kFifoArn, "order-3")};
    ASSERT_TRUE(publisher.Publish(Context{}, batch).at(0).Delivered());
  }
  const auto got = fake.Published(kFifoArn);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].group_id, "order-1");
  EXPECT_EQ(got[0].dedup_id, "e1");
  EXPECT_EQ(got[1].group_id, "order-2");
  EXPECT_EQ(got[1].dedup_id, "e2");
  EXPECT_EQ(got[2].group_id, "orders");
  EXPECT_EQ(got[2].dedup_id, "e3");
}

TEST(SnsPublisher, BatchesAreChunkedByTenInOrder) {
  FakeSns fake;
  fake.CreateTopic(kArn);
  Publisher publisher(Options(fake));
  std::vector<OutboxMessage> batch;
  for (int i = 0; i < 23; ++i) batch.push_back(Msg("e" + std::to_string(i), kArn));
  for (const auto& o : publisher.Publish(Context{}, batch)) {
    ASSERT_TRUE(o.Delivered()) << ErrorMessage(o.error);
  }
  const auto calls = fake.Calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0], (std::pair<std::string, int>{"PublishBatch", 10}));
  EXPECT_EQ(calls[1], (std::pair<std::string, int>{"PublishBatch", 10}));
  EXPECT_EQ(calls[2], (std::pair<std::string, int>{"PublishBatch", 3}));
  const auto got = fake.Published(kArn);
  ASSERT_EQ(got.size(), 23u);
  for (int i = 0; i < 23; ++i) EXPECT_EQ(got[i].message, batch[i].payload);
}

// cpp-httplib refuses form bodies over 8 KiB (413), so this one runs over an injected
// transport (go-mink's WithHTTPClient) that answers every entry as successful.
TEST(SnsPublisher, BatchesStayUnder256KiB) {
  class Recorder : public mink::http::HttpClient {
   public:
    mink::http::Response Do(const Context&, const mink::http::Request& r) override {
      int entries = 0;
      std::string ok;
      while (r.body.find("PublishBatchRequestEntries.member." + std::to_string(entries + 1) +
                         ".Id=") != std::string::npos) {
        ok += "<member><Id>m" + std::to_string(entries) + "</Id><MessageId>x</MessageId></member>";
        ++entries;
      }
      calls.push_back(entries);
      bytes.push_back(r.body.size());
      return {200, {}, "<R><Successful>" + ok + "</Successful><Failed></Failed></R>"};
    }
    std::vector<int> calls;
    std::vector<std::size_t> bytes;
  };
  FakeSns fake;  // only for its URL; nothing reaches it
  auto recorder = std::make_shared<Recorder>();
  auto options = Options(fake);
  options.service.http_client = recorder;
  Publisher publisher(options);
  std::vector<OutboxMessage> batch;
  for (int i = 0; i < 5; ++i) {
    batch.push_back(Msg("e" + std::to_string(i), kArn));
    batch.back().payload = std::string(100 * 1024, static_cast<char>('a' + i));
  }
  for (const auto& o : publisher.Publish(Context{}, batch)) {
    ASSERT_TRUE(o.Delivered()) << ErrorMessage(o.error);
  }
  EXPECT_EQ(recorder->calls, (std::vector<int>{2, 2, 0}));  // 0: the last one is a Publish
  for (auto b : recorder->bytes) EXPECT_LT(b, 256u * 1024 + 1024);
}

TEST(SnsPublisher, PartialBatchFailuresMapToTheirMessages) {
  FakeSns fake;
  fake.CreateTopic(kArn);
  Publisher publisher(Options(fake));
  std::vector<OutboxMessage> batch;
  for (int i = 0; i < 5; ++i) batch.push_back(Msg("e" + std::to_string(i), kArn));
  batch[1].headers["poison"] = "1";
  batch[2].headers["poison"] = "Throttled";
  batch[4].headers["poison"] = "InternalError";
  const auto out = publisher.Publish(Context{}, batch);
  ASSERT_EQ(out.size(), 5u);
  EXPECT_TRUE(out[0].Delivered());
  EXPECT_TRUE(out[3].Delivered());
  auto code_of = [](const std::exception_ptr& e) {
    try {
      std::rethrow_exception(e);
    } catch (const mink::aws::ServiceError& s) {
      return s.aws_code();
    } catch (...) {
    }
    return std::string("<not a ServiceError>");
  };
  EXPECT_TRUE(ErrorIs(out[1].error, mink::errc::kAwsServiceError)) << ErrorMessage(out[1].error);
  EXPECT_EQ(code_of(out[1].error), "InvalidParameter");
  EXPECT_TRUE(ErrorIs(out[2].error, mink::errc::kAwsThrottled)) << ErrorMessage(out[2].error);
  EXPECT_EQ(code_of(out[2].error), "Throttled");
  EXPECT_TRUE(ErrorIs(out[4].error, mink::errc::kAwsServiceUnavailable));
  EXPECT_EQ(fake.Published(kArn).size(), 2u);
  EXPECT_EQ(fake.Calls().size(), 1u);  // a 200 with failed entries is not retried as a whole
}

TEST(SnsPublisher, AFailedCallFailsItsMessagesOnlyAfterRetries) {
  FakeSns fake;
  const std::string other = "arn:aws:sns:us-east-1:111122223333:payments";
  fake.CreateTopic(kArn);
  fake.CreateTopic(other);
  Publisher publisher(Options(fake));
  fake.FailNextCalls(3, 500, "InternalError");  // every attempt of the first call
  const std::vector<OutboxMessage> batch{Msg("a", kArn), Msg("b", kArn), Msg("c", other)};
  const auto out = publisher.Publish(Context{}, batch);
  EXPECT_TRUE(ErrorIs(out[0].error, mink::errc::kAwsServiceUnavailable))
      << ErrorMessage(out[0].error);
  EXPECT_TRUE(ErrorIs(out[1].error, mink::errc::kAwsServiceUnavailable));
  EXPECT_TRUE(out[2].Delivered()) << ErrorMessage(out[2].error);
  EXPECT_EQ(fake.Calls().size(), 4u);
  // A throttled call is retried and then succeeds.
  fake.FailNextCalls(1, 400, "Throttled");
  const std::vector<OutboxMessage> again{Msg("d", kArn)};
  EXPECT_TRUE(publisher.Publish(Context{}, again).at(0).Delivered());
}

TEST(SnsPublisher, UnknownTopicAndBadSignatureAreTypedErrors) {
  FakeSns fake;
  fake.CreateTopic(kArn);
  Publisher publisher(Options(fake));
  const std::vector<OutboxMessage> missing{Msg("a", kArn + "-missing")};
  const auto out = publisher.Publish(Context{}, missing);
  ASSERT_FALSE(out.at(0).Delivered());
  try {
    std::rethrow_exception(out[0].error);
  } catch (const mink::aws::ServiceError& e) {
    EXPECT_TRUE(e.IsCode("NotFound")) << e.what();
  }
  Publisher wrong(Options(fake, "not-the-secret"));
  const std::vector<OutboxMessage> batch{Msg("b", kArn)};
  const auto bad = wrong.Publish(Context{}, batch);
  ASSERT_FALSE(bad.at(0).Delivered());
  try {
    std::rethrow_exception(bad[0].error);
  } catch (const mink::aws::ServiceError& e) {
    EXPECT_TRUE(e.IsCode("InvalidSignature")) << e.what();
  }
  EXPECT_TRUE(fake.Published(kArn).empty());
}

TEST(SnsPublisher, MalformedArnNamesTheMessage) {
  FakeSns fake;
  Publisher publisher(Options(fake));
  const std::vector<OutboxMessage> batch{Msg("m-9", "orders")};
  const auto out = publisher.Publish(Context{}, batch);
  EXPECT_TRUE(ErrorIs(out.at(0).error, mink::errc::kSnsInvalidDestination));
  EXPECT_NE(ErrorMessage(out[0].error).find("m-9"), std::string::npos);
  EXPECT_TRUE(fake.Calls().empty());
}

}  // namespace

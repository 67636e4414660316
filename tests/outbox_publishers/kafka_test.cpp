// mink::kafka::Publisher against librdkafka's mock cluster (an in-process Kafka protocol
// broker on 127.0.0.1): a consumer reads back topic, key, value and headers; broker errors are
// injected with rd_kafka_mock_push_request_errors / rd_kafka_mock_topic_set_error; an
// unreachable broker is bounded by the delivery timeout. Plus the contract suite.
#include <gtest/gtest.h>

#include <librdkafka/rdkafka.h>
// rdkafka_mock.h must come after rdkafka.h.
#include <librdkafka/rdkafka_mock.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <set>
#include <thread>

#include <spdlog/sinks/null_sink.h>

#include "conformance/publisher_conformance.hpp"
#include "mink/kafka/publisher.hpp"

using namespace std::chrono_literals;
using mink::Context;
using mink::ErrorIs;
using mink::ErrorMessage;
using mink::OutboxMessage;
using mink::conformance::PublisherConformance;
using mink::kafka::Publisher;
using mink::kafka::PublisherOptions;

namespace {

std::shared_ptr<spdlog::logger> Quiet() {
  return std::make_shared<spdlog::logger>("kafka-test",
                                          std::make_shared<spdlog::sinks::null_sink_mt>());
}

// A port nothing listens on (bound, then closed: connecting is refused).
int UnusedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

struct Record {
  std::string topic, key, value;
  std::map<std::string, std::string> headers;
};

// A one-broker mock cluster, owned by a throwaway producer handle, with helpers to create
// topics and read them back from the beginning.
class MockCluster {
 public:
  MockCluster() {
    char err[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
    owner_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    mc_ = rd_kafka_mock_cluster_new(owner_, 1);
  }
  ~MockCluster() {
    rd_kafka_mock_cluster_destroy(mc_);
    rd_kafka_destroy(owner_);
  }
  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;

  std::string bootstraps() const { return rd_kafka_mock_cluster_bootstraps(mc_); }
  rd_kafka_mock_cluster_t* get() { return mc_; }
  void CreateTopic(const std::string& topic) {
    rd_kafka_mock_topic_create(mc_, topic.c_str(), 1, 1);
  }

  // Every record of `topics` (partition 0), reading until `at_least` arrived or 10 s passed.
  std::vector<Record> ReadAll(const std::vector<std::string>& topics, std::size_t at_least) {
    char err[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps().c_str(), err, sizeof err);
    rd_kafka_conf_set(conf, "group.id", "mink-test-reader", err, sizeof err);
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err);
    rd_kafka_conf_set(conf, "enable.partition.eof", "true", err, sizeof err);
    rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
    rd_kafka_t* c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    rd_kafka_topic_partition_list_t* parts =
        rd_kafka_topic_partition_list_new(static_cast<int>(topics.size()));
    for (const auto& t : topics) {
      rd_kafka_topic_partition_list_add(parts, t.c_str(), 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    }
    rd_kafka_assign(c, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    std::vector<Record> out;
    std::set<std::string> at_eof;
    const auto until = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < until &&
           (out.size() < at_least || at_eof.size() < topics.size())) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(c, 100);
      if (!m) continue;
      const std::string topic = m->rkt ? rd_kafka_topic_name(m->rkt) : "";
      if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        at_eof.insert(topic);
      } else if (!m->err) {
        at_eof.erase(topic);
        Record r{topic,
                 m->key ? std::string(static_cast<const char*>(m->key), m->key_len) : "",
                 std::string(static_cast<const char*>(m->payload), m->len),
                 {}};
        rd_kafka_headers_t* hdrs = nullptr;
        if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
          const char* name;
          const void* val;
          size_t size;
          for (size_t i = 0;
               rd_kafka_header_get_all(hdrs, i, &name, &val, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
               ++i) {
            r.headers[name] = std::string(static_cast<const char*>(val), size);
          }
        }
        out.push_back(std::move(r));
      }
      rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(c);
    rd_kafka_destroy(c);
    return out;
  }

 private:
  rd_kafka_t* owner_ = nullptr;
  rd_kafka_mock_cluster_t* mc_ = nullptr;
};

OutboxMessage Msg(const std::string& id, const std::string& topic, const std::string& aggregate,
                  std::string payload) {
  OutboxMessage m;
  m.id = id;
  m.aggregate_id = aggregate;
  m.event_type = "OrderPlaced";
  m.destination = "kafka:" + topic;
  m.payload = std::move(payload);
  return m;
}

// ---- the contract suite ----

class KafkaHarness : public mink::conformance::PublisherHarness {
 public:
  KafkaHarness() {
    for (const char* t : {"topic-a", "topic-b"}) cluster_.CreateTopic(t);
    publisher_ =
        std::make_shared<Publisher>(PublisherOptions{.brokers = cluster_.bootstraps(),
                                                     .linger = 5ms,
                                                     .delivery_timeout = 5000ms,
                                                     .config = {{"message.max.bytes", "100000"}},
                                                     .logger = Quiet()});
  }
  std::shared_ptr<mink::Publisher> publisher() override { return publisher_; }
  std::string prefix() const override { return "kafka"; }
  std::string Destination(const std::string& name) override { return "kafka:topic-" + name; }
  std::string ReceivedTarget(const std::string& name) override { return "topic-" + name; }
  std::vector<std::string> MalformedDestinations() override {
    return {"kafka:", "kafka", "kafka:has space", "kafka:" + std::string(250, 'x')};
  }
  // Larger than message.max.bytes: librdkafka refuses it (MSG_SIZE_TOO_LARGE).
  void Poison(OutboxMessage& m) override { m.payload.append(200000, ' '); }
  std::vector<mink::conformance::ReceivedMessage> Received(std::size_t at_least) override {
    std::vector<mink::conformance::ReceivedMessage> out;
    for (auto& r : cluster_.ReadAll({"topic-a", "topic-b"}, at_least)) {
      out.push_back({r.topic, r.value, r.headers});
    }
    return out;
  }

 private:
  MockCluster cluster_;
  std::shared_ptr<Publisher> publisher_;
};

INSTANTIATE_TEST_SUITE_P(Kafka, PublisherConformance,
                         ::testing::Values(mink::conformance::PublisherFactory{
                             "kafka", [] { return std::make_unique<KafkaHarness>(); }}));

// ---- against the mock cluster ----

TEST(KafkaPublisher, KeyValueAndHeadersReachTheConsumer) {
  MockCluster cluster;
  cluster.CreateTopic("orders");
  cluster.CreateTopic("payments");
  Publisher publisher({.brokers = cluster.bootstraps(), .logger = Quiet()});
  std::vector<OutboxMessage> batch{Msg("1", "orders", "order-1", R"({"a":1})"),
                                   Msg("2", "payments", "pay-7", std::string("bin\0ary", 7)),
                                   Msg("3", "orders", "order-1", R"({"a":3})")};
  batch[0].headers = {{"event-type", "OrderPlaced"}, {"correlation-id", "c-1"}};
  batch[2].headers = {{"event-type", "OrderShipped"}};
  const auto out = publisher.Publish(Context{}, batch);
  for (const auto& o : out) ASSERT_TRUE(o.Delivered()) << ErrorMessage(o.error);
  const auto orders = cluster.ReadAll({"orders"}, 2);
  ASSERT_EQ(orders.size(), 2u);
  EXPECT_EQ(orders[0].key, "order-1");
  EXPECT_EQ(orders[0].value, R"({"a":1})");
  EXPECT_EQ(orders[0].headers.at("event-type"), "OrderPlaced");
  EXPECT_EQ(orders[0].headers.at("correlation-id"), "c-1");
  EXPECT_EQ(orders[1].value, R"({"a":3})");  // one partition: in produce order
  EXPECT_EQ(orders[1].headers.at("event-type"), "OrderShipped");
  const auto payments = cluster.ReadAll({"payments"}, 1);
  ASSERT_EQ(payments.size(), 1u);
  EXPECT_EQ(payments[0].key, "pay-7");
  EXPECT_EQ(payments[0].value, std::string("bin\0ary", 7));
  EXPECT_TRUE(payments[0].headers.empty());
}

TEST(KafkaPublisher, InjectedBrokerErrorFailsTheReportedMessage) {
  MockCluster cluster;
  cluster.CreateTopic("orders");
  cluster.CreateTopic("payments");
  Publisher publisher({.brokers = cluster.bootstraps(), .logger = Quiet()});
  // Warm up (idempotent producer id, metadata) so the injected errors hit a Produce.
  const std::vector<OutboxMessage> warm{Msg("w", "orders", "o", "w")};
  ASSERT_TRUE(publisher.Publish(Context{}, warm).at(0).Delivered());
  auto expect_failed = [&](const std::string& topic, const char* name) {
    const std::vector<OutboxMessage> batch{Msg("x", topic, "o", "x")};
    const auto out = publisher.Publish(Context{}, batch);
    ASSERT_FALSE(out.at(0).Delivered());
    EXPECT_TRUE(ErrorIs(out[0].error, mink::errc::kKafkaDeliveryFailed))
        << ErrorMessage(out[0].error);
    try {
      std::rethrow_exception(out[0].error);
    } catch (const mink::kafka::DeliveryError& e) {
      EXPECT_EQ(e.kafka_error_name(), name);
      EXPECT_FALSE(e.Retriable());
    }
  };
  // A permanent record error fails that message; the producer carries on with the topic.
  rd_kafka_mock_push_request_errors(cluster.get(), 0 /* Produce */, 1,
                                    RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
  expect_failed("orders", "MSG_SIZE_TOO_LARGE");
  const std::vector<OutboxMessage> after{Msg("y", "orders", "o", "y")};
  auto again = publisher.Publish(Context{}, after);
  EXPECT_TRUE(again.at(0).Delivered()) << ErrorMessage(again[0].error);
  // An authorization failure: librdkafka then refuses the topic until its metadata is
  // refreshed, but other topics still go out.
  rd_kafka_mock_push_request_errors(cluster.get(), 0, 1,
                                    RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
  expect_failed("orders", "TOPIC_AUTHORIZATION_FAILED");
  const std::vector<OutboxMessage> other{Msg("z", "payments", "p", "z")};
  again = publisher.Publish(Context{}, other);
  EXPECT_TRUE(again.at(0).Delivered()) << ErrorMessage(again[0].error);
}

TEST(KafkaPublisher, RetriableBrokerErrorsAreRetriedByTheIdempotentProducer) {
  MockCluster cluster;
  cluster.CreateTopic("orders");
  Publisher publisher({.brokers = cluster.bootstraps(), .logger = Quiet()});
  const std::vector<OutboxMessage> warm{Msg("w", "orders", "o", "w")};
  ASSERT_TRUE(publisher.Publish(Context{}, warm).at(0).Delivered());
  rd_kafka_mock_push_request_errors(cluster.get(), 0, 2, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
                                    RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT);
  const std::vector<OutboxMessage> batch{Msg("x", "orders", "o", "x")};
  const auto out = publisher.Publish(Context{}, batch);
  EXPECT_TRUE(out.at(0).Delivered()) << ErrorMessage(out[0].error);
  const auto got = cluster.ReadAll({"orders"}, 2);
  ASSERT_EQ(got.size(), 2u);  // no duplicate from the retries
  EXPECT_EQ(got[1].value, "x");
}

TEST(KafkaPublisher, UnreachableBrokerIsATypedErrorBoundedByTheDeliveryTimeout) {
  Publisher publisher({.brokers = "127.0.0.1:" + std::to_string(UnusedPort()),
                       .delivery_timeout = 1500ms,
                       .close_timeout = 500ms,
                       .logger = Quiet()});
  const std::vector<OutboxMessage> batch{Msg("a", "orders", "o", "a"),
                                         Msg("b", "orders", "o", "b")};
  const auto start = std::chrono::steady_clock::now();
  const auto out = publisher.Publish(Context{}, batch);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, 10s);
  for (const auto& o : out) {
    ASSERT_FALSE(o.Delivered());
    EXPECT_TRUE(ErrorIs(o.error, mink::errc::kKafkaDeliveryFailed)) << ErrorMessage(o.error);
  }
  const auto close_start = std::chrono::steady_clock::now();
  publisher.Close();
  EXPECT_LT(std::chrono::steady_clock::now() - close_start, 5s);
}

TEST(KafkaPublisher, TheContextDeadlineBoundsTheWait) {
  Publisher publisher({.brokers = "127.0.0.1:" + std::to_string(UnusedPort()),
                       .delivery_timeout = 30000ms,
                       .close_timeout = 200ms,
                       .logger = Quiet()});
  const std::vector<OutboxMessage> batch{Msg("a", "orders", "o", "a")};
  const auto start = std::chrono::steady_clock::now();
  const auto out = publisher.Publish(Context{}.WithTimeout(300ms), batch);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_TRUE(ErrorIs(out.at(0).error, mink::errc::kDeadlineExceeded))
      << ErrorMessage(out[0].error);
  // Close does not hang on the undeliverable message: it flushes for close_timeout, purges.
  const auto close_start = std::chrono::steady_clock::now();
  publisher.Close();
  EXPECT_LT(std::chrono::steady_clock::now() - close_start, 5s);
}

// A Publish waiting for reports that will not come (no broker, 60 s delivery timeout) is
// released by Close: the purge fails its messages instead of leaving it hanging.
TEST(KafkaPublisher, CloseReleasesAWaitingPublish) {
  Publisher publisher({.brokers = "127.0.0.1:" + std::to_string(UnusedPort()),
                       .delivery_timeout = 60000ms,
                       .close_timeout = 200ms,
                       .logger = Quiet()});
  const std::vector<OutboxMessage> batch{Msg("a", "orders", "o", "a"),
                                         Msg("b", "orders", "o", "b")};
  std::vector<mink::PublishOutcome> out;
  const auto start = std::chrono::steady_clock::now();
  std::thread waiting([&] { out = publisher.Publish(Context{}, batch); });
  publisher.Close();
  waiting.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
  ASSERT_EQ(out.size(), 2u);
  for (const auto& o : out) {
    ASSERT_FALSE(o.Delivered());
    // Close won the race (closed before producing) or purged the produced messages.
    EXPECT_TRUE(ErrorIs(o.error, mink::errc::kAdapterClosed) ||
                ErrorIs(o.error, mink::errc::kKafkaDeliveryFailed))
        << ErrorMessage(o.error);
  }
}

TEST(KafkaPublisher, CloseFlushesWhatIsBuffered) {
  MockCluster cluster;
  cluster.CreateTopic("orders");
  auto publisher = std::make_shared<Publisher>(
      PublisherOptions{.brokers = cluster.bootstraps(), .linger = 200ms, .logger = Quiet()});
  std::vector<OutboxMessage> batch;
  for (int i = 0; i < 20; ++i)
    batch.push_back(Msg(std::to_string(i), "orders", "o", std::to_string(i)));
  // A Publish whose context ends before the linger elapses leaves the batch buffered ...
  const auto out = publisher->Publish(Context{}.WithTimeout(20ms), batch);
  ASSERT_EQ(out.size(), 20u);
  // ... and Close delivers it before destroying the producer.
  publisher->Close();
  EXPECT_EQ(cluster.ReadAll({"orders"}, 20).size(), 20u);
}

TEST(KafkaPublisher, BadConfigurationIsATypedError) {
  try {
    Publisher p({.config = {{"no.such.property", "1"}}, .logger = Quiet()});
    ADD_FAILURE();
  } catch (const mink::Error& e) {
    EXPECT_TRUE(e.Is(mink::errc::kKafkaConfig)) << e.what();
  }
}

}  // namespace

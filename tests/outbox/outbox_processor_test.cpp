// OutboxProcessor on the memory store: grouping, per-message outcomes, typed errors on the
// message, backoff then dead letter, Start/Stop draining, push wake-up, several processors
// delivering each message once, and per-aggregate ordered delivery with two processors.
#include "mink/outbox/processor.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <latch>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/test_events.hpp"
#include "mink/memory/adapter.hpp"
#include "mink/memory/outbox_store.hpp"
#include "mink/outbox/errors.hpp"
#include "mink/outbox/event_store_with_outbox.hpp"
#include "outbox/recording_publisher.hpp"
#include "support/error_code.hpp"
#include "support/manual_clock.hpp"

namespace mink {
namespace {

using mink::testing::CodeOf;
using mink::testing::RecordingMetrics;
using mink::testing::RecordingPublisher;
using namespace std::chrono_literals;

const Context kCtx;

std::vector<OutboxMessage> Schedule(OutboxStore& store, const std::vector<std::string>& dests,
                                    const std::string& aggregate = "Order-1") {
  std::vector<OutboxMessage> ms;
  for (std::size_t i = 0; i < dests.size(); ++i) {
    OutboxMessage m;
    m.aggregate_id = aggregate;
    m.event_type = "OrderCreated";
    m.destination = dests[i];
    m.payload = nlohmann::json{{"n", i}}.dump();
    ms.push_back(std::move(m));
  }
  store.Schedule(kCtx, ms);
  return ms;
}

class OutboxProcessorTest : public ::testing::Test {
 protected:
  mink::testing::ManualClock clock;
  std::shared_ptr<memory::OutboxStore> store =
      std::make_shared<memory::OutboxStore>(memory::OutboxStoreOptions{.clock = clock.Fn()});
  std::shared_ptr<RecordingPublisher> webhook = std::make_shared<RecordingPublisher>("webhook");
  std::shared_ptr<RecordingPublisher> kafka = std::make_shared<RecordingPublisher>("kafka");
  std::shared_ptr<RecordingMetrics> metrics = std::make_shared<RecordingMetrics>();

  OutboxProcessorOptions Options() {
    return {.publishers = {webhook, kafka}, .metrics = metrics, .clock = clock.Fn(), .jitter = [] {
              return 0.5;
            }};
  }
};

TEST_F(OutboxProcessorTest, TheSeedsDefaults) {
  OutboxProcessor p(store);
  EXPECT_EQ(p.Options().batch_size, 100u);
  EXPECT_EQ(p.Options().poll_interval, 1s);
  EXPECT_EQ(p.Options().max_retries, 5);
  EXPECT_EQ(p.Options().retry_backoff, 5s);
  EXPECT_EQ(p.Options().cleanup_interval, 1h);
  EXPECT_EQ(p.Options().cleanup_age, 7 * 24h);
  EXPECT_EQ(p.Options().processing_timeout, 5min);
  OutboxProcessor q(store, {.batch_size = 0, .poll_interval = -1s, .max_retries = -2});
  EXPECT_EQ(q.Options().batch_size, 100u);
  EXPECT_EQ(q.Options().poll_interval, 1s);
  EXPECT_EQ(q.Options().max_retries, 5);
  EXPECT_EQ(CodeOf([&] { OutboxProcessor r(nullptr); }), errc::kInvalidArgument);
  EXPECT_EQ(CodeOf([&] {
              OutboxProcessor r(store, {.publishers = {webhook, webhook}});
            }),
            errc::kInvalidArgument);
}

TEST_F(OutboxProcessorTest, GroupsByPrefixAndDeliversEachToItsPublisher) {
  auto ms = Schedule(*store, {"webhook:http://a", "kafka:orders", "webhook:http://b"});
  OutboxProcessor p(store, Options());
  EXPECT_EQ(p.ProcessBatch(kCtx), 3u);
  EXPECT_EQ(webhook->Batches(), 1);
  EXPECT_EQ(kafka->Batches(), 1);
  EXPECT_EQ(webhook->Delivered().size(), 2u);
  EXPECT_EQ(kafka->Delivered().size(), 1u);
  for (const auto& m : ms) EXPECT_EQ(store->Get(kCtx, m.id)->status, OutboxStatus::kCompleted);
  EXPECT_EQ(metrics->processed["webhook:ok"], 2);
  EXPECT_EQ(metrics->processed["kafka:ok"], 1);
  EXPECT_EQ(metrics->batches, 1);
  EXPECT_EQ(p.ProcessBatch(kCtx), 0u);
}

TEST_F(OutboxProcessorTest, AMissingPublisherFailsOnlyThatMessageWithATypedError) {
  auto ms = Schedule(*store, {"sns:arn:x", "webhook:http://a"});
  OutboxProcessor p(store, Options());
  p.ProcessBatch(kCtx);
  auto sns = store->Get(kCtx, ms[0].id);
  EXPECT_EQ(sns->status, OutboxStatus::kPending);  // re-queued with backoff
  EXPECT_EQ(sns->last_error.rfind("PublisherNotFound: ", 0), 0u) << sns->last_error;
  EXPECT_GT(sns->scheduled_at, clock.Now());
  EXPECT_EQ(store->Get(kCtx, ms[1].id)->status, OutboxStatus::kCompleted);
  EXPECT_EQ(metrics->failed["sns"], 1);
}

TEST_F(OutboxProcessorTest, OnePoisonedMessageIsRetriedAloneWithExponentialBackoff) {
  auto ms = Schedule(*store, {"webhook:http://a", "webhook:http://poison", "webhook:http://c"});
  webhook->fail = [](const OutboxMessage& m) { return m.destination == "webhook:http://poison"; };
  OutboxProcessor p(store, Options());
  p.ProcessBatch(kCtx);
  EXPECT_EQ(webhook->Delivered(), (std::map<std::string, int>{{ms[0].id, 1}, {ms[2].id, 1}}));
  // attempt 1: d = 5 s, retried after d/2 + 0.5 * d/2 = 3.75 s.
  auto poisoned = store->Get(kCtx, ms[1].id);
  EXPECT_EQ(poisoned->scheduled_at, clock.Now() + 3750ms);
  EXPECT_EQ(poisoned->last_error, "StorageFailed: mink: receiver said no");
  EXPECT_EQ(p.ProcessBatch(kCtx), 0u) << "not before its backoff";
  clock.Advance(3750ms);
  EXPECT_EQ(p.ProcessBatch(kCtx), 1u);
  // attempt 2: d = 10 s -> 7.5 s. The good messages were not sent again.
  EXPECT_EQ(store->Get(kCtx, ms[1].id)->scheduled_at, clock.Now() + 7500ms);
  EXPECT_EQ(webhook->Delivered().size(), 2u);
  EXPECT_EQ(webhook->Delivered().at(ms[0].id), 1);
}

TEST_F(OutboxProcessorTest, ExhaustedMessagesBecomeDeadLettersAndCanBeRequeued) {
  auto ms = Schedule(*store, {"webhook:http://a"});
  std::atomic<bool> failing{true};
  webhook->fail = [&](const OutboxMessage&) { return failing.load(); };
  auto options = Options();
  options.max_retries = 3;
  OutboxProcessor p(store, options);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(p.ProcessBatch(kCtx), 1u) << "attempt " << i + 1;
    clock.Advance(1h);
  }
  EXPECT_EQ(p.ProcessBatch(kCtx), 0u);
  auto dead = store->GetDeadLetterMessages(kCtx, 10);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].attempts, 3);
  EXPECT_EQ(metrics->dead_lettered, 1);

  failing = false;
  const std::vector<std::string> ids{ms[0].id};
  EXPECT_EQ(store->RequeueDeadLetters(kCtx, ids), 1);
  EXPECT_EQ(p.ProcessBatch(kCtx), 1u);
  EXPECT_EQ(store->Get(kCtx, ms[0].id)->status, OutboxStatus::kCompleted);
}

// A publisher that breaks its contract fails its group, never the processor.
class BrokenPublisher final : public Publisher {
 public:
  explicit BrokenPublisher(bool throws) : throws_(throws) {}
  std::string Destination() const override { return "kafka"; }
  std::vector<PublishOutcome> Publish(const Context&, std::span<const OutboxMessage>) override {
    if (throws_) throw std::runtime_error("broker unreachable");
    return {};  // no outcomes at all
  }

 private:
  bool throws_;
};

TEST_F(OutboxProcessorTest, APublisherThatThrowsOrMiscountsFailsItsGroupWithATypedError) {
  for (bool throws : {true, false}) {
    auto local = std::make_shared<memory::OutboxStore>();
    auto ms = Schedule(*local, {"kafka:a", "kafka:b", "webhook:http://ok"});
    OutboxProcessor p(local, {.publishers = {std::make_shared<BrokenPublisher>(throws), webhook}});
    EXPECT_EQ(p.ProcessBatch(kCtx), 3u);
    for (int i : {0, 1}) {
      auto m = local->Get(kCtx, ms[i].id);
      EXPECT_EQ(m->last_error.rfind("OutboxPublishFailed: ", 0), 0u) << m->last_error;
    }
    EXPECT_EQ(local->Get(kCtx, ms[2].id)->status, OutboxStatus::kCompleted);
  }
}

TEST_F(OutboxProcessorTest, StartStopAndIsRunning) {
  OutboxProcessor p(store, Options());
  EXPECT_FALSE(p.IsRunning());
  p.Start(kCtx);
  EXPECT_TRUE(p.IsRunning());
  EXPECT_EQ(CodeOf([&] { p.Start(kCtx); }), errc::kOutboxProcessorRunning);
  p.Stop();
  EXPECT_FALSE(p.IsRunning());
  p.Stop();  // idempotent
  p.Start(kCtx);
  EXPECT_TRUE(p.IsRunning());
}

TEST_F(OutboxProcessorTest, StopDrainsTheInFlightBatch) {
  auto ms = Schedule(*store, {"webhook:http://a"});
  std::latch entered{1};
  std::promise<void> release;
  auto released = release.get_future().share();
  webhook->before_publish = [&](const Context&) {
    entered.count_down();
    released.wait();
  };
  OutboxProcessor p(store, Options());
  p.Start(kCtx);
  entered.wait();
  std::thread stopper([&] { p.Stop(); });
  release.set_value();
  stopper.join();
  EXPECT_FALSE(p.IsRunning());
  EXPECT_EQ(store->Get(kCtx, ms[0].id)->status, OutboxStatus::kCompleted);
}

TEST_F(OutboxProcessorTest, AStopDeadlineCancelsTheInFlightPublish) {
  auto ms = Schedule(*store, {"webhook:http://a"});
  std::latch entered{1};
  webhook->before_publish = [&](const Context& ctx) {
    entered.count_down();
    std::mutex m;
    std::unique_lock lock(m);
    std::condition_variable_any().wait(lock, ctx.StopToken(), [] { return false; });
    ctx.ThrowIfDone();
  };
  OutboxProcessor p(store, Options());
  p.Start(kCtx);
  entered.wait();
  p.Stop(Context{}.WithTimeout(50ms));
  auto m = store->Get(kCtx, ms[0].id);
  EXPECT_NE(m->status, OutboxStatus::kCompleted);
  EXPECT_NE(m->last_error.find("context cancelled"), std::string::npos) << m->last_error;
}

TEST_F(OutboxProcessorTest, AppendsWakeTheProcessorWithoutWaitingForItsPoll) {
  auto adapter = std::make_shared<memory::Adapter>();
  auto events = std::make_shared<EventStore>(adapter);
  EventStoreWithOutbox with_outbox(events, store, {{.destination = "webhook:http://a"}});
  auto options = Options();
  options.poll_interval = 1h;  // only a push wake-up can deliver in time
  options.wake_feed = adapter;
  OutboxProcessor p(store, options);
  p.Start(kCtx);
  for (int i = 1; i <= 3; ++i) {
    with_outbox.Append(kCtx, "Order-" + std::to_string(i),
                       {Event(mink::testing::OrderCreated{"x", "y"})});
    EXPECT_TRUE(webhook->WaitDelivered(static_cast<std::size_t>(i))) << "append " << i;
  }
  // Wake() does the same for messages scheduled directly.
  Schedule(*store, {"webhook:http://direct"});
  p.Wake();
  EXPECT_TRUE(webhook->WaitDelivered(4));
  p.Stop();
}

TEST(OutboxProcessorConcurrency, SeveralProcessorsDeliverEachMessageExactlyOnce) {
  auto store = std::make_shared<memory::OutboxStore>();
  auto publisher = std::make_shared<RecordingPublisher>("webhook");
  std::vector<std::string> dests(300, "webhook:http://a");
  std::vector<std::unique_ptr<OutboxProcessor>> processors;
  for (int i = 0; i < 3; ++i) {
    processors.push_back(std::make_unique<OutboxProcessor>(
        store,
        OutboxProcessorOptions{.batch_size = 7, .poll_interval = 5ms, .publishers = {publisher}}));
    processors.back()->Start(kCtx);
  }
  for (int i = 0; i < 10; ++i) {
    Schedule(*store, std::vector<std::string>(30, "webhook:http://a"),
             "Order-" + std::to_string(i));
  }
  ASSERT_TRUE(publisher->WaitDelivered(300));
  for (auto& p : processors) p->Stop();
  auto delivered = publisher->Delivered();
  EXPECT_EQ(delivered.size(), 300u);
  for (const auto& [id, n] : delivered) EXPECT_EQ(n, 1) << id;
  EXPECT_EQ(store->Count(kCtx, OutboxStatus::kCompleted), 300);
}

TEST(OutboxProcessorConcurrency, OrderedDeliveryKeepsEachAggregatesOrderAcrossTwoProcessors) {
  auto store = std::make_shared<memory::OutboxStore>();
  auto publisher = std::make_shared<RecordingPublisher>("webhook");
  std::mutex mutex;
  std::set<std::string> failed_once;
  // Each aggregate's third message fails its first attempt: its successors must wait.
  publisher->fail = [&](const OutboxMessage& m) {
    std::lock_guard lock(mutex);
    return nlohmann::json::parse(m.payload)["n"] == 2 && failed_once.insert(m.id).second;
  };
  publisher->before_publish = [&](const Context&) { std::this_thread::yield(); };
  constexpr int kAggregates = 5, kPerAggregate = 12;
  for (int i = 0; i < kPerAggregate; ++i) {
    for (int a = 0; a < kAggregates; ++a) {
      OutboxMessage m;
      m.aggregate_id = "Order-" + std::to_string(a);
      m.event_type = "E";
      m.destination = "webhook:http://a";
      m.payload = nlohmann::json{{"n", i}}.dump();
      std::vector<OutboxMessage> one{m};
      store->Schedule(kCtx, one);
    }
  }
  std::vector<std::unique_ptr<OutboxProcessor>> processors;
  for (int i = 0; i < 2; ++i) {
    processors.push_back(std::make_unique<OutboxProcessor>(
        store, OutboxProcessorOptions{.batch_size = 3,
                                      .poll_interval = 2ms,
                                      .retry_backoff = 1ms,
                                      .publishers = {publisher},
                                      .ordered_per_aggregate = true}));
    processors.back()->Start(kCtx);
  }
  ASSERT_TRUE(publisher->WaitDelivered(kAggregates * kPerAggregate));
  for (auto& p : processors) p->Stop();
  std::map<std::string, std::vector<int>> per_aggregate;
  for (const auto& m : publisher->Order()) {
    per_aggregate[m.aggregate_id].push_back(nlohmann::json::parse(m.payload)["n"].get<int>());
  }
  ASSERT_EQ(per_aggregate.size(), static_cast<std::size_t>(kAggregates));
  for (const auto& [aggregate, ns] : per_aggregate) {
    std::vector<int> expected(kPerAggregate);
    for (int i = 0; i < kPerAggregate; ++i) expected[i] = i;
    EXPECT_EQ(ns, expected) << aggregate;
  }
}

}  // namespace
}  // namespace mink

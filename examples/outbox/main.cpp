// examples/outbox — order events routed to a webhook receiver and a Kafka topic through the
// transactional outbox. The receiver fails its first delivery (the message is retried with
// backoff), and refuses one poisoned order for good (it becomes a dead letter, listed at the
// end). The publishers here are in-process stand-ins; the real ones are mink::webhook and
// mink::kafka (docs/outbox.md). Runs on memory; `example_outbox postgresql://...` runs it on
// PostgreSQL, in a schema of its own ("mink_example_outbox_<pid>", so two runs against one
// database do not share a table) that it drops at the end.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include <mink/memory/adapter.hpp>
#include <mink/memory/outbox_store.hpp>
#include <mink/mink.hpp>
#include <mink/outbox/errors.hpp>
#include <mink/outbox/event_store_with_outbox.hpp>
#include <mink/outbox/processor.hpp>
#ifdef MINK_EXAMPLE_WITH_POSTGRES
#include <mink/postgres/adapter.hpp>
#include <mink/postgres/outbox_store.hpp>
#include <pqxx/pqxx>
#endif

using namespace std::chrono_literals;

struct OrderPlaced {
  static constexpr std::string_view kEventType = "OrderPlaced";
  std::string order_id;
  double total = 0;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(OrderPlaced, order_id, total)
};

struct OrderShipped {
  static constexpr std::string_view kEventType = "OrderShipped";
  std::string order_id;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(OrderShipped, order_id)
};

// A partner's webhook endpoint: down for its first request, and it rejects order "poison" (a
// 4xx: retrying does not help).
class FlakyReceiver final : public mink::Publisher {
 public:
  std::string Destination() const override { return "webhook"; }
  std::vector<mink::PublishOutcome> Publish(const mink::Context&,
                                            std::span<const mink::OutboxMessage> batch) override {
    std::vector<mink::PublishOutcome> out;
    std::lock_guard lock(mutex_);
    for (const auto& m : batch) {
      if (requests_++ == 0) {
        std::printf("webhook: %s %s -> 503 (receiver starting up)\n", m.event_type.c_str(),
                    m.aggregate_id.c_str());
        out.push_back({std::make_exception_ptr(std::runtime_error("server error 503"))});
      } else if (m.aggregate_id == "Order-poison") {
        out.push_back({std::make_exception_ptr(std::runtime_error("client error 422"))});
      } else {
        std::printf("webhook: %s %s -> 200\n", m.event_type.c_str(), m.aggregate_id.c_str());
        out.push_back({});
      }
    }
    return out;
  }

 private:
  std::mutex mutex_;
  int requests_ = 0;
};

// Stands in for a Kafka topic: key = aggregate ID, value = payload.
class TopicStandIn final : public mink::Publisher {
 public:
  std::string Destination() const override { return "kafka"; }
  std::vector<mink::PublishOutcome> Publish(const mink::Context&,
                                            std::span<const mink::OutboxMessage> batch) override {
    for (const auto& m : batch) {
      std::printf("kafka %s: key=%s value=%s\n",
                  std::string(mink::DestinationTarget(m.destination)).c_str(),
                  m.aggregate_id.c_str(), m.payload.c_str());
    }
    return std::vector<mink::PublishOutcome>(batch.size());
  }
};

struct Stores {
  std::shared_ptr<mink::EventStoreAdapter> adapter;
  std::shared_ptr<mink::OutboxStore> outbox;
  std::function<void()> drop;  // removes what the run created
};

Stores MakeStores(int argc, char** argv) {
#ifdef MINK_EXAMPLE_WITH_POSTGRES
  if (argc > 1) {
    const std::string url = argv[1];
    const std::string schema = "mink_example_outbox_" + std::to_string(getpid());
    auto drop = [url, schema] {
      pqxx::connection conn(mink::postgres::BuildConnInfo(url, std::chrono::seconds(5)));
      pqxx::nontransaction tx(conn);
      tx.exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    };
    drop();  // a previous run with this pid that did not finish
    auto pg = std::make_shared<mink::postgres::Adapter>(
        mink::postgres::Options{.url = url, .schema = schema});
    pg->Initialize(mink::Context{});
    auto outbox = std::make_shared<mink::postgres::OutboxStore>(
        mink::postgres::OutboxStoreOptions{.url = url, .schema = schema});
    outbox->Initialize(mink::Context{});
    std::printf("using PostgreSQL (schema %s)\n", pg->Schema().c_str());
    return {pg, outbox, drop};
  }
#else
  if (argc > 1) std::fprintf(stderr, "built without PostgreSQL support; using memory\n");
  (void)argv;
#endif
  return {
      std::make_shared<mink::memory::Adapter>(), std::make_shared<mink::memory::OutboxStore>(), {}};
}

int main(int argc, char** argv) try {
  const mink::Context ctx;
  auto [adapter, outbox, drop] = MakeStores(argc, argv);
  auto events = std::make_shared<mink::EventStore>(adapter);
  events->RegisterEvents<OrderPlaced, OrderShipped>();

  // Every event to the partner's webhook; placed orders also to the "orders" topic.
  mink::EventStoreWithOutbox store(
      events, outbox,
      {{.destination = "webhook:https://partner.example.com/orders"},
       {.event_types = {"OrderPlaced"}, .destination = "kafka:orders"}},
      {.max_attempts = 3});

  mink::OutboxProcessor processor(
      outbox, {.batch_size = 10,
               .poll_interval = 50ms,
               .max_retries = 3,
               .retry_backoff = 20ms,
               .publishers = {std::make_shared<FlakyReceiver>(), std::make_shared<TopicStandIn>()},
               .ordered_per_aggregate = true,
               .wake_feed = adapter});
  processor.Start(ctx);

  store.Append(ctx, "Order-1", {mink::Event(OrderPlaced{"1", 42.5})});
  store.Append(ctx, "Order-1", {mink::Event(OrderShipped{"1"})});
  store.Append(ctx, "Order-poison", {mink::Event(OrderPlaced{"poison", 1})});

  // 5 messages: 3 reach their receivers, the poisoned webhook delivery is dead-lettered.
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline &&
         (outbox->Count(ctx, mink::OutboxStatus::kCompleted) < 4 ||
          outbox->Count(ctx, mink::OutboxStatus::kDeadLetter) < 1)) {
    std::this_thread::sleep_for(10ms);
  }
  processor.Stop(ctx.WithTimeout(5s));

  for (const auto& m : outbox->GetDeadLetterMessages(ctx, 10)) {
    std::printf("dead letter: %s to %s after %d attempts: %s\n", m.aggregate_id.c_str(),
                m.destination.c_str(), m.attempts, m.last_error.c_str());
  }
  std::printf("outbox: %lld delivered, %lld dead letter\n",
              static_cast<long long>(outbox->Count(ctx, mink::OutboxStatus::kCompleted)),
              static_cast<long long>(outbox->Count(ctx, mink::OutboxStatus::kDeadLetter)));
  if (drop) {
    adapter->Close();
    outbox->Close();
    drop();
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}

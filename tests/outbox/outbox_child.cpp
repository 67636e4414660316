// A separate OS process for the PostgreSQL outbox tests (postgres_outbox_kill_test.cpp): its own
// OutboxStore (connection pool) and processor on the test's table, as another replica would be.
//
//   mink_outbox_child crash <url> <schema>
//     runs an OutboxProcessor whose publisher, on its first batch, prints "claimed <id>" for
//     every message of the batch, delivers the first two (INSERT INTO "<schema>".deliveries),
//     prints "delivering" and then blocks until the process is killed (the test sends SIGKILL):
//     a processor dying mid-batch, its messages claimed and never marked.
//
//   mink_outbox_child deliver <url> <schema> [ordered]
//     runs a healthy OutboxProcessor (batch 5, poll 20 ms, ordered_per_aggregate when asked)
//     whose publisher records each delivery in one transaction per batch
//     (INSERT INTO "<schema>".deliveries (id, aggregate, payload, pid)); prints "ready" once
//     started, and on "stop" (or end of input) on stdin stops the processor and prints
//     "stopped <deliveries>" (postgres_outbox_two_process_test.cpp).
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <iostream>
#include <string>

#include <pqxx/pqxx>

#include "mink/outbox/processor.hpp"
#include "mink/postgres/conninfo.hpp"
#include "mink/postgres/outbox_store.hpp"

namespace {

class DyingPublisher final : public mink::Publisher {
 public:
  DyingPublisher(const std::string& url, std::string schema)
      : db_(mink::postgres::BuildConnInfo(url, std::chrono::seconds(5), "mink-outbox-child")),
        schema_(std::move(schema)) {}
  std::string Destination() const override { return "webhook"; }
  std::vector<mink::PublishOutcome> Publish(const mink::Context&,
                                            std::span<const mink::OutboxMessage> batch) override {
    for (const auto& m : batch) std::cout << "claimed " << m.id << std::endl;
    for (std::size_t i = 0; i < batch.size() && i < 2; ++i) {
      pqxx::work tx(db_);
      tx.exec_params("INSERT INTO \"" + schema_ + "\".deliveries (id, pid) VALUES ($1, $2)",
                     batch[i].id, static_cast<int>(getpid()));
      tx.commit();
    }
    std::cout << "delivering" << std::endl;
    for (;;) pause();  // killed here
  }

 private:
  pqxx::connection db_;
  std::string schema_;
};

class RecordingPublisher final : public mink::Publisher {
 public:
  RecordingPublisher(const std::string& url, std::string schema)
      : db_(mink::postgres::BuildConnInfo(url, std::chrono::seconds(5), "mink-outbox-child")),
        schema_(std::move(schema)) {}
  std::string Destination() const override { return "webhook"; }
  std::vector<mink::PublishOutcome> Publish(const mink::Context&,
                                            std::span<const mink::OutboxMessage> batch) override {
    pqxx::work tx(db_);
    for (const auto& m : batch) {
      tx.exec_params("INSERT INTO \"" + schema_ +
                         "\".deliveries (id, aggregate, payload, pid) VALUES ($1, $2, $3, $4)",
                     m.id, m.aggregate_id, m.payload, static_cast<int>(getpid()));
    }
    tx.commit();
    delivered_ += batch.size();
    return std::vector<mink::PublishOutcome>(batch.size());
  }
  std::size_t Delivered() const { return delivered_.load(); }

 private:
  pqxx::connection db_;  // only the processor's one loop thread publishes
  std::string schema_;
  std::atomic<std::size_t> delivered_{0};
};

int Deliver(const std::string& url, const std::string& schema, bool ordered) {
  auto store = std::make_shared<mink::postgres::OutboxStore>(
      mink::postgres::OutboxStoreOptions{.url = url, .schema = schema});
  auto publisher = std::make_shared<RecordingPublisher>(url, schema);
  mink::OutboxProcessor processor(store, {.batch_size = 5,
                                          .poll_interval = std::chrono::milliseconds(20),
                                          .publishers = {publisher},
                                          .ordered_per_aggregate = ordered});
  processor.Start(mink::Context{});
  std::cout << "ready" << std::endl;
  for (std::string line; std::getline(std::cin, line) && line != "stop";) {
  }
  processor.Stop();
  store->Close();
  std::cout << "stopped " << publisher->Delivered() << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) try {
  const std::string mode = argc >= 2 ? argv[1] : "";
  if (mode == "deliver" && (argc == 4 || (argc == 5 && std::string(argv[4]) == "ordered"))) {
    return Deliver(argv[2], argv[3], argc == 5);
  }
  if (argc != 4 || mode != "crash") {
    std::cerr << "usage: mink_outbox_child crash <url> <schema>\n"
                 "       mink_outbox_child deliver <url> <schema> [ordered]\n";
    return 2;
  }
  const std::string url = argv[2], schema = argv[3];
  auto store = std::make_shared<mink::postgres::OutboxStore>(
      mink::postgres::OutboxStoreOptions{.url = url, .schema = schema});
  mink::OutboxProcessor processor(store,
                                  {.batch_size = 10,
                                   .poll_interval = std::chrono::milliseconds(20),
                                   .publishers = {std::make_shared<DyingPublisher>(url, schema)}});
  processor.Start(mink::Context{});
  for (;;) pause();
} catch (const std::exception& e) {
  std::cerr << "child: " << e.what() << "\n";
  return 1;
}

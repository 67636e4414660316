// A separate OS process for the PostgreSQL outbox tests (postgres_outbox_kill_test.cpp): its own
// OutboxStore (connection pool) and processor on the test's table, as another replica would be.
//
//   mink_outbox_child crash <url> <schema>
//     runs an OutboxProcessor whose publisher, on its first batch, prints "claimed <id>" for
//     every message of the batch, delivers the first two (INSERT INTO "<schema>".deliveries),
//     prints "delivering" and then blocks until the process is killed (the test sends SIGKILL):
//     a processor dying mid-batch, its messages claimed and never marked.
#include <unistd.h>

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

}  // namespace

int main(int argc, char** argv) try {
  if (argc != 4 || std::string(argv[1]) != "crash") {
    std::cerr << "usage: mink_outbox_child crash <url> <schema>\n";
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

// A separate OS process for the PostgreSQL idempotency tests (postgres_idempotency_test.cpp):
// its own connection pool and bus on the same database, as another service replica would be.
//
//   mink_idempotency_child race  <url> <schema> <keys> <threads>
//     prints "ready", waits for a line on stdin, then <threads> threads each dispatch
//     Charge{"req-<i>"} for i in 0..keys-1; every handler run inserts (key, pid) into
//     "<schema>".runs. Prints "ok=.. in_progress=.. other=.." and exits 0 (1 when any dispatch
//     answered something else).
//   mink_idempotency_child crash <url> <schema> <key>
//     dispatches Charge{key}; the handler prints "running" and blocks until the process is
//     killed (the test sends SIGKILL), leaving its reservation behind.
#include <unistd.h>

#include <atomic>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include "idempotency/charge.hpp"
#include "mink/cqrs/command_bus.hpp"
#include "mink/cqrs/handler.hpp"
#include "mink/idempotency/middleware.hpp"
#include "mink/postgres/conninfo.hpp"
#include "mink/postgres/idempotency_store.hpp"

namespace {

using mink::testing::Charge;

int Race(const std::string& url, const std::string& schema, int keys, int threads) {
  auto store = std::make_shared<mink::postgres::IdempotencyStore>(
      mink::postgres::IdempotencyStoreOptions{.url = url, .schema = schema});
  pqxx::connection db(mink::postgres::BuildConnInfo(url, std::chrono::seconds(5), "mink-child"));
  std::mutex db_mutex;
  mink::CommandBus bus;
  bus.Use(mink::IdempotencyMiddleware(mink::DefaultIdempotencyConfig(store)));
  bus.Register(mink::NewGenericHandler<Charge>([&](const mink::Context&, const Charge& c) {
    std::lock_guard lock(db_mutex);
    pqxx::work tx(db);
    tx.exec_params("INSERT INTO \"" + schema + "\".runs (key, pid) VALUES ($1, $2)", c.request_id,
                   static_cast<int>(getpid()));
    tx.commit();
    return mink::NewSuccessResult("payment-" + c.request_id, 1);
  }));

  std::cout << "ready" << std::endl;
  std::string go;
  std::getline(std::cin, go);
  std::atomic<int> ok{0}, in_progress{0}, other{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int i = 0; i < keys; ++i) {
        Charge cmd;
        cmd.request_id = "req-" + std::to_string(i);
        try {
          mink::CommandResult r = bus.Dispatch(mink::Context{}, cmd);
          if (r.IsSuccess() && r.aggregate_id == "payment-" + cmd.request_id) {
            ++ok;
          } else if (r.HasError(mink::errc::kCommandInProgress)) {
            ++in_progress;
          } else {
            std::cerr << "unexpected result: " << r.ErrorMessage() << "\n";
            ++other;
          }
        } catch (const std::exception& e) {
          std::cerr << "dispatch threw: " << e.what() << "\n";
          ++other;
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  store->Close();
  std::cout << "ok=" << ok << " in_progress=" << in_progress << " other=" << other << std::endl;
  return other == 0 ? 0 : 1;
}

int Crash(const std::string& url, const std::string& schema, const std::string& key) {
  auto store = std::make_shared<mink::postgres::IdempotencyStore>(
      mink::postgres::IdempotencyStoreOptions{.url = url, .schema = schema});
  mink::CommandBus bus;
  bus.Use(mink::IdempotencyMiddleware(mink::DefaultIdempotencyConfig(store)));
  bus.Register(mink::NewGenericHandler<Charge>([](const mink::Context&, const Charge&) {
    std::cout << "running" << std::endl;
    for (;;) pause();  // until SIGKILL
    return mink::NewSuccessResult("never", 1);
  }));
  Charge cmd;
  cmd.request_id = key;
  bus.Dispatch(mink::Context{}, cmd);
  return 2;  // not reached
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.size() == 5 && args[0] == "race") {
      return Race(args[1], args[2], std::stoi(args[3]), std::stoi(args[4]));
    }
    if (args.size() == 4 && args[0] == "crash") return Crash(args[1], args[2], args[3]);
  } catch (const std::exception& e) {
    std::cerr << "mink_idempotency_child: " << e.what() << "\n";
    return 3;
  }
  std::cerr << "usage: mink_idempotency_child race <url> <schema> <keys> <threads> | crash <url> "
               "<schema> <key>\n";
  return 64;
}

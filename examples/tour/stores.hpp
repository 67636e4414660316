// examples/tour/stores.hpp — where the tour keeps its state: everything in memory by default;
// given a PostgreSQL URL (and built with the PostgreSQL adapter), the event store, idempotency
// store, saga store and outbox all live in schema "mink_tour" of that database, recreated on
// each run so every run starts from nothing.
#pragma once

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include <mink/memory/adapter.hpp>
#include <mink/memory/idempotency_store.hpp>
#include <mink/memory/outbox_store.hpp>
#include <mink/memory/saga_store.hpp>
#include <mink/mink.hpp>
#ifdef MINK_EXAMPLE_WITH_POSTGRES
#include <pqxx/pqxx>

#include <mink/postgres/adapter.hpp>
#include <mink/postgres/conninfo.hpp>
#include <mink/postgres/idempotency_store.hpp>
#include <mink/postgres/outbox_store.hpp>
#include <mink/postgres/saga_store.hpp>
#endif

namespace tour {

struct Stores {
  std::shared_ptr<mink::EventStoreAdapter> events;
  std::shared_ptr<mink::IdempotencyStore> idempotency;
  std::shared_ptr<mink::SagaStore> sagas;
  std::shared_ptr<mink::OutboxStore> outbox;
  std::string where;  // for the narrative
};

inline Stores MakeStores(int argc, char** argv) {
#ifdef MINK_EXAMPLE_WITH_POSTGRES
  if (argc > 1) {
    const std::string url = argv[1];
    const std::string schema = "mink_tour";
    {
      pqxx::connection conn(mink::postgres::BuildConnInfo(url, std::chrono::seconds(5)));
      pqxx::nontransaction tx(conn);
      tx.exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    }
    const mink::Context ctx;
    auto events = std::make_shared<mink::postgres::Adapter>(
        mink::postgres::Options{.url = url, .schema = schema});
    events->Initialize(ctx);
    auto idempotency = std::make_shared<mink::postgres::IdempotencyStore>(
        mink::postgres::IdempotencyStoreOptions{.url = url, .schema = schema});
    idempotency->Initialize(ctx);
    auto sagas = std::make_shared<mink::postgres::SagaStore>(
        mink::postgres::SagaStoreOptions{.url = url, .schema = schema});
    sagas->Initialize(ctx);
    auto outbox = std::make_shared<mink::postgres::OutboxStore>(
        mink::postgres::OutboxStoreOptions{.url = url, .schema = schema});
    outbox->Initialize(ctx);
    return {events, idempotency, sagas, outbox, "PostgreSQL (schema " + schema + ")"};
  }
#else
  if (argc > 1) std::fprintf(stderr, "built without PostgreSQL support; using memory\n");
  (void)argv;
#endif
  return {std::make_shared<mink::memory::Adapter>(),
          std::make_shared<mink::memory::IdempotencyStore>(),
          std::make_shared<mink::memory::SagaStore>(),
          std::make_shared<mink::memory::OutboxStore>(), "memory"};
}

}  // namespace tour

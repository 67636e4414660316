// tests/outbox — a fresh PostgreSQL OutboxStore per call, on its own schema (dropped with it).
#pragma once

#include <memory>
#include <string>

#include "mink/postgres/outbox_store.hpp"
#include "postgres/pg_test_support.hpp"

namespace mink::testing {

inline std::shared_ptr<postgres::OutboxStore> MakePgOutboxStore(
    std::string schema = postgres::testing::UniqueSchema(), OutboxClock clock = {}) {
  auto* store = new postgres::OutboxStore(
      {.url = postgres::testing::DatabaseURL(), .schema = schema, .clock = std::move(clock)});
  std::shared_ptr<postgres::OutboxStore> owned(store, [schema](postgres::OutboxStore* s) {
    delete s;
    postgres::testing::AdminQuery("DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE");
  });
  owned->Initialize(Context{});
  return owned;
}

}  // namespace mink::testing

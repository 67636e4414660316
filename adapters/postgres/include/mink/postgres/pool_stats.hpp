// mink/postgres/pool_stats.hpp — counters of a store's connection pool (Adapter::PoolStats()).
//
// The pool itself is private to the adapter (docs/adapters/postgres.md, "Connection pool"):
// it hands out libpqxx connections, and keeping it private keeps libpqxx out of the public
// headers and leaves the pool free to change. Its counters are a plain value.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mink::postgres {

struct PoolStats {
  std::size_t open = 0;    // connections open or being opened
  std::size_t idle = 0;    // open and not leased
  uint64_t created = 0;    // connections opened since start
  uint64_t discarded = 0;  // connections closed because they broke or were retired
};

}  // namespace mink::postgres

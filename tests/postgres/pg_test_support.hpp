// Shared helpers of the PostgreSQL tests: the server URL, a fresh schema per adapter (dropped
// when the adapter is released), and an admin connection for fault injection.
//
// The test environment (installed by pg_test_support.cpp) checks the server once per process:
// no MINK_TEST_DATABASE_URL or an unreachable server FAILS every test when
// MINK_REQUIRE_POSTGRES=1 and skips them otherwise.
#pragma once

#include <exception>
#include <future>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "mink/postgres/adapter.hpp"

namespace mink::postgres::testing {

// The server URL (empty when unset).
std::string DatabaseURL();

// The command that restarts the test server (MINK_TEST_PG_RESTART; scripts/test.sh sets it),
// or "" when it is unset — then also a test failure when MINK_REQUIRE_POSTGRES=1, so the
// restart tests never skip in CI. Callers skip on "".
std::string RestartCommand();

// A schema name unique to this process and call ("t_<pid>_<n>_<random>").
std::string UniqueSchema();

// A new, initialized adapter on a fresh schema; the schema is dropped when the last reference
// goes away. `options.url` and `options.schema` are filled in when empty.
std::shared_ptr<Adapter> MakeAdapter(Options options = {});

// Runs `sql` on a fresh connection outside any adapter and returns the first column of every
// row as text ("" for NULL).
std::vector<std::string> AdminQuery(const std::string& sql);

// Terminates every backend whose application_name is `application_name`; returns how many.
int TerminateBackends(const std::string& application_name);

// Runs an AppendWithHook of one event whose transaction stays open (position allocated, not
// committed) until Finish(); the hook then returns, or throws when `fail` is true.
struct HeldAppend {
  std::latch staged{1};
  std::promise<void> release;
  uint64_t position = 0;
  std::thread thread;
  std::exception_ptr error;

  void Start(Adapter& adapter, std::string stream, bool fail);
  void Finish();
};

}  // namespace mink::postgres::testing

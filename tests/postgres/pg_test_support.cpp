#include "postgres/pg_test_support.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <random>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "mink/postgres/identifier.hpp"

namespace mink::postgres::testing {
namespace {

bool Required() {
  const char* v = std::getenv("MINK_REQUIRE_POSTGRES");
  return v != nullptr && std::string(v) == "1";
}

class PostgresEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    const std::string url = DatabaseURL();
    std::string problem;
    if (url.empty()) {
      problem = "MINK_TEST_DATABASE_URL is not set";
    } else {
      try {
        pqxx::connection probe(BuildConnInfo(url, std::chrono::seconds(3)));
      } catch (const std::exception& e) {
        problem =
            "cannot reach the test server at MINK_TEST_DATABASE_URL: " + std::string(e.what());
      }
    }
    if (problem.empty()) return;
    if (Required()) {
      FAIL() << problem << " (MINK_REQUIRE_POSTGRES=1: PostgreSQL tests must not skip)";
    }
    GTEST_SKIP() << problem << "; set it (see scripts/pg-up.sh) to run the PostgreSQL tests";
  }
};

[[maybe_unused]] ::testing::Environment* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new PostgresEnvironment);

}  // namespace

std::string DatabaseURL() {
  const char* v = std::getenv("MINK_TEST_DATABASE_URL");
  return v == nullptr ? std::string() : std::string(v);
}

std::string RestartCommand() {
  const char* restart = std::getenv("MINK_TEST_PG_RESTART");
  if (restart != nullptr && *restart != '\0') return restart;
  const char* required = std::getenv("MINK_REQUIRE_POSTGRES");
  if (required != nullptr && std::string(required) == "1") {
    ADD_FAILURE() << "MINK_TEST_PG_RESTART is not set (scripts/test.sh sets it)";
  }
  return {};
}

std::string UniqueSchema() {
  static std::atomic<int> counter{0};
  thread_local std::mt19937 rng{std::random_device{}()};
  return "t_" + std::to_string(::getpid()) + "_" + std::to_string(++counter) + "_" +
         std::to_string(rng() % 1000000);
}

std::shared_ptr<Adapter> MakeAdapter(Options options) {
  if (options.url.empty()) options.url = DatabaseURL();
  if (options.schema.empty() || options.schema == "mink") options.schema = UniqueSchema();
  const std::string schema = options.schema;
  auto* raw = new Adapter(std::move(options));
  std::shared_ptr<Adapter> adapter(raw, [schema](Adapter* a) {
    delete a;
    try {
      AdminQuery("DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE");
    } catch (const std::exception&) {
      // Best effort: a dead server leaves the schema behind, which harms nobody.
    }
  });
  adapter->Initialize(Context{});
  return adapter;
}

std::vector<std::string> AdminQuery(const std::string& sql) {
  pqxx::connection conn(BuildConnInfo(DatabaseURL(), std::chrono::seconds(5), "mink-test-admin"));
  pqxx::nontransaction n(conn);
  std::vector<std::string> out;
  for (const auto& row : n.exec(sql)) out.push_back(row[0].is_null() ? "" : row[0].c_str());
  return out;
}

int TerminateBackends(const std::string& application_name) {
  pqxx::connection conn(BuildConnInfo(DatabaseURL(), std::chrono::seconds(5), "mink-test-admin"));
  pqxx::nontransaction n(conn);
  auto r = n.exec(
      "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
      "WHERE application_name = " +
      QuoteLiteral(application_name) + " AND pid <> pg_backend_pid()");
  return r[0][0].as<int>();
}

void HeldAppend::Start(Adapter& adapter, std::string stream, bool fail) {
  thread = std::thread([this, &adapter, stream, fail, wait = release.get_future().share()] {
    try {
      adapter.AppendWithHook(Context{}, stream, {EventRecord{"Tested", R"({"n":1})", {}}}, NoStream,
                             [&](mink::Transaction&, const std::vector<StoredEvent>& stored) {
                               position = stored.front().global_position;
                               staged.count_down();
                               wait.wait();
                               if (fail) throw std::runtime_error("rolled back on purpose");
                             });
    } catch (...) {
      error = std::current_exception();
      staged.count_down();
    }
  });
  staged.wait();
}

void HeldAppend::Finish() {
  release.set_value();
  thread.join();
}

}  // namespace mink::postgres::testing

// Issue 9 (items 4, 7, 8 and the PostgreSQL parts of 10): secrets and event data never reach an
// error message, the Context bounds statements and the pool, a lost reply to an append is an
// unknown outcome, a unique violation reports the real version, and the LISTEN thread's Stop
// interrupts a connect in progress.
//
// A statement is made to block inside the server by holding the stream's append lock
// (append_events' pg_advisory_xact_lock) in a transaction of the test's own; the test waits for
// the append's backend to show up waiting on it in pg_stat_activity (polled with a deadline).
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "mink/error.hpp"
#include "mink/es/errors.hpp"
#include "mink/postgres/adapter.hpp"
#include "mink/postgres/conninfo.hpp"
#include "mink/postgres/idempotency_store.hpp"
#include "mink/postgres/identifier.hpp"
#include "mink/postgres/transaction.hpp"
#include "postgres/pg_test_support.hpp"
#include "src/connection_pool.hpp"
#include "src/listener.hpp"

namespace mink::postgres {
namespace {

using namespace std::chrono_literals;
using testing::AdminQuery;
using testing::DatabaseURL;
using testing::MakeAdapter;
using testing::UniqueSchema;
using Clock = std::chrono::steady_clock;

const Context kCtx;
constexpr const char* kSecret = "PLANTED-s3cret";
constexpr const char* kPayload = "PAYLOAD-MARKER";

// Every message of `error`, its mink causes and the final foreign cause (and its query text).
std::string AllText(const std::exception_ptr& error) {
  std::string text;
  std::exception_ptr next = error;
  while (next) {
    try {
      std::rethrow_exception(next);
    } catch (const Error& e) {
      text += std::string(e.what()) + "\n";
      next = e.Cause();
    } catch (const pqxx::sql_error& e) {
      text += std::string(e.what()) + "\n" + e.query() + "\n";
      next = nullptr;
    } catch (const std::exception& e) {
      text += std::string(e.what()) + "\n";
      next = nullptr;
    }
  }
  return text;
}

template <class F>
std::exception_ptr Capture(F&& f) {
  try {
    f();
  } catch (...) {
    return std::current_exception();
  }
  ADD_FAILURE() << "expected an exception";
  return nullptr;
}

void ExpectNoLeak(const std::exception_ptr& error) {
  ASSERT_TRUE(error);
  const std::string text = AllText(error);
  EXPECT_EQ(text.find(kSecret), std::string::npos) << text;
  EXPECT_EQ(text.find(kPayload), std::string::npos) << text;
}

std::vector<EventRecord> OneEvent(std::string data = R"({"n":1})") {
  return {EventRecord{"Tested", std::move(data), {}}};
}

// ---- item 4: secrets and payloads ----

TEST(PostgresSecretsTest, AMalformedUrlsPasswordIsNotInTheError) {
  const std::string s = kSecret;
  for (const std::string& url :
       {"postgresql://app:" + s + "@[::1/db", "host=h password='" + s + " dbname=d"}) {
    auto error = Capture([&] { Adapter adapter(Options{.url = url}); });
    EXPECT_TRUE(ErrorIs(error, errc::kInvalidArgument)) << AllText(error);
    ExpectNoLeak(error);
    error = Capture([&] { IdempotencyStore store(IdempotencyStoreOptions{.url = url}); });
    ExpectNoLeak(error);
  }
}

TEST(PostgresSecretsTest, AnUnreachableServersErrorCarriesNoPassword) {
  Adapter adapter(Options{.url = "postgresql://app:" + std::string(kSecret) + "@127.0.0.1:1/db",
                          .connect_timeout = 2s});
  auto error = Capture([&] { adapter.Append(kCtx, "Order-1", OneEvent(), NoStream); });
  EXPECT_TRUE(ErrorIs(error, errc::kConnectionFailed)) << AllText(error);
  ExpectNoLeak(error);
}

TEST(PostgresSecretsTest, DataTheServerRejectsIsNotQuotedInTheError) {
  auto adapter = MakeAdapter();
  // Valid JSON the jsonb input refuses (\u0000): the server quotes it in DETAIL and CONTEXT.
  const std::string data = R"({"m":")" + std::string(kPayload) + R"(\u0000"})";
  auto error = Capture([&] { adapter->Append(kCtx, "Order-1", OneEvent(data), NoStream); });
  EXPECT_TRUE(ErrorIs(error, errc::kSerializationFailed)) << AllText(error);
  ExpectNoLeak(error);
  EXPECT_TRUE(adapter->Load(kCtx, "Order-1", 0).empty());
}

TEST(PostgresSecretsTest, AHooksConstraintViolationDoesNotQuoteTheRow) {
  Options options;
  options.schema = UniqueSchema();
  auto adapter = MakeAdapter(options);
  const std::string table = QuoteIdentifier(options.schema) + ".outbox";
  AdminQuery("CREATE TABLE " + table + " (v TEXT PRIMARY KEY, n INT)");
  AdminQuery("INSERT INTO " + table + " VALUES ('" + kPayload + "', 1)");
  for (const std::string& sql :
       {"INSERT INTO " + table + " VALUES ('" + kPayload + "', 2)",
        "INSERT INTO " + table + " VALUES ('x', '" + kPayload + "'::int)"}) {
    auto error = Capture([&] {
      adapter->AppendWithHook(kCtx, "Order-2", OneEvent(), NoStream,
                              [&](mink::Transaction& tx, const std::vector<StoredEvent>&) {
                                dynamic_cast<Transaction&>(tx).Work().exec(sql);
                              });
    });
    EXPECT_TRUE(ErrorIs(error, errc::kStorageFailed)) << AllText(error);
    ExpectNoLeak(error);
  }
  EXPECT_TRUE(adapter->Load(kCtx, "Order-2", 0).empty());
}

// ---- helpers for statements blocked inside the server ----

// Holds append_events' per-stream lock of `stream` in `schema` until destroyed.
struct StreamLock {
  StreamLock(const std::string& schema, const std::string& stream)
      : conn(BuildConnInfo(DatabaseURL(), 5s, "mink-test-admin")), tx(conn) {
    tx.exec("SELECT pg_advisory_xact_lock(hashtextextended(" + QuoteLiteral(schema) +
            " || '.' || " + QuoteLiteral(stream) + ", 0))");
  }
  pqxx::connection conn;
  pqxx::work tx;
};

// The pid of a backend of `application_name` waiting on an advisory lock; 0 after 10 s.
int WaitForBlockedBackend(const std::string& application_name) {
  const auto until = Clock::now() + 10s;
  while (Clock::now() < until) {
    auto rows = AdminQuery("SELECT pid FROM pg_stat_activity WHERE application_name = " +
                           QuoteLiteral(application_name) +
                           " AND wait_event_type = 'Lock' AND wait_event = 'advisory'");
    if (!rows.empty()) return std::stoi(rows.front());
    std::this_thread::yield();
  }
  return 0;
}

struct Blocked {
  std::shared_ptr<Adapter> adapter;
  std::string schema, app;
};

Blocked BlockedAdapter(Options options = {}) {
  options.schema = UniqueSchema();
  options.application_name = "mink-test-" + options.schema;
  auto adapter = MakeAdapter(options);
  return {adapter, options.schema, options.application_name};
}

// ---- item 7: the Context reaches PostgreSQL ----

TEST(PostgresContextTest, AnAppendBlockedOnTheStreamLockEndsAtTheDeadline) {
  auto b = BlockedAdapter();
  auto lock = std::make_unique<StreamLock>(b.schema, "Locked-1");
  const auto start = Clock::now();
  auto append = std::async(std::launch::async, [&] {
    return Capture(
        [&] { b.adapter->Append(Context{}.WithTimeout(200ms), "Locked-1", OneEvent(), NoStream); });
  });
  const bool ended = append.wait_for(5s) == std::future_status::ready;
  const auto elapsed = Clock::now() - start;
  if (!ended) lock.reset();  // lets the append finish, so the test fails instead of hanging
  ASSERT_TRUE(ended) << "the deadline did not end the append";
  auto error = append.get();
  EXPECT_TRUE(ErrorIs(error, errc::kDeadlineExceeded)) << AllText(error);
  EXPECT_LT(elapsed, 1500ms);
  lock.reset();
  EXPECT_TRUE(b.adapter->Load(kCtx, "Locked-1", 0).empty());
  b.adapter->Append(kCtx, "Locked-1", OneEvent(), NoStream);  // the pool recovered
}

TEST(PostgresContextTest, CancellingTheContextCancelsABlockedAppend) {
  auto b = BlockedAdapter();
  auto lock = std::make_unique<StreamLock>(b.schema, "Locked-2");
  auto [ctx, cancel] = Context{}.WithCancel();
  auto append = std::async(std::launch::async, [&, c = ctx] {
    return Capture([&] { b.adapter->Append(c, "Locked-2", OneEvent(), NoStream); });
  });
  ASSERT_NE(WaitForBlockedBackend(b.app), 0);
  const auto start = Clock::now();
  cancel();
  if (append.wait_for(5s) != std::future_status::ready) {
    lock.reset();
    FAIL() << "cancelling the context did not end the append";
  }
  EXPECT_LT(Clock::now() - start, 1s);
  auto error = append.get();
  EXPECT_TRUE(ErrorIs(error, errc::kCancelled)) << AllText(error);
  lock.reset();
  EXPECT_TRUE(b.adapter->Load(kCtx, "Locked-2", 0).empty());
}

TEST(PostgresContextTest, CancellingTheContextEndsAWaitForAPooledConnection) {
  auto b = BlockedAdapter(Options{.max_connections = 1, .acquire_timeout = 30s});
  auto lock = std::make_unique<StreamLock>(b.schema, "Locked-3");
  // The only connection is busy in an append waiting on the lock.
  auto holder = std::async(std::launch::async, [&] {
    b.adapter->Append(Context{}.WithTimeout(20s), "Locked-3", OneEvent(), NoStream);
  });
  ASSERT_NE(WaitForBlockedBackend(b.app), 0);
  auto [ctx, cancel] = Context{}.WithCancel();
  auto waiter = std::async(std::launch::async, [&, c = ctx] {
    return Capture([&] { b.adapter->Append(c, "Other-3", OneEvent(), NoStream); });
  });
  ASSERT_EQ(waiter.wait_for(100ms), std::future_status::timeout);  // waiting in Acquire
  cancel();
  const bool ended = waiter.wait_for(5s) == std::future_status::ready;
  lock.reset();
  ASSERT_TRUE(ended) << "cancelling the context did not end Acquire's wait";
  EXPECT_TRUE(ErrorIs(waiter.get(), errc::kCancelled));
  holder.get();
}

// ---- item 8: a lost reply is an unknown outcome ----

TEST(PostgresOutcomeTest, AnAppendWhoseConnectionDiesAfterItWasSentIsOutcomeUnknown) {
  auto b = BlockedAdapter();
  b.adapter->Append(kCtx, "Lost-1", OneEvent(), NoStream);
  auto lock = std::make_unique<StreamLock>(b.schema, "Lost-1");
  auto append = std::async(std::launch::async, [&] {
    return Capture([&] { b.adapter->Append(kCtx, "Lost-1", OneEvent(), 1); });
  });
  const int pid = WaitForBlockedBackend(b.app);
  ASSERT_NE(pid, 0);
  AdminQuery("SELECT pg_terminate_backend(" + std::to_string(pid) + ")");
  const bool ended = append.wait_for(10s) == std::future_status::ready;
  lock.reset();
  ASSERT_TRUE(ended);
  auto error = append.get();
  EXPECT_TRUE(ErrorIs(error, errc::kOutcomeUnknown)) << AllText(error);
  EXPECT_FALSE(ErrorIs(error, errc::kConnectionFailed)) << AllText(error);
  try {
    std::rethrow_exception(error);
  } catch (const OutcomeUnknownError& e) {
    EXPECT_EQ(e.StreamID(), "Lost-1");
    EXPECT_EQ(e.ExpectedVersion(), 1);
  } catch (...) {
    ADD_FAILURE() << "not an OutcomeUnknownError: " << AllText(error);
  }
  // The documented resolution: retry with the same expected version.
  EXPECT_EQ(b.adapter->Append(kCtx, "Lost-1", OneEvent(), 1).version, 2);
}

TEST(PostgresOutcomeTest, AnAppendThatNeverReachedTheServerStaysConnectionFailed) {
  Adapter adapter(Options{.url = "postgresql://mink@127.0.0.1:1/db", .connect_timeout = 2s});
  auto error = Capture([&] { adapter.Append(kCtx, "Order-1", OneEvent(), NoStream); });
  EXPECT_TRUE(ErrorIs(error, errc::kConnectionFailed)) << AllText(error);
  EXPECT_FALSE(ErrorIs(error, errc::kOutcomeUnknown));
}

// ---- item 10 ----

TEST(PostgresConcurrencyErrorTest, AUniqueViolationReportsTheStoredVersion) {
  Options options;
  options.schema = UniqueSchema();
  auto adapter = MakeAdapter(options);
  adapter->Append(kCtx, "Dup-1", OneEvent(), NoStream);
  // A row version 2 written behind the adapter's back (the streams row still says 1).
  AdminQuery("INSERT INTO " + QuoteIdentifier(options.schema) +
             ".events (stream_id, version, event_type, data) VALUES ('Dup-1', 2, 'X', '{}') "
             "RETURNING 1");
  try {
    adapter->Append(kCtx, "Dup-1", OneEvent(), 1);
    FAIL() << "expected a ConcurrencyError";
  } catch (const ConcurrencyError& e) {
    EXPECT_EQ(e.ExpectedVersion(), 1);
    EXPECT_EQ(e.ActualVersion(), 2);
  }
}

// A TCP port that accepts connections (the kernel's backlog) and never answers: a connect to
// it hangs until connect_timeout.
struct SilentServer {
  SilentServer() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), len), 0);
    EXPECT_EQ(::listen(fd, 8), 0);
    EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    port = ntohs(addr.sin_port);
  }
  ~SilentServer() { ::close(fd); }
  // True once a client's connection is waiting in the backlog.
  bool WaitForClient() const {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 10000) == 1;
  }
  int fd = -1;
  int port = 0;
};

TEST(PostgresListenerTest, StopInterruptsAConnectInProgress) {
  SilentServer server;
  internal::ConnectionPool pool(internal::ConnectionPool::Options{
      "host=127.0.0.1 port=" + std::to_string(server.port) + " connect_timeout=20", 1, 1s, {}});
  auto notifier = std::make_shared<detail::ChangeNotifier>();
  internal::Listener listener(pool, "s", notifier, 50ms);
  ASSERT_TRUE(server.WaitForClient());
  const auto start = Clock::now();
  listener.Stop();
  EXPECT_LT(Clock::now() - start, 1s);
}

TEST(PostgresPoolTest, AnAsynchronousMessageOnAnIdleConnectionIsNotADeadConnection) {
  pqxx::connection conn(BuildConnInfo(DatabaseURL(), 5s, "mink-test-async"));
  pqxx::nontransaction(conn).exec("LISTEN mink_test_async");
  AdminQuery("SELECT pg_notify('mink_test_async', 'x')::text");
  pollfd p{conn.sock(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 10000), 1);  // the NotificationResponse is waiting on the socket
  EXPECT_FALSE(internal::ConnectionLooksDead(conn));
  EXPECT_EQ(pqxx::nontransaction(conn).exec("SELECT 1")[0][0].as<int>(), 1);

  const int pid = conn.backendpid();
  AdminQuery("SELECT pg_terminate_backend(" + std::to_string(pid) + ")::text");
  ASSERT_EQ(::poll(&p, 1, 10000), 1);
  EXPECT_TRUE(internal::ConnectionLooksDead(conn));
}

}  // namespace
}  // namespace mink::postgres

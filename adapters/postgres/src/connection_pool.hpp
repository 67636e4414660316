// Private: a bounded, thread-safe pool of libpqxx connections, one per store (the event
// adapter's and the idempotency store's). Not public API (docs/adapters/postgres.md,
// "Connection pool"): its leases are libpqxx connections, and users size it through the
// stores' options and observe it through PoolStats.
//
// Guarantees:
//   * At most max_size connections are open at once; Acquire blocks (up to acquire_timeout or
//     the caller's Context deadline/cancellation) while all are leased.
//   * A Lease is RAII: it returns its connection when destroyed. A lease marked Discard() — or
//     whose connection is no longer open — closes the connection instead, and a fresh one is
//     created on demand. MarkBroken() additionally retires every idle connection opened before
//     it (a lost connection usually means the server restarted, so its siblings are dead too).
//     An idle connection whose socket turned readable (the server closed it) is discarded at
//     Acquire instead of being handed out.
//   * Connections are opened outside the pool's lock; on_connect runs on each new connection
//     (the adapter prepares its statements there).
// Errors: failing to connect throws mink::Error(kConnectionFailed) (translated by
// MapFailure, the libpqxx exception as its cause); an exhausted pool throws
// mink::Error(kConnectionFailed) after acquire_timeout; a cancelled context kCancelled /
// kDeadlineExceeded; a closed pool kAdapterClosed. All members are safe to call concurrently.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <pqxx/connection>

#include "mink/context.hpp"
#include "mink/postgres/pool_stats.hpp"

namespace mink::postgres::internal {

// True when a connection that is not running a query is closed: the server sent a FATAL message
// and hung up (terminated backend, restarted server). One poll(2) when nothing is pending; else
// the pending bytes are peeked, since an asynchronous message (ParameterStatus, a notification)
// of a live session also makes the socket readable.
bool ConnectionLooksDead(pqxx::connection& conn);

class ConnectionPool {
 public:
  struct Options {
    std::string conninfo;  // libpq keyword/value string or URI
    std::size_t max_size = 10;
    std::chrono::milliseconds acquire_timeout{10000};
    std::function<void(pqxx::connection&)> on_connect;
  };

  class Lease {
   public:
    Lease() = default;
    Lease(Lease&& other) noexcept { *this = std::move(other); }
    Lease& operator=(Lease&& other) noexcept;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { Release(); }

    pqxx::connection& operator*() const { return *conn_; }
    pqxx::connection* operator->() const { return conn_.get(); }
    pqxx::connection& Get() const { return *conn_; }

    // Close this connection instead of returning it.
    void Discard() noexcept { discard_ = true; }
    // Discard, and retire every idle connection opened before now.
    void MarkBroken() noexcept { discard_ = broken_ = true; }
    // Returns the connection to the pool now (idempotent).
    void Release() noexcept;

   private:
    friend class ConnectionPool;
    Lease(ConnectionPool* pool, std::unique_ptr<pqxx::connection> conn, uint64_t epoch)
        : pool_(pool), conn_(std::move(conn)), epoch_(epoch) {}
    ConnectionPool* pool_ = nullptr;
    std::unique_ptr<pqxx::connection> conn_;
    uint64_t epoch_ = 0;
    bool discard_ = false;
    bool broken_ = false;
  };

  explicit ConnectionPool(Options options);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  Lease Acquire(const Context& ctx);
  // Closes idle connections and refuses new leases; leased connections close when returned.
  void Close();
  PoolStats GetStats();

  // Opens one connection outside the pool. Throws kConnectionFailed.
  std::unique_ptr<pqxx::connection> Connect() const;
  const std::string& ConnInfo() const noexcept { return options_.conninfo; }

 private:
  struct Idle {
    std::unique_ptr<pqxx::connection> conn;
    uint64_t epoch;
  };
  void Return(std::unique_ptr<pqxx::connection> conn, uint64_t epoch, bool discard, bool broken);

  Options options_;
  std::mutex mutex_;
  std::condition_variable_any cv_;  // waits on the caller's stop token too
  std::vector<Idle> idle_;
  std::size_t open_ = 0;
  uint64_t epoch_ = 0;
  uint64_t created_ = 0;
  uint64_t discarded_ = 0;
  bool closed_ = false;
};

}  // namespace mink::postgres::internal

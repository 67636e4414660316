// Private: the coalescing NOTIFY sender of NotifyMode::kAfterCommit (the default).
//
// An append that committed calls Poke(), which only sets a flag and signals a condition
// variable — no SQL on the append's connection, no lock held through its commit. One thread
// per adapter, on its own connection (never a pool lease), sends
//   SELECT pg_notify(kNotifyChannel, schema)
// whenever the flag is set, clearing it first: pokes arriving while a NOTIFY is in flight
// coalesce into the next one, so 8 writers committing concurrently cost about one NOTIFY per
// round trip of this thread instead of one database-wide NOTIFY lock per commit.
//
// No lost wake-up: a poke that lands after the flag was cleared sets it again, so every commit
// is followed by a NOTIFY sent after it returned. If the connection fails the flag stays set
// and the thread reconnects every `retry` interval; meanwhile (and if the process dies between
// a commit and its NOTIFY) subscribers wake on their poll interval. docs/adapters/postgres.md,
// "Wake-ups", has the measurements that chose this.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "connection_pool.hpp"

namespace mink::postgres::internal {

class WakeSender {
 public:
  WakeSender(const ConnectionPool& pool, std::string schema, std::chrono::milliseconds retry);
  ~WakeSender();
  WakeSender(const WakeSender&) = delete;
  WakeSender& operator=(const WakeSender&) = delete;

  // Requests a NOTIFY after this call. Never blocks on the database.
  void Poke();
  // Stops the thread (a pending NOTIFY may be dropped: subscribers poll). Idempotent.
  void Stop();
  // NOTIFYs sent so far (tests: pokes coalesce).
  uint64_t Sent() const;

 private:
  void Run(const std::stop_token& stop);

  const ConnectionPool& pool_;
  const std::string sql_;
  const std::chrono::milliseconds retry_;
  mutable std::mutex mutex_;
  std::condition_variable_any cv_;
  bool pending_ = false;
  uint64_t sent_ = 0;
  std::jthread thread_;
};

}  // namespace mink::postgres::internal

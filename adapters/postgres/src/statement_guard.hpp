// Private: makes a Context's deadline and cancellation reach the statement running on a leased
// connection, without a round trip of its own.
//
//   ConnectionPool::Lease lease = pool.Acquire(ctx);
//   StatementGuard guard(lease, ctx);   // armed only when ctx has a deadline or can be cancelled
//   body(lease);                        // a statement still running at the deadline, or when
//                                       // ctx is cancelled, gets a PostgreSQL cancel request
//   if (guard.Fired()) ...              // the statement failed with SQLSTATE 57014 (or finished)
//
// The cancel request (libpq PQcancel, through pqxx::connection_base::cancel_query) is sent
// from the thread that cancels the Context (a std::stop_callback) or, for a deadline, from one
// process-wide timer thread started on first use. The server aborts the statement, so an
// autocommit append or an open transaction writes nothing. A connection that a request was
// sent to is discarded when the guard goes away (a late request must not hit the next
// statement on it). Costs nothing for a Context without deadline or cancellation; otherwise a
// timer-queue insert/erase (mutex + map) and a stop_callback registration per call.
#pragma once

#include <memory>
#include <optional>
#include <stop_token>

#include "connection_pool.hpp"
#include "mink/context.hpp"

namespace mink::postgres::internal {

class StatementGuard {
 public:
  StatementGuard(ConnectionPool::Lease& lease, const Context& ctx);
  // Disarms (waiting for a cancel request being sent); discards the lease if one was.
  ~StatementGuard();
  StatementGuard(const StatementGuard&) = delete;
  StatementGuard& operator=(const StatementGuard&) = delete;

  // A cancel request was sent for this call.
  bool Fired() const noexcept;

  struct Target;

 private:
  struct OnStop {
    Target* target;
    void operator()() const noexcept;
  };
  ConnectionPool::Lease& lease_;
  std::shared_ptr<Target> target_;
  std::optional<std::stop_callback<OnStop>> on_stop_;
  std::optional<Context::Clock::time_point> deadline_;
};

}  // namespace mink::postgres::internal

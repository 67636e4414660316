// Private: runs one operation of a store on a pooled connection, translating libpqxx failures
// with MapFailure and acting on what they say about the connection.
//
//   auto events = CallPooled(pool, ctx, "load \"Order-1\"", Retry::kOnce,
//                            [&](ConnectionPool::Lease& lease) { ... return rows; });
//
// Retry::kOnce is for reads: when the connection turns out to be lost (a server restart
// killed the pooled connections), the call runs once more on a fresh one. Writes pass
// Retry::kNever: the outcome of a statement sent on a dead connection is unknown to the client.
// A mink::Error thrown by `body` (ConcurrencyError, SerializationError, ...) and any exception
// that is not libpqxx's propagate unchanged.
//
// The Context bounds the call: Acquire waits at most until its deadline or cancellation, and a
// StatementGuard sends a cancel request to a statement still running then. A statement the
// server cancelled that way throws Error(kDeadlineExceeded / kCancelled) — never retried, and
// nothing of it was written (an autocommit statement or open transaction is rolled back).
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "connection_pool.hpp"
#include "error_mapping.hpp"
#include "statement_guard.hpp"

namespace mink::postgres::internal {

enum class Retry { kNever, kOnce };

template <class F>
auto CallPooled(ConnectionPool& pool, const Context& ctx, std::string_view operation, Retry retry,
                F&& body) {
  for (int attempt = 0;; ++attempt) {
    ctx.ThrowIfDone();
    ConnectionPool::Lease lease = pool.Acquire(ctx);
    StatementGuard guard(lease, ctx);
    try {
      if (guard.Fired()) ctx.ThrowIfDone();  // cancelled between Acquire and here
      return body(lease);
    } catch (const Error&) {
      throw;
    } catch (...) {
      auto failure = MapFailure(std::current_exception(), operation, lease->is_open());
      if (!failure) throw;
      if (guard.Fired() && failure->connection != ConnectionFate::kLost) {
        const ErrorCode code = ctx.Cancelled() ? errc::kCancelled : errc::kDeadlineExceeded;
        throw Error(code,
                    std::string(operation) + ": statement cancelled, context " +
                        (code == errc::kCancelled ? "cancelled" : "deadline exceeded"),
                    failure->error.Cause());
      }
      switch (failure->connection) {
        case ConnectionFate::kReuse:
          break;
        case ConnectionFate::kDiscard:
          lease.Discard();
          break;
        case ConnectionFate::kLost:
          lease.MarkBroken();
          break;
      }
      if (failure->retryable && retry == Retry::kOnce && attempt == 0) continue;
      throw std::move(failure->error);
    }
  }
}

}  // namespace mink::postgres::internal

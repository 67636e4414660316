// RetryMiddleware: attempts, predicate, error results, delays, cancellation — in both pipeline
// forms (support/both_forms.hpp).
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <stdexcept>
#include <thread>

#include "bus/test_commands.hpp"
#include "support/both_forms.hpp"

namespace mink::testing {
namespace {

using std::chrono::milliseconds;
using Duration = RetryConfig::Duration;

// Fails (throws a ConcurrencyError, a transient failure) until the `succeed_on`-th call.
auto FailUntil(std::atomic<int>& calls, int succeed_on) {
  return [&calls, succeed_on](const Context&, const Ping&) -> CommandResult {
    if (++calls < succeed_on) throw ConcurrencyError("S", 0, 1);
    return NewSuccessResult("done", calls.load());
  };
}

class RetryMiddlewareTest : public BothFormsTest {};
INSTANTIATE_BOTH_FORMS(RetryMiddlewareTest);

TEST_P(RetryMiddlewareTest, RetriesUntilSuccess) {
  std::atomic<int> calls = 0;
  auto f = Make(RetryMiddleware({.max_attempts = 3, .initial_delay = milliseconds(1)}));
  f->Handle<Ping>(FailUntil(calls, 3));
  CommandResult r = f->bus.Dispatch(Context{}, Ping{});
  EXPECT_TRUE(r.IsSuccess());
  EXPECT_EQ(calls, 3);
}

TEST_P(RetryMiddlewareTest, GivesUpAfterMaxAttemptsWithTheLastException) {
  std::atomic<int> calls = 0;
  auto f = Make(RetryMiddleware({.max_attempts = 2, .initial_delay = milliseconds(1)}));
  f->Handle<Ping>(FailUntil(calls, 100));
  EXPECT_THROW(f->bus.Dispatch(Context{}, Ping{}), ConcurrencyError);
  EXPECT_EQ(calls, 2);
}

TEST_P(RetryMiddlewareTest, RetriesErrorResultsAndReturnsTheLastOne) {
  std::atomic<int> calls = 0;
  auto f = Make(RetryMiddleware({.max_attempts = 3, .initial_delay = milliseconds(1)}));
  f->Handle<Ping>([&](const Context&, const Ping&) {
    ++calls;
    return NewErrorResult(ConcurrencyError("S", calls, calls + 1));
  });
  CommandResult r = f->bus.Dispatch(Context{}, Ping{});
  EXPECT_EQ(calls, 3);
  EXPECT_TRUE(r.HasError(errc::kConcurrencyConflict));
}

TEST_P(RetryMiddlewareTest, ShouldRetryFalseStopsAtTheFirstFailure) {
  std::atomic<int> calls = 0;
  auto f = Make(RetryMiddleware({.max_attempts = 5,
                                 .initial_delay = milliseconds(1),
                                 .should_retry = [](const std::exception_ptr& e) {
                                   return ErrorIs(e, errc::kConnectionFailed);
                                 }}));
  f->Handle<Ping>(FailUntil(calls, 100));  // a conflict: not retryable by this predicate
  EXPECT_THROW(f->bus.Dispatch(Context{}, Ping{}), ConcurrencyError);
  EXPECT_EQ(calls, 1);
}

TEST_P(RetryMiddlewareTest, DelaysGrowByTheMultiplierUpToTheCap) {
  std::atomic<int> calls = 0;
  std::vector<Duration> waits;
  auto f = Make(RetryMiddleware(
      {.max_attempts = 5,
       .initial_delay = milliseconds(1),
       .max_delay = milliseconds(5),
       .multiplier = 3.0,
       .on_retry = [&](int, Duration d, const std::exception_ptr&) { waits.push_back(d); }}));
  f->Handle<Ping>(FailUntil(calls, 100));
  EXPECT_THROW(f->bus.Dispatch(Context{}, Ping{}), ConcurrencyError);
  EXPECT_EQ(waits, (std::vector<Duration>{milliseconds(1), milliseconds(3), milliseconds(5),
                                          milliseconds(5)}));
}

TEST_P(RetryMiddlewareTest, WaitsAtLeastTheConfiguredDelays) {
  std::atomic<int> calls = 0;
  auto f = Make(
      RetryMiddleware({.max_attempts = 3, .initial_delay = milliseconds(20), .multiplier = 2}));
  f->Handle<Ping>(FailUntil(calls, 3));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(f->bus.Dispatch(Context{}, Ping{}).IsSuccess());
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(20 + 40));
}

TEST_P(RetryMiddlewareTest, ZeroConfigMeansOneAttempt) {
  std::atomic<int> calls = 0;
  auto f = Make(
      RetryMiddleware({.max_attempts = 0, .initial_delay = Duration::zero(), .multiplier = 0}));
  f->Handle<Ping>(FailUntil(calls, 100));
  EXPECT_THROW(f->bus.Dispatch(Context{}, Ping{}), ConcurrencyError);
  EXPECT_EQ(calls, 1);
  RetryConfig defaults = DefaultRetryConfig();
  EXPECT_EQ(defaults.max_attempts, 3);
  EXPECT_EQ(defaults.initial_delay, milliseconds(100));
  EXPECT_EQ(defaults.max_delay, std::chrono::seconds(5));
  EXPECT_EQ(defaults.multiplier, 2.0);
}

TEST_P(RetryMiddlewareTest, CancellationDuringTheWaitEndsTheDispatch) {
  std::atomic<int> calls = 0;
  std::promise<void> first_failure;
  auto f = Make(RetryMiddleware(
      {.max_attempts = 3,
       .initial_delay = std::chrono::minutes(10),
       .on_retry = [&](int, Duration, const std::exception_ptr&) { first_failure.set_value(); }}));
  f->Handle<Ping>(FailUntil(calls, 100));
  auto [ctx, cancel] = Context{}.WithCancel();
  std::future<CommandResult> result = f->bus.DispatchAsync(ctx, Ping{});
  first_failure.get_future().wait();
  cancel();
  try {
    result.get();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), errc::kCancelled);
  }
  EXPECT_EQ(calls, 1);
}

TEST_P(RetryMiddlewareTest, DeadlineDuringTheWaitEndsTheDispatch) {
  std::atomic<int> calls = 0;
  auto f = Make(RetryMiddleware({.max_attempts = 3, .initial_delay = std::chrono::minutes(10)}));
  f->Handle<Ping>(FailUntil(calls, 100));
  try {
    f->bus.Dispatch(Context{}.WithTimeout(milliseconds(10)), Ping{});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), errc::kDeadlineExceeded);
  }
  EXPECT_EQ(calls, 1);
}

// Regression (issue 9, item 12): without should_retry every failure was retried, so a
// validation failure, a domain error or a handler that threw ran three times. The default now
// retries only transient failures.
TEST_P(RetryMiddlewareTest, ByDefaultOnlyTransientFailuresAreRetried) {
  std::atomic<int> calls = 0;
  auto f = Make(RetryMiddleware({.max_attempts = 3, .initial_delay = milliseconds(1)}));
  f->Handle<Ping>([&](const Context&, const Ping&) -> CommandResult {
    ++calls;
    throw DomainError("out of stock");
  });
  EXPECT_THROW(f->bus.Dispatch(Context{}, Ping{}), DomainError);
  EXPECT_EQ(calls, 1) << "a domain error is not retried";

  calls = 0;
  f->Handle<Ping>([&](const Context&, const Ping&) -> CommandResult {
    ++calls;
    throw std::runtime_error("handler bug");
  });
  EXPECT_THROW(f->bus.Dispatch(Context{}, Ping{}), std::runtime_error);
  EXPECT_EQ(calls, 1) << "a handler's own exception is not retried";

  calls = 0;
  f->Handle<Ping>([&](const Context&, const Ping&) {
    ++calls;
    return NewErrorResult(ValidationError("Ping", "x", "bad"));
  });
  EXPECT_TRUE(f->bus.Dispatch(Context{}, Ping{}).HasError(errc::kValidationFailed));
  EXPECT_EQ(calls, 1) << "a validation failure is not retried";

  calls = 0;
  f->Handle<Ping>([&](const Context&, const Ping&) -> CommandResult {
    if (++calls < 3) throw Error(errc::kConnectionFailed, "connection lost");
    return NewSuccessResult("", calls.load());
  });
  EXPECT_EQ(f->bus.Dispatch(Context{}, Ping{}).version, 3) << "a lost connection is retried";

  EXPECT_TRUE(IsTransientFailure(std::make_exception_ptr(ConcurrencyError("S", 1, 2))));
  EXPECT_TRUE(IsTransientFailure(std::make_exception_ptr(Error(errc::kDeadlineExceeded, "t"))));
  EXPECT_FALSE(IsTransientFailure(std::make_exception_ptr(Error(errc::kCancelled, "c"))));
  EXPECT_FALSE(IsTransientFailure(std::make_exception_ptr(42)));
}

// go-mink's RetryMiddleware(3, time.Second) shape.
TEST_P(RetryMiddlewareTest, AttemptsAndDelayShorthand) {
  std::atomic<int> calls = 0;
  auto f = Make(RetryMiddleware(3, milliseconds(2)));
  f->Handle<Ping>(FailUntil(calls, 100));
  EXPECT_THROW(f->bus.Dispatch(Context{}, Ping{}), ConcurrencyError);
  EXPECT_EQ(calls, 3);
  calls = 0;
  auto g = Make(RetryMiddleware(
      {.max_attempts = 3, .initial_delay = milliseconds(1), .should_retry = RetryAnyFailure}));
  g->Handle<Ping>([&](const Context&, const Ping&) -> CommandResult {
    ++calls;
    throw DomainError("x");
  });
  EXPECT_THROW(g->bus.Dispatch(Context{}, Ping{}), DomainError);
  EXPECT_EQ(calls, 3) << "RetryAnyFailure restores go-mink's retry-everything";
}

}  // namespace
}  // namespace mink::testing

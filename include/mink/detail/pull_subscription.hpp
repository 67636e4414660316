// mink/detail/pull_subscription.hpp — the Subscription both built-in adapters use.
//
// ChangeNotifier: a generation counter adapters bump after every commit (memory: after the
// append; PostgreSQL: when a NOTIFY arrives). PullSubscription: fetches a batch after its cursor
// with an adapter-supplied function, hands events out one by one, and when caught up waits for
// the notifier, its poll interval, Close() or the caller's context — whichever comes first.
// The cursor only moves past events the fetch function returned, so nothing is skipped or
// delivered twice. A fetch that only moved the cursor (a window with no matching event) is
// followed by the next fetch at once, not after a poll interval. A fetch that met an
// undecodable row returns the events before it plus the row's BadStoredEventError; once those
// events are handed out, options.bad_event decides (es/subscription.hpp).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <utility>
#include <vector>

#include "mink/es/subscription.hpp"

namespace mink::detail {

class ChangeNotifier {
 public:
  // Cheap when nobody waits: one atomic increment (appends call this on every commit).
  void Notify() {
    generation_.fetch_add(1);
    if (waiters_.load() == 0) return;
    std::lock_guard lock(mutex_);  // orders the wake-up after a waiter's predicate check
    cv_.notify_all();
  }

  uint64_t Generation() const { return generation_.load(); }

  // Waits until the generation moves past `seen`, `until` passes, or `stop` is requested.
  void WaitPast(uint64_t seen, std::chrono::steady_clock::time_point until,
                const std::stop_token& stop) {
    std::unique_lock lock(mutex_);
    waiters_.fetch_add(1);
    cv_.wait_until(lock, stop, until, [&] { return generation_.load() != seen; });
    waiters_.fetch_sub(1);
  }

 private:
  std::mutex mutex_;
  std::condition_variable_any cv_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> waiters_{0};
};

class PullSubscription final : public Subscription {
 public:
  struct Batch {
    std::vector<StoredEvent> events;
    uint64_t next_cursor = 0;  // where the next fetch starts (may pass filtered-out events)
    // The undecodable row the fetch stopped at (after `events`), and the cursor just past it.
    std::optional<BadStoredEventError> bad;
    uint64_t skip_cursor = 0;
  };
  // fetch(cursor, limit): events after `cursor`, at most `limit`.
  using Fetch = std::function<Batch(const Context& ctx, uint64_t cursor, std::size_t limit)>;

  PullSubscription(std::shared_ptr<ChangeNotifier> notifier, uint64_t cursor, Fetch fetch,
                   SubscriptionOptions options)
      : notifier_(std::move(notifier)),
        cursor_(cursor),
        fetch_(std::move(fetch)),
        options_(std::move(options)) {
    if (options_.buffer_size == 0) options_.buffer_size = 256;
    if (options_.poll_interval <= std::chrono::milliseconds::zero()) {
      options_.poll_interval = std::chrono::milliseconds(100);
    }
  }

  ~PullSubscription() override { Close(); }

  std::optional<StoredEvent> Next(const Context& ctx) override {
    while (!closed_.stop_requested() && !ctx.Done()) {
      if (!buffer_.empty()) {
        StoredEvent e = std::move(buffer_.front());
        buffer_.pop_front();
        return e;
      }
      if (bad_) {
        if (!PassBadEvent()) return std::nullopt;
        continue;
      }
      const uint64_t seen = notifier_->Generation();
      if (Refill(ctx)) continue;
      // Caught up: sleep until something may have changed.
      auto until = std::chrono::steady_clock::now() + options_.poll_interval;
      if (auto d = ctx.Deadline(); d && *d < until) until = *d;
      std::stop_callback wake_on_cancel(ctx.StopToken(), [this] { notifier_->Notify(); });
      notifier_->WaitPast(seen, until, closed_.get_token());
    }
    return std::nullopt;
  }

  void Close() override {
    if (!closed_.stop_requested()) closed_.request_stop();
  }
  bool Closed() const override { return closed_.stop_requested(); }

  std::exception_ptr Err() const override {
    std::lock_guard lock(err_mutex_);
    return err_;
  }

 private:
  // Returns true when the fetch made progress (events or a bad row to hand on, or a cursor
  // that moved past filtered-out events): the caller then fetches again without waiting.
  bool Refill(const Context& ctx) {
    try {
      Batch batch = fetch_(ctx, cursor_, options_.buffer_size);
      const uint64_t before = cursor_;
      cursor_ = batch.next_cursor;
      for (auto& e : batch.events) buffer_.push_back(std::move(e));
      if (batch.bad) {
        bad_ = std::move(batch.bad);
        skip_cursor_ = batch.skip_cursor;
      }
      return !buffer_.empty() || bad_ || cursor_ != before;
    } catch (const BadStoredEventError& e) {
      // A fetch that cannot say where the row ends cannot skip it.
      Stop(std::current_exception(), e);
      return false;
    } catch (const Error& e) {
      // Transient failure (e.g. a lost connection): report and retry at the next wake-up.
      if (e.code() == errc::kAdapterClosed) Close();
      if (options_.on_error) options_.on_error(e);
      return false;
    }
  }

  // Applies options_.bad_event to bad_; false when the subscription stopped.
  bool PassBadEvent() {
    BadStoredEventError bad = std::move(*bad_);
    bad_.reset();
    auto policy = options_.bad_event;
    if (policy == BadEventPolicy::kDeadLetter && !options_.dead_letter) {
      policy = BadEventPolicy::kStop;
    }
    switch (policy) {
      case BadEventPolicy::kStop:
        Stop(std::make_exception_ptr(bad), bad);
        return false;
      case BadEventPolicy::kSkip:
        if (options_.on_error) options_.on_error(bad);
        break;
      case BadEventPolicy::kDeadLetter:
        try {
          options_.dead_letter(bad);
        } catch (const Error& e) {
          Stop(std::current_exception(), e);
          return false;
        } catch (...) {
          const Error wrapped(errc::kUnknown, "dead_letter threw", std::current_exception());
          Stop(std::make_exception_ptr(wrapped), wrapped);
          return false;
        }
        break;
    }
    cursor_ = skip_cursor_;
    return true;
  }

  void Stop(std::exception_ptr error, const Error& e) {
    {
      std::lock_guard lock(err_mutex_);
      err_ = std::move(error);
    }
    Close();
    if (options_.on_error) options_.on_error(e);
  }

  std::shared_ptr<ChangeNotifier> notifier_;
  uint64_t cursor_;
  Fetch fetch_;
  SubscriptionOptions options_;
  std::deque<StoredEvent> buffer_;
  std::optional<BadStoredEventError> bad_;
  uint64_t skip_cursor_ = 0;
  std::stop_source closed_;
  mutable std::mutex err_mutex_;
  std::exception_ptr err_;
};

}  // namespace mink::detail

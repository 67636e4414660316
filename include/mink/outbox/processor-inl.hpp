// mink/outbox/processor-inl.hpp — definitions for processor.hpp (see mink/detail/config.hpp).
#pragma once

#ifndef MINK_HEADER_ONLY
#include "mink/outbox/processor.hpp"
#endif

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <stop_token>
#include <string>
#include <thread>

#include <spdlog/logger.h>
#include <spdlog/sinks/null_sink.h>

#include "mink/outbox/errors.hpp"
#include "mink/outbox/route.hpp"

namespace mink {

namespace detail {

// "<ErrorCodeName>: <what>" for a mink::Error, what() otherwise: the last_error of a message.
MINK_INLINE std::string OutboxErrorText(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const Error& e) {
    return OutboxErrorText(e);
  } catch (...) {
    return ErrorMessage(error);
  }
}

MINK_INLINE double OutboxJitter() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

}  // namespace detail

struct OutboxProcessor::State {
  std::map<std::string, std::shared_ptr<Publisher>, std::less<>> publishers;

  std::mutex mutex;  // guards wakes and done; the loop waits on cv
  std::condition_variable_any cv;
  uint64_t wakes = 0;
  bool done = true;

  std::mutex lifecycle;  // Start / Stop
  std::atomic<bool> running{false};
  std::stop_source loop_stop;     // ends the loop (Stop, or the Start context's cancellation)
  std::stop_source batch_cancel;  // cancels an in-flight publish when Stop's context ends
  std::stop_source waker_stop;    // ends the wake-up feed's thread
  std::jthread worker;
  std::jthread waker;
};

MINK_INLINE OutboxProcessor::OutboxProcessor(std::shared_ptr<OutboxStore> store,
                                             OutboxProcessorOptions options)
    : store_(std::move(store)), options_(std::move(options)), state_(std::make_unique<State>()) {
  if (!store_) throw Error(errc::kInvalidArgument, "OutboxProcessor needs an OutboxStore");
  const OutboxProcessorOptions defaults;
  if (options_.batch_size == 0) options_.batch_size = defaults.batch_size;
  if (options_.max_retries <= 0) options_.max_retries = defaults.max_retries;
  auto fix = [](auto& value, auto fallback) {
    if (value.count() <= 0) value = fallback;
  };
  fix(options_.poll_interval, defaults.poll_interval);
  fix(options_.retry_backoff, defaults.retry_backoff);
  fix(options_.max_backoff, defaults.max_backoff);
  fix(options_.cleanup_interval, defaults.cleanup_interval);
  fix(options_.cleanup_age, defaults.cleanup_age);
  fix(options_.processing_timeout, defaults.processing_timeout);
  if (!options_.logger) {
    options_.logger = std::make_shared<spdlog::logger>(
        "mink.outbox", std::make_shared<spdlog::sinks::null_sink_mt>());
  }
  for (const auto& publisher : options_.publishers) {
    if (!publisher) throw Error(errc::kInvalidArgument, "OutboxProcessor: a publisher is null");
    const std::string prefix = publisher->Destination();
    if (!state_->publishers.emplace(prefix, publisher).second) {
      throw Error(errc::kInvalidArgument,
                  "OutboxProcessor: two publishers for destination prefix \"" + prefix + "\"");
    }
  }
}

MINK_INLINE OutboxProcessor::~OutboxProcessor() { Stop(); }

MINK_INLINE bool OutboxProcessor::IsRunning() const noexcept { return state_->running.load(); }

MINK_INLINE void OutboxProcessor::Wake() {
  {
    std::lock_guard lock(state_->mutex);
    ++state_->wakes;
  }
  state_->cv.notify_all();
}

MINK_INLINE std::size_t OutboxProcessor::ProcessBatch(const Context& ctx) {
  const auto started = std::chrono::steady_clock::now();
  std::vector<OutboxMessage> batch =
      store_->FetchPending(ctx, options_.batch_size,
                           FetchOptions{.ordered_per_aggregate = options_.ordered_per_aggregate});
  if (batch.empty()) return 0;
  const Context marks = ctx.WithoutCancel();  // outcomes are recorded even when Stop cancels

  std::map<std::string, std::vector<OutboxMessage>, std::less<>> groups;
  std::vector<std::pair<OutboxMessage, std::exception_ptr>> failures;
  for (OutboxMessage& m : batch) {
    try {
      ValidateDestination(m.destination);
    } catch (...) {
      failures.emplace_back(std::move(m), std::current_exception());
      continue;
    }
    const std::string prefix(DestinationPrefix(m.destination));
    groups[prefix].push_back(std::move(m));
  }

  std::vector<std::string> delivered;
  for (auto& [prefix, messages] : groups) {
    auto it = state_->publishers.find(prefix);
    if (it == state_->publishers.end()) {
      for (OutboxMessage& m : messages) {
        failures.emplace_back(std::move(m),
                              std::make_exception_ptr(
                                  Error(errc::kPublisherNotFound,
                                        "no publisher for destination prefix \"" + prefix + "\"")));
      }
      continue;
    }
    std::vector<PublishOutcome> outcomes;
    std::exception_ptr group_error;
    try {
      outcomes = it->second->Publish(ctx, messages);
      if (outcomes.size() != messages.size()) {
        group_error = std::make_exception_ptr(Error(
            errc::kOutboxPublishFailed, "publisher \"" + prefix + "\" returned " +
                                            std::to_string(outcomes.size()) + " outcomes for " +
                                            std::to_string(messages.size()) + " messages"));
      }
    } catch (...) {
      group_error = std::make_exception_ptr(
          Error(errc::kOutboxPublishFailed,
                "publisher \"" + prefix + "\" failed: " + ErrorMessage(std::current_exception()),
                std::current_exception()));
    }
    for (std::size_t i = 0; i < messages.size(); ++i) {
      std::exception_ptr error = group_error ? group_error : outcomes[i].error;
      if (options_.metrics) options_.metrics->RecordMessageProcessed(prefix, !error);
      if (error) {
        failures.emplace_back(std::move(messages[i]), error);
      } else {
        delivered.push_back(std::move(messages[i].id));
      }
    }
  }

  if (!delivered.empty()) store_->MarkCompleted(marks, delivered);
  if (!failures.empty()) {
    const Timestamp now =
        options_.clock ? options_.clock() : Timestamp(std::chrono::system_clock::now());
    for (const auto& [m, error] : failures) {
      if (options_.metrics) options_.metrics->RecordMessageFailed(DestinationPrefix(m.destination));
      // d = retry_backoff * 2^(attempts-1), capped; retried after d/2 + random(0, d/2).
      auto d = options_.retry_backoff;
      for (int i = 1; i < m.attempts && d < options_.max_backoff; ++i) d *= 2;
      d = std::min(d, options_.max_backoff);
      const double jitter = options_.jitter ? options_.jitter() : detail::OutboxJitter();
      const auto delay =
          std::chrono::duration_cast<std::chrono::microseconds>(d / 2 + d * (jitter / 2));
      const std::string text = detail::OutboxErrorText(error);
      options_.logger->warn("outbox message {} to {} failed (attempt {}): {}", m.id, m.destination,
                            m.attempts, text);
      try {
        store_->MarkFailed(marks, m.id, text, now + delay);
      } catch (const std::exception& e) {
        options_.logger->error("outbox: recording the failure of {} failed: {}", m.id, e.what());
      }
    }
    store_->RetryFailed(marks, options_.max_retries);
    const int64_t dead = store_->MoveToDeadLetter(marks, options_.max_retries);
    if (dead > 0 && options_.metrics) options_.metrics->RecordMessageDeadLettered(dead);
  }
  if (options_.metrics) {
    options_.metrics->RecordBatchDuration(std::chrono::steady_clock::now() - started);
  }
  return batch.size();
}

MINK_INLINE void OutboxProcessor::RunMaintenance(const Context& ctx) {
  const int64_t reclaimed = store_->ReclaimStale(ctx, options_.processing_timeout);
  if (reclaimed > 0) {
    options_.logger->warn("outbox: reclaimed {} messages claimed longer than the timeout",
                          reclaimed);
  }
  store_->RetryFailed(ctx, options_.max_retries);
  const int64_t dead = store_->MoveToDeadLetter(ctx, options_.max_retries);
  if (options_.metrics) {
    if (dead > 0) options_.metrics->RecordMessageDeadLettered(dead);
    options_.metrics->RecordPendingMessages(store_->Count(ctx, OutboxStatus::kPending));
  }
}

MINK_INLINE void OutboxProcessor::Start(const Context& ctx) {
  std::lock_guard lifecycle(state_->lifecycle);
  if (state_->running.load()) {
    throw Error(errc::kOutboxProcessorRunning, "outbox processor is already running");
  }
  ctx.ThrowIfDone();
  // A loop that ended by itself (its Start context was cancelled) is joined first.
  state_->waker_stop.request_stop();
  state_->worker = std::jthread();
  state_->waker = std::jthread();
  state_->batch_cancel = std::stop_source();
  state_->loop_stop = std::stop_source();
  {
    std::lock_guard lock(state_->mutex);
    state_->done = false;
  }
  state_->running.store(true);
  state_->worker = std::jthread([this, ctx, stop = state_->loop_stop.get_token()] {
    // The caller's context ends the loop as Stop would.
    std::stop_callback on_cancel(ctx.StopToken(), [this] { state_->loop_stop.request_stop(); });
    const Context publish = Context::FromStopToken(state_->batch_cancel.get_token());
    const Context background;
    auto next_maintenance = std::chrono::steady_clock::now();
    auto next_cleanup = next_maintenance + options_.cleanup_interval;
    while (!stop.stop_requested() && !ctx.Done()) {
      uint64_t seen = 0;
      {
        std::lock_guard lock(state_->mutex);
        seen = state_->wakes;
      }
      std::size_t claimed = 0;
      try {
        claimed = ProcessBatch(publish);
      } catch (const std::exception& e) {
        options_.logger->error("outbox: processing a batch failed: {}", e.what());
      }
      const auto now = std::chrono::steady_clock::now();
      if (now >= next_maintenance) {
        next_maintenance = now + options_.retry_backoff;
        try {
          RunMaintenance(background);
        } catch (const std::exception& e) {
          options_.logger->error("outbox: maintenance failed: {}", e.what());
        }
      }
      if (now >= next_cleanup) {
        next_cleanup = now + options_.cleanup_interval;
        try {
          store_->Cleanup(background, options_.cleanup_age);
        } catch (const std::exception& e) {
          options_.logger->error("outbox: cleanup failed: {}", e.what());
        }
      }
      if (claimed >= options_.batch_size) continue;  // more may be due
      std::unique_lock lock(state_->mutex);
      state_->cv.wait_for(lock, stop, options_.poll_interval,
                          [&] { return state_->wakes != seen; });
    }
    {
      std::lock_guard lock(state_->mutex);
      state_->done = true;
    }
    state_->running.store(false);
    state_->cv.notify_all();
  });

  auto* feed =
      options_.wake_feed ? AdapterCapability<SubscriptionAdapter>(*options_.wake_feed) : nullptr;
  if (feed != nullptr) {
    // Subscribed before Start returns, so every append after Start wakes the loop.
    state_->waker_stop = std::stop_source();
    const Context wctx = Context::FromStopToken(state_->waker_stop.get_token());
    std::unique_ptr<Subscription> first;
    try {
      first = feed->SubscribeAll(wctx, options_.wake_feed->GetLastPosition(wctx),
                                 SubscriptionOptions{.poll_interval = options_.poll_interval});
    } catch (const std::exception& e) {
      options_.logger->warn("outbox: wake-up feed failed ({}); polling meanwhile", e.what());
    }
    state_->waker = std::jthread([this, feed, wctx, sub = std::move(first)]() mutable {
      const std::stop_token stop = wctx.StopToken();
      while (!stop.stop_requested()) {
        try {
          if (!sub) {
            sub = feed->SubscribeAll(wctx, options_.wake_feed->GetLastPosition(wctx),
                                     SubscriptionOptions{.poll_interval = options_.poll_interval});
          }
          while (sub->Next(wctx)) Wake();
        } catch (const std::exception& e) {
          if (stop.stop_requested()) break;
          options_.logger->warn("outbox: wake-up feed failed ({}); polling meanwhile", e.what());
        }
        sub.reset();
        std::mutex m;
        std::unique_lock lock(m);
        std::condition_variable_any().wait_for(lock, stop, options_.poll_interval,
                                               [] { return false; });
      }
    });
  }
}

MINK_INLINE void OutboxProcessor::Stop(const Context& ctx) {
  std::lock_guard lifecycle(state_->lifecycle);
  if (!state_->worker.joinable()) return;
  state_->loop_stop.request_stop();
  state_->waker_stop.request_stop();
  {
    std::unique_lock lock(state_->mutex);
    const auto done = [&] { return state_->done; };
    const bool finished = ctx.Deadline()
                              ? state_->cv.wait_until(lock, ctx.StopToken(), *ctx.Deadline(), done)
                              : state_->cv.wait(lock, ctx.StopToken(), done);
    if (!finished) state_->batch_cancel.request_stop();  // cancel the in-flight publish
  }
  state_->worker.join();
  if (state_->waker.joinable()) state_->waker.join();
  state_->worker = std::jthread();
  state_->waker = std::jthread();
  state_->running.store(false);
}

}  // namespace mink

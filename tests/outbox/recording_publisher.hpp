// tests/outbox — in-test Publishers: one that records what it delivers (and can fail chosen
// messages, or block until released), and a metrics recorder.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "mink/error.hpp"
#include "mink/outbox/metrics.hpp"
#include "mink/outbox/publisher.hpp"

namespace mink::testing {

class RecordingPublisher final : public Publisher {
 public:
  explicit RecordingPublisher(std::string prefix = "webhook") : prefix_(std::move(prefix)) {}

  std::string Destination() const override { return prefix_; }

  std::vector<PublishOutcome> Publish(const Context& ctx,
                                      std::span<const OutboxMessage> batch) override {
    std::function<void(const Context&)> hook;
    {
      std::lock_guard lock(mutex_);
      ++batches_;
      hook = before_publish;
    }
    if (hook) hook(ctx);
    std::vector<PublishOutcome> out;
    std::unique_lock lock(mutex_);
    for (const OutboxMessage& m : batch) {
      if (fail && fail(m)) {
        ++failures_;
        out.push_back({std::make_exception_ptr(Error(errc::kStorageFailed, "receiver said no"))});
        continue;
      }
      ++delivered_[m.id];
      order_.push_back(m);
      out.push_back({});
    }
    lock.unlock();
    cv_.notify_all();
    return out;
  }

  // Waits (up to `timeout`) until `n` distinct messages were delivered.
  bool WaitDelivered(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return delivered_.size() >= n; });
  }
  std::map<std::string, int> Delivered() const {
    std::lock_guard lock(mutex_);
    return delivered_;
  }
  std::vector<OutboxMessage> Order() const {
    std::lock_guard lock(mutex_);
    return order_;
  }
  int Batches() const {
    std::lock_guard lock(mutex_);
    return batches_;
  }

  // Set before the processor starts.
  std::function<bool(const OutboxMessage&)> fail;
  std::function<void(const Context&)> before_publish;

 private:
  std::string prefix_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::map<std::string, int> delivered_;
  std::vector<OutboxMessage> order_;
  int batches_ = 0;
  int failures_ = 0;
};

class RecordingMetrics final : public OutboxMetrics {
 public:
  void RecordMessageProcessed(std::string_view destination, bool success) override {
    std::lock_guard lock(mutex);
    ++processed[std::string(destination) + (success ? ":ok" : ":failed")];
  }
  void RecordMessageFailed(std::string_view destination) override {
    std::lock_guard lock(mutex);
    ++failed[std::string(destination)];
  }
  void RecordMessageDeadLettered(int64_t count) override {
    std::lock_guard lock(mutex);
    dead_lettered += count;
  }
  void RecordBatchDuration(std::chrono::nanoseconds) override {
    std::lock_guard lock(mutex);
    ++batches;
  }
  void RecordPendingMessages(int64_t count) override {
    std::lock_guard lock(mutex);
    pending = count;
  }

  std::mutex mutex;
  std::map<std::string, int> processed;
  std::map<std::string, int> failed;
  int64_t dead_lettered = 0;
  int batches = 0;
  int64_t pending = -1;
};

}  // namespace mink::testing

// Test support for the fake key servers: an interruptible reply delay and scripted faults.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>

namespace mink::testing {

// Handlers call Wait() before answering; Set(d) makes each later request wait d. Setting it
// back to zero (or destroying the server) releases every waiting handler at once.
class ReplyDelay {
 public:
  void Set(std::chrono::milliseconds d) {
    {
      std::lock_guard lock(mu_);
      delay_ = d;
      ++generation_;
    }
    cv_.notify_all();
  }
  void Wait() {
    std::unique_lock lock(mu_);
    if (delay_.count() <= 0) return;
    const auto gen = generation_;
    cv_.wait_for(lock, delay_, [&] { return generation_ != gen; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::chrono::milliseconds delay_{0};
  unsigned generation_ = 0;
};

// Faults the next requests get, in order: {status, code} (e.g. {500, "KMSInternalException"}).
struct Fault {
  int status;
  std::string code;
};
class FaultQueue {
 public:
  void Push(Fault f, int times = 1) {
    std::lock_guard lock(mu_);
    for (int i = 0; i < times; ++i) faults_.push_back(f);
  }
  std::optional<Fault> Next() {
    std::lock_guard lock(mu_);
    if (faults_.empty()) return std::nullopt;
    Fault f = faults_.front();
    faults_.pop_front();
    return f;
  }

 private:
  std::mutex mu_;
  std::deque<Fault> faults_;
};

}  // namespace mink::testing

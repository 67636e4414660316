// tests/support — a clock that moves only when a test says so, for TTL tests without sleeps.
//
//   ManualClock clock;                       // starts at the system clock's now
//   memory::IdempotencyStore store({.clock = clock.Fn()});
//   clock.Advance(std::chrono::hours(1));    // every record with a shorter TTL has expired
#pragma once

#include <atomic>
#include <chrono>
#include <memory>

#include "mink/idempotency/store.hpp"

namespace mink::testing {

class ManualClock {
 public:
  ManualClock()
      : micros_(std::make_shared<std::atomic<int64_t>>(
            std::chrono::duration_cast<std::chrono::microseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count())) {}

  Timestamp Now() const { return At(*micros_); }
  void Advance(std::chrono::microseconds d) { *micros_ += d.count(); }
  // The clock as the stores and the middleware take it; it shares this clock's time.
  IdempotencyClock Fn() const {
    return [micros = micros_] { return At(*micros); };
  }

 private:
  static Timestamp At(int64_t micros) {
    return Timestamp(
        std::chrono::duration_cast<Timestamp::duration>(std::chrono::microseconds(micros)));
  }
  std::shared_ptr<std::atomic<int64_t>> micros_;
};

}  // namespace mink::testing

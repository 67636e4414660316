// tests/support — waiting for a condition another thread or process brings about.
//
//   EXPECT_TRUE(mink::testing::Eventually([&] { return store.Count() == 3; }));
//
// Polls `done` every 2 ms until it holds or `deadline` (30 s) passes; returns its last value.
// A generous deadline, not a sleep: a passing test waits only as long as it must.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace mink::testing {

inline bool Eventually(const std::function<bool()>& done,
                       std::chrono::milliseconds deadline = std::chrono::seconds(30)) {
  for (auto until = std::chrono::steady_clock::now() + deadline;
       std::chrono::steady_clock::now() < until;) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return done();
}

}  // namespace mink::testing

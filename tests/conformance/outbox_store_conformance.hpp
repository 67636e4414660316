// tests/conformance — ONE contract suite for every OutboxStore (mink/outbox/store.hpp).
//
//   INSTANTIATE_TEST_SUITE_P(Memory, OutboxStoreConformance, ::testing::Values(
//       OutboxStoreFactory{"memory", [](OutboxClock clock) {
//         return std::make_shared<memory::OutboxStore>(
//             memory::OutboxStoreOptions{.clock = clock}); }}));
//
// The factory returns a fresh, initialized, empty store per test that reads the time from the
// clock it is given (the fixture's ManualClock), so backoff and claim timeouts pass on command.
#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include "mink/outbox/store.hpp"
#include "support/manual_clock.hpp"

namespace mink::conformance {

struct OutboxStoreFactory {
  std::string name;
  std::function<std::shared_ptr<OutboxStore>(OutboxClock)> make;

  friend std::ostream& operator<<(std::ostream& os, const OutboxStoreFactory& f) {
    return os << f.name;
  }
};

class OutboxStoreConformance : public ::testing::TestWithParam<OutboxStoreFactory> {
 protected:
  void SetUp() override { store_ = GetParam().make(clock.Fn()); }
  void TearDown() override {
    if (store_) store_->Close();
  }
  OutboxStore& store() { return *store_; }

  mink::testing::ManualClock clock;
  std::shared_ptr<OutboxStore> store_;
};

}  // namespace mink::conformance

// tests/conformance — ONE contract suite for every IdempotencyStore.
//
//   INSTANTIATE_TEST_SUITE_P(Memory, IdempotencyStoreConformance, ::testing::Values(
//       IdempotencyStoreFactory{"memory", [](IdempotencyClock clock) {
//         return std::make_shared<memory::IdempotencyStore>(
//             memory::IdempotencyStoreOptions{.clock = clock}); }}));
//
// The factory returns a fresh, initialized, empty store per test that judges expiry by the
// clock it is given (the fixture's ManualClock), so TTL cases advance time instead of sleeping.
#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include "mink/idempotency/store.hpp"
#include "support/manual_clock.hpp"

namespace mink::conformance {

struct IdempotencyStoreFactory {
  std::string name;
  std::function<std::shared_ptr<IdempotencyStore>(IdempotencyClock)> make;

  friend std::ostream& operator<<(std::ostream& os, const IdempotencyStoreFactory& f) {
    return os << f.name;
  }
};

class IdempotencyStoreConformance : public ::testing::TestWithParam<IdempotencyStoreFactory> {
 protected:
  void SetUp() override { store_ = GetParam().make(clock.Fn()); }
  void TearDown() override {
    if (store_) store_->Close();
  }
  IdempotencyStore& store() { return *store_; }

  mink::testing::ManualClock clock;
  std::shared_ptr<IdempotencyStore> store_;
};

}  // namespace mink::conformance

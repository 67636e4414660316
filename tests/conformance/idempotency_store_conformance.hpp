// tests/conformance — ONE contract suite for every IdempotencyStore.
//
//   INSTANTIATE_TEST_SUITE_P(Memory, IdempotencyStoreConformance, ::testing::Values(
//       IdempotencyStoreFactory{"memory", [] { return std::make_shared<memory::IdempotencyStore>();
//       }}));
//
// The factory returns a fresh, initialized, empty store per test.
#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include "mink/idempotency/store.hpp"

namespace mink::conformance {

struct IdempotencyStoreFactory {
  std::string name;
  std::function<std::shared_ptr<IdempotencyStore>()> make;

  friend std::ostream& operator<<(std::ostream& os, const IdempotencyStoreFactory& f) {
    return os << f.name;
  }
};

class IdempotencyStoreConformance : public ::testing::TestWithParam<IdempotencyStoreFactory> {
 protected:
  void SetUp() override { store_ = GetParam().make(); }
  void TearDown() override {
    if (store_) store_->Close();
  }
  IdempotencyStore& store() { return *store_; }

  std::shared_ptr<IdempotencyStore> store_;
};

}  // namespace mink::conformance

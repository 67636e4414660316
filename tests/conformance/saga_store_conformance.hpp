// tests/conformance — ONE contract suite for every SagaStore (mink/saga/store.hpp).
//
//   INSTANTIATE_TEST_SUITE_P(Memory, SagaStoreConformance, ::testing::Values(SagaStoreFactory{
//       "memory", [] { return std::make_shared<memory::SagaStore>(); },
//       [](SagaStore& s, const std::string& id) { ... make id's stored row undecodable ... }}));
//
// `make` returns a fresh, initialized, empty store per test; `corrupt` damages one stored saga
// the way a bad row looks in that store.
#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include "mink/saga/store.hpp"

namespace mink::conformance {

struct SagaStoreFactory {
  std::string name;
  std::function<std::shared_ptr<SagaStore>()> make;
  std::function<void(SagaStore&, const std::string& saga_id)> corrupt;

  friend std::ostream& operator<<(std::ostream& os, const SagaStoreFactory& f) {
    return os << f.name;
  }
};

class SagaStoreConformance : public ::testing::TestWithParam<SagaStoreFactory> {
 protected:
  void SetUp() override { store_ = GetParam().make(); }
  void TearDown() override {
    if (store_) store_->Close();
  }
  SagaStore& store() { return *store_; }

  std::shared_ptr<SagaStore> store_;
};

}  // namespace mink::conformance

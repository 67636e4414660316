// tests/conformance — ONE behavioural suite for every EventStoreAdapter.
//
// An adapter's test binary compiles event_store_conformance.cpp and instantiates the suite
// with a factory that returns a fresh, initialized, empty adapter per test:
//
//   INSTANTIATE_TEST_SUITE_P(Memory, EventStoreConformance, ::testing::Values(AdapterFactory{
//       "memory", [] { return std::make_shared<mink::memory::Adapter>(); }}));
//
// The suite covers version semantics, atomicity, bad input, concurrency (many writers, one
// winner per version; strictly increasing global positions) and subscriptions (every event
// exactly once, in order, under concurrent writers). Adapters that also implement
// SubscriptionAdapter / TransactionalAdapter must pass those parts too.
#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include "core/test_events.hpp"
#include "mink/es/adapter.hpp"
#include "mink/es/event_store.hpp"

namespace mink::conformance {

struct AdapterFactory {
  std::string name;
  std::function<std::shared_ptr<EventStoreAdapter>()> make;

  friend std::ostream& operator<<(std::ostream& os, const AdapterFactory& f) {
    return os << f.name;
  }
};

class EventStoreConformance : public ::testing::TestWithParam<AdapterFactory> {
 protected:
  void SetUp() override { adapter_ = GetParam().make(); }
  void TearDown() override {
    if (adapter_) adapter_->Close();
  }

  EventStoreAdapter& adapter() { return *adapter_; }
  SubscriptionAdapter* subscriptions() { return AdapterCapability<SubscriptionAdapter>(*adapter_); }

  std::shared_ptr<EventStoreAdapter> adapter_;
};

// The EventStore pipeline (event_store_pipeline_conformance.cpp) over the same adapters: a
// store with OrderCreated and ItemAdded registered.
class EventStorePipelineConformance : public EventStoreConformance {
 protected:
  void SetUp() override {
    EventStoreConformance::SetUp();
    store = std::make_unique<EventStore>(adapter_);
    store->RegisterEvents<testing::OrderCreated, testing::ItemAdded>();
  }
  void TearDown() override {
    store.reset();
    EventStoreConformance::TearDown();
  }

  std::unique_ptr<EventStore> store;
  Context ctx;
};

// The GDPR export (export_conformance.cpp) over the same adapters and store.
class ExportConformance : public EventStorePipelineConformance {};

}  // namespace mink::conformance

// The in-memory OutboxStore against the contract suite.
#include "conformance/outbox_store_conformance.hpp"
#include "mink/memory/outbox_store.hpp"

namespace mink::conformance {

INSTANTIATE_TEST_SUITE_P(Memory, OutboxStoreConformance,
                         ::testing::Values(OutboxStoreFactory{
                             "memory", [](OutboxClock clock) {
                               return std::make_shared<memory::OutboxStore>(
                                   memory::OutboxStoreOptions{.clock = std::move(clock)});
                             }}));

}  // namespace mink::conformance

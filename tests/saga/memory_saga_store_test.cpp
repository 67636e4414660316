// The SagaStore contract on mink::memory::SagaStore.
#include "conformance/saga_store_conformance.hpp"
#include "mink/memory/saga_store.hpp"
#include "saga/saga_fixture.hpp"

namespace mink::conformance {

INSTANTIATE_TEST_SUITE_P(Memory, SagaStoreConformance,
                         ::testing::Values(SagaStoreFactory{
                             "memory", [] { return std::make_shared<memory::SagaStore>(); },
                             [](SagaStore& s, const std::string& id) {
                               dynamic_cast<memory::SagaStore&>(s).ReplaceRawForTesting(
                                   id, R"({"id":")" + id +
                                           R"(","type":"T","status":42,"startedAt":"garbage"})");
                             }}));

}  // namespace mink::conformance

namespace mink::sagatest {

INSTANTIATE_TEST_SUITE_P(Memory, SagaLoopTest,
                         ::testing::Values(SagaBackend{
                             "memory", [] {
                               return std::make_pair(std::shared_ptr<EventStoreAdapter>(
                                                         std::make_shared<memory::Adapter>()),
                                                     std::shared_ptr<SagaStore>(
                                                         std::make_shared<memory::SagaStore>()));
                             }}));

}  // namespace mink::sagatest

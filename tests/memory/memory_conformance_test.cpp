#include <memory>

#include "conformance/event_store_conformance.hpp"
#include "mink/memory/adapter.hpp"

namespace mink::conformance {

INSTANTIATE_TEST_SUITE_P(Memory, EventStoreConformance,
                         ::testing::Values(AdapterFactory{
                             "memory", [] { return std::make_shared<memory::Adapter>(); }}));

}  // namespace mink::conformance

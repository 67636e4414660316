#include <memory>

#include "conformance/event_store_conformance.hpp"
#include "mink/memory/adapter.hpp"

namespace mink::conformance {
namespace {
const AdapterFactory kMemory{"memory", [] { return std::make_shared<memory::Adapter>(); }};
}  // namespace

INSTANTIATE_TEST_SUITE_P(Memory, EventStoreConformance, ::testing::Values(kMemory));
INSTANTIATE_TEST_SUITE_P(Memory, EventStorePipelineConformance, ::testing::Values(kMemory));

INSTANTIATE_TEST_SUITE_P(Memory, ExportConformance, ::testing::Values(kMemory));

}  // namespace mink::conformance

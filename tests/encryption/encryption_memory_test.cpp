// The encrypted-store suite on the memory adapter.
#include <memory>

#include "encryption/encrypted_store_suite.hpp"
#include "mink/memory/adapter.hpp"

namespace mink::testing {
namespace {
const conformance::AdapterFactory kMemory{"memory",
                                          [] { return std::make_shared<memory::Adapter>(); }};
}  // namespace

INSTANTIATE_TEST_SUITE_P(Memory, EncryptedStoreSuite, ::testing::Values(kMemory));

}  // namespace mink::testing

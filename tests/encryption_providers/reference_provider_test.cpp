// The provider contract suite run on an in-test reference provider: proves the suite itself
// (each case can pass) independently of the real providers.
#include "encryption_providers/reference_provider.hpp"
#include "conformance/encryption_provider_conformance.hpp"

namespace mink::conformance {
namespace {

const EncryptionProviderFactory kReferenceProvider{
    "reference", [] {
      auto p = std::make_shared<mink::testing::ReferenceProvider>();
      p->AddKey("key-a", GenerateAesKey().View());
      p->AddKey("key-b", GenerateAesKey().View());
      return ProviderUnderTest{
          .provider = p,
          .key_id = "key-a",
          .other_key_id = "key-b",
          .add_key = [p](const std::string& id, std::string_view k) { p->AddKey(id, k); }};
    }};
INSTANTIATE_TEST_SUITE_P(Reference, EncryptionProviderConformance,
                         ::testing::Values(kReferenceProvider));
INSTANTIATE_TEST_SUITE_P(Reference, EncryptionProviderKeyConformance,
                         ::testing::Values(kReferenceProvider));

}  // namespace
}  // namespace mink::conformance

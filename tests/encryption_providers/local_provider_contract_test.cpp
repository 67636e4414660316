// The provider contract suite on the core's LocalProvider (beside its own tests in
// tests/encryption/local_provider_test.cpp).
#include "conformance/encryption_provider_conformance.hpp"
#include "mink/encryption/aes_gcm.hpp"
#include "mink/encryption/local_provider.hpp"

namespace mink::conformance {
namespace {

const EncryptionProviderFactory kLocalProvider{
    "local", [] {
      auto p = std::make_shared<LocalProvider>();
      p->AddKey("key-a", GenerateAesKey().View());
      p->AddKey("key-b", GenerateAesKey().View());
      return ProviderUnderTest{
          .provider = p,
          .key_id = "key-a",
          .other_key_id = "key-b",
          .add_key = [p](const std::string& id, std::string_view k) { p->AddKey(id, k); }};
    }};
INSTANTIATE_TEST_SUITE_P(Local, EncryptionProviderConformance, ::testing::Values(kLocalProvider));
INSTANTIATE_TEST_SUITE_P(Local, EncryptionProviderKeyConformance,
                         ::testing::Values(kLocalProvider));

}  // namespace
}  // namespace mink::conformance

// tests/conformance — ONE contract suite for every EncryptionProvider (issue 14 item 3).
//
//   INSTANTIATE_TEST_SUITE_P(Local, EncryptionProviderConformance, ::testing::Values(
//       EncryptionProviderFactory{"local", [] {
//         auto p = std::make_shared<LocalProvider>();
//         p->AddKey("key-a", GenerateAesKey().View());  p->AddKey("key-b", ...);
//         return ProviderUnderTest{.provider = p, .key_id = "key-a", .other_key_id = "key-b",
//             .add_key = [p](const std::string& id, std::string_view k) { p->AddKey(id, k); }};
//       }}));
//
// The factory returns a fresh provider per test with two existing master keys. Optional hooks
// serve the cases that only some providers can run (EncryptionProviderKeyConformance and
// EncryptionProviderRemoteConformance, instantiated only where they apply):
//   add_key    the provider accepts raw master keys: wrong lengths must be refused (kInvalidKey)
//   set_delay  a remote provider whose server can be slowed: the Context deadline must bound
//              every call
//   keep_alive whatever must outlive the provider (a fake server)
// The cases (names as in the .cpp): round trips of Encrypt/Decrypt and GenerateDataKey/
// DecryptDataKey with 32-byte keys distinct per call; an unknown key ID is kKeyNotFound; a
// tampered or misdirected wrapped key is kDecryptionFailed (never garbage); after RevokeKey
// old data fails with kKeyRevoked, IsRevoked is true, and revoking again is fine; after Close
// every call throws kProviderClosed; concurrent use from several threads.
// DecryptDataKeyRefusesAWrappedValueThatIsNotAKey assumes Encrypt seals the way
// GenerateDataKey wraps (true of all three providers): it wraps 16 bytes with Encrypt and
// expects DecryptDataKey to refuse them (kInvalidKey or kDecryptionFailed).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "mink/encryption/provider.hpp"

namespace mink::conformance {

struct ProviderUnderTest {
  std::shared_ptr<EncryptionProvider> provider;
  std::string key_id;        // an existing master key
  std::string other_key_id;  // a second existing master key
  // Adds a raw master key (providers that accept keys); must throw kInvalidKey for a key that
  // is not 32 bytes.
  std::function<void(const std::string& id, std::string_view key)> add_key;
  // Makes the provider's server answer each request only after `delay` (remote providers).
  std::function<void(std::chrono::milliseconds delay)> set_delay;
  std::shared_ptr<void> keep_alive;
};

struct EncryptionProviderFactory {
  std::string name;
  std::function<ProviderUnderTest()> make;

  friend std::ostream& operator<<(std::ostream& os, const EncryptionProviderFactory& f) {
    return os << f.name;
  }
};

class EncryptionProviderConformance : public ::testing::TestWithParam<EncryptionProviderFactory> {
 protected:
  void SetUp() override { put_ = GetParam().make(); }
  void TearDown() override {
    if (put_.set_delay) put_.set_delay(std::chrono::milliseconds(0));
    if (put_.provider) put_.provider->Close();
    put_.provider.reset();
    put_.keep_alive.reset();
  }
  EncryptionProvider& provider() { return *put_.provider; }
  const std::string& key() const { return put_.key_id; }
  const std::string& other_key() const { return put_.other_key_id; }

  ProviderUnderTest put_;
};

// The cases only some providers can run, as suites of their own so nothing is skipped:
// instantiate the key suite for providers whose factory sets add_key (they accept raw master
// keys) and the remote suite for those whose factory sets set_delay.
class EncryptionProviderKeyConformance : public EncryptionProviderConformance {};
class EncryptionProviderRemoteConformance : public EncryptionProviderConformance {};

}  // namespace mink::conformance

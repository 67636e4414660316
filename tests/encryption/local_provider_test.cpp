// LocalProvider specifics (the provider contract suite in tests/conformance runs the shared
// cases): key lengths, AddKey rules, revocation and soft revocation on an injected clock,
// Close, and master-key rotation that keeps old data readable.
#include "mink/encryption/local_provider.hpp"

#include <gtest/gtest.h>

#include <string>

#include "mink/encryption/aes_gcm.hpp"
#include "support/error_code.hpp"
#include "support/manual_clock.hpp"

namespace mink {
namespace {

using testing::CodeOf;
using testing::ManualClock;

const std::string kKeyA(32, 'a');
const std::string kKeyB(32, 'b');

class LocalProviderTest : public ::testing::Test {
 protected:
  LocalProviderTest() : provider({.clock = clock.Fn()}) { provider.AddKey("k", kKeyA); }
  ManualClock clock;
  LocalProvider provider;
  Context ctx;
};

TEST_F(LocalProviderTest, DataKeysRoundTripAndAreWrappedWithTheKeyIdAsAad) {
  DataKey dk = provider.GenerateDataKey(ctx, "k");
  EXPECT_EQ(dk.plaintext.Size(), 32u);
  EXPECT_EQ(dk.key_id, "k");
  EXPECT_EQ(dk.ciphertext.size(), 12u + 32u + 16u);  // nonce ‖ ct ‖ tag, as go-mink
  // go-mink's layout: AES-256-GCM under the master key with AAD = key ID.
  EXPECT_EQ(AesGcmDecrypt(kKeyA, dk.ciphertext, "k"), dk.plaintext.View());
  EXPECT_EQ(provider.DecryptDataKey(ctx, "k", dk.ciphertext).View(), dk.plaintext.View());
  // Two data keys differ.
  EXPECT_NE(provider.GenerateDataKey(ctx, "k").plaintext.View(), dk.plaintext.View());
}

TEST_F(LocalProviderTest, EncryptDecryptSmallData) {
  std::string sealed = provider.Encrypt(ctx, "k", "secret");
  EXPECT_EQ(provider.Decrypt(ctx, "k", sealed).View(), "secret");
  sealed[14] ^= 1;
  EXPECT_EQ(CodeOf([&] { provider.Decrypt(ctx, "k", sealed); }), errc::kDecryptionFailed);
}

TEST_F(LocalProviderTest, AWrappedKeyDoesNotOpenUnderAnotherKeyId) {
  provider.AddKey("other", kKeyA);  // same bytes, different ID: the AAD differs
  DataKey dk = provider.GenerateDataKey(ctx, "k");
  EXPECT_EQ(CodeOf([&] { provider.DecryptDataKey(ctx, "other", dk.ciphertext); }),
            errc::kDecryptionFailed);
}

TEST_F(LocalProviderTest, KeysOfTheWrongLengthAreRefused) {
  for (std::size_t n : {0u, 16u, 31u, 33u, 64u}) {
    EXPECT_EQ(CodeOf([&] { provider.AddKey("x" + std::to_string(n), std::string(n, 'x')); }),
              errc::kInvalidKey)
        << n;
  }
  EXPECT_EQ(CodeOf([&] { provider.RotateKey("k", std::string(16, 'x')); }), errc::kInvalidKey);
  EXPECT_EQ(CodeOf([&] { provider.GenerateDataKey(ctx, "x16"); }), errc::kKeyNotFound);
}

TEST_F(LocalProviderTest, AddKeyRefusesEmptyDuplicateAndRevokedIds) {
  EXPECT_EQ(CodeOf([&] { provider.AddKey("", kKeyA); }), errc::kInvalidArgument);
  EXPECT_EQ(CodeOf([&] { provider.AddKey("k", kKeyB); }), errc::kInvalidArgument);
  provider.RevokeKey(ctx, "k");
  EXPECT_EQ(CodeOf([&] { provider.AddKey("k", kKeyB); }), errc::kKeyRevoked);
}

TEST_F(LocalProviderTest, UnknownKeysAreKeyNotFoundNamingTheKey) {
  try {
    provider.GenerateDataKey(ctx, "nope");
    FAIL();
  } catch (const KeyError& e) {
    EXPECT_EQ(e.code(), errc::kKeyNotFound);
    EXPECT_EQ(e.KeyID(), "nope");
  }
  EXPECT_EQ(CodeOf([&] { provider.RevokeKey(ctx, "nope"); }), errc::kKeyNotFound);
  EXPECT_FALSE(provider.IsRevoked(ctx, "nope"));
}

TEST_F(LocalProviderTest, RevokeShredsAtOnceAndIsIdempotent) {
  DataKey dk = provider.GenerateDataKey(ctx, "k");
  std::string sealed = provider.Encrypt(ctx, "k", "x");
  provider.RevokeKey(ctx, "k");
  EXPECT_EQ(provider.KeyVersions("k"), 0u);  // the material is gone, not merely gated
  EXPECT_TRUE(provider.IsRevoked(ctx, "k"));
  EXPECT_EQ(provider.GetRevocationState(ctx, "k"), RevocationState::kRevoked);
  EXPECT_EQ(CodeOf([&] { provider.DecryptDataKey(ctx, "k", dk.ciphertext); }), errc::kKeyRevoked);
  EXPECT_EQ(CodeOf([&] { provider.Decrypt(ctx, "k", sealed); }), errc::kKeyRevoked);
  EXPECT_EQ(CodeOf([&] { provider.GenerateDataKey(ctx, "k"); }), errc::kKeyRevoked);
  provider.RevokeKey(ctx, "k");  // again: a no-op, not KeyNotFound
  EXPECT_EQ(CodeOf([&] { provider.UnrevokeKey(ctx, "k"); }), errc::kKeyRevoked);
}

TEST_F(LocalProviderTest, SoftRevokeBlocksAtOnceAndCanBeUndoneWithinTheGracePeriod) {
  DataKey dk = provider.GenerateDataKey(ctx, "k");
  provider.SoftRevokeKey(ctx, "k", std::chrono::hours(1));
  EXPECT_EQ(provider.GetRevocationState(ctx, "k"), RevocationState::kSoftRevoked);
  EXPECT_FALSE(provider.IsRevoked(ctx, "k"));
  EXPECT_EQ(CodeOf([&] { provider.DecryptDataKey(ctx, "k", dk.ciphertext); }), errc::kKeyRevoked);
  EXPECT_EQ(CodeOf([&] { provider.Encrypt(ctx, "k", "x"); }), errc::kKeyRevoked);
  clock.Advance(std::chrono::minutes(59));
  provider.UnrevokeKey(ctx, "k");
  EXPECT_EQ(provider.GetRevocationState(ctx, "k"), RevocationState::kNotRevoked);
  EXPECT_EQ(provider.DecryptDataKey(ctx, "k", dk.ciphertext).View(), dk.plaintext.View());
}

TEST_F(LocalProviderTest, AnExpiredSoftRevocationBecomesPermanentOnTheNextAccess) {
  DataKey dk = provider.GenerateDataKey(ctx, "k");
  provider.SoftRevokeKey(ctx, "k", std::chrono::hours(1));
  clock.Advance(std::chrono::hours(1));
  EXPECT_EQ(provider.KeyVersions("k"), 1u);  // nothing has touched it yet
  EXPECT_EQ(CodeOf([&] { provider.DecryptDataKey(ctx, "k", dk.ciphertext); }), errc::kKeyRevoked);
  EXPECT_EQ(provider.KeyVersions("k"), 0u);  // promoted: the material is wiped
  EXPECT_EQ(provider.GetRevocationState(ctx, "k"), RevocationState::kRevoked);
  EXPECT_EQ(CodeOf([&] { provider.UnrevokeKey(ctx, "k"); }), errc::kKeyRevoked);
}

TEST_F(LocalProviderTest, StatePromotesToo) {
  provider.SoftRevokeKey(ctx, "k", std::chrono::seconds(10));
  clock.Advance(std::chrono::seconds(11));
  EXPECT_EQ(provider.GetRevocationState(ctx, "k"), RevocationState::kRevoked);
  EXPECT_TRUE(provider.IsRevoked(ctx, "k"));
}

TEST_F(LocalProviderTest, TheFreeCapabilityFunctionsReachTheProvider) {
  EncryptionProvider& p = provider;
  SoftRevoke(ctx, p, "k", std::chrono::seconds(60));
  EXPECT_EQ(GetRevocationState(ctx, p, "k"), RevocationState::kSoftRevoked);
  Unrevoke(ctx, p, "k");
  Revoke(ctx, p, "k");
  EXPECT_TRUE(IsRevoked(ctx, p, "k"));
}

TEST_F(LocalProviderTest, AfterCloseEveryCallFails) {
  DataKey dk = provider.GenerateDataKey(ctx, "k");
  provider.Close();
  provider.Close();  // idempotent
  EXPECT_EQ(CodeOf([&] { provider.GenerateDataKey(ctx, "k"); }), errc::kProviderClosed);
  EXPECT_EQ(CodeOf([&] { provider.DecryptDataKey(ctx, "k", dk.ciphertext); }),
            errc::kProviderClosed);
  EXPECT_EQ(CodeOf([&] { provider.Encrypt(ctx, "k", "x"); }), errc::kProviderClosed);
  EXPECT_EQ(CodeOf([&] { provider.Decrypt(ctx, "k", "x"); }), errc::kProviderClosed);
  EXPECT_EQ(CodeOf([&] { provider.AddKey("n", kKeyA); }), errc::kProviderClosed);
  EXPECT_EQ(CodeOf([&] { provider.RotateKey("k", kKeyA); }), errc::kProviderClosed);
  EXPECT_EQ(CodeOf([&] { provider.RevokeKey(ctx, "k"); }), errc::kProviderClosed);
  EXPECT_EQ(CodeOf([&] { provider.IsRevoked(ctx, "k"); }), errc::kProviderClosed);
  EXPECT_EQ(CodeOf([&] { provider.SoftRevokeKey(ctx, "k", std::chrono::seconds(1)); }),
            errc::kProviderClosed);
  EXPECT_EQ(CodeOf([&] { provider.UnrevokeKey(ctx, "k"); }), errc::kProviderClosed);
  EXPECT_EQ(CodeOf([&] { provider.GetRevocationState(ctx, "k"); }), errc::kProviderClosed);
}

TEST_F(LocalProviderTest, RotationWrapsWithTheNewVersionAndStillUnwrapsOldData) {
  DataKey old_dk = provider.GenerateDataKey(ctx, "k");
  std::string old_sealed = provider.Encrypt(ctx, "k", "old");
  provider.RotateKey("k", kKeyB);
  EXPECT_EQ(provider.KeyVersions("k"), 2u);
  DataKey new_dk = provider.GenerateDataKey(ctx, "k");
  EXPECT_EQ(AesGcmDecrypt(kKeyB, new_dk.ciphertext, "k"), new_dk.plaintext.View());
  EXPECT_EQ(provider.DecryptDataKey(ctx, "k", old_dk.ciphertext).View(), old_dk.plaintext.View());
  EXPECT_EQ(provider.DecryptDataKey(ctx, "k", new_dk.ciphertext).View(), new_dk.plaintext.View());
  EXPECT_EQ(provider.Decrypt(ctx, "k", old_sealed).View(), "old");
  // Revoking shreds every version.
  provider.RevokeKey(ctx, "k");
  EXPECT_EQ(CodeOf([&] { provider.DecryptDataKey(ctx, "k", old_dk.ciphertext); }),
            errc::kKeyRevoked);
}

TEST_F(LocalProviderTest, ACancelledContextIsRefused) {
  auto [c, cancel] = ctx.WithCancel();
  cancel();
  EXPECT_EQ(CodeOf([&] { provider.GenerateDataKey(c, "k"); }), errc::kCancelled);
}

}  // namespace
}  // namespace mink

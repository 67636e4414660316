// mink::vault::Provider against a local Transit engine (fake_vault.hpp) with real AES-GCM and
// vault:v<N>: ciphertexts: the provider contract suite, then Vault's own rules — local data
// keys wrapped by transit/encrypt, the two-step delete, the encrypt-upsert trap, token and
// namespace headers, TLS with a private CA, and typed unavailability.
#include <gtest/gtest.h>

#include "conformance/encryption_provider_conformance.hpp"
#include "encryption_providers/fake_vault.hpp"
#include "mink/vault/provider.hpp"
#include "support/error_code.hpp"

using namespace std::chrono_literals;
using mink::testing::CodeOf;
using mink::testing::FakeVault;

namespace mink::conformance {
namespace {

vault::ProviderOptions Options(const std::string& url, std::string ns = {}) {
  return vault::ProviderOptions{
      .address = url,
      .token = FakeVault::kToken,
      .namespace_name = std::move(ns),
      .timeout = 5000ms,
      .retry_delay = 1ms,
      .http_client = std::make_shared<http::Client>(http::ClientOptions{.proxy = ""})};
}

const EncryptionProviderFactory kVaultProvider{
    "vault", [] {
      // Every request must carry the namespace header too.
      auto fake = std::make_shared<FakeVault>(nullptr, "team-a");
      fake->CreateKey("key-a");
      fake->CreateKey("key-b");
      return ProviderUnderTest{
          .provider = std::make_shared<vault::Provider>(Options(fake->Url(), "team-a")),
          .key_id = "key-a",
          .other_key_id = "key-b",
          .set_delay = [fake](std::chrono::milliseconds d) { fake->SetDelay(d); },
          .keep_alive = fake};
    }};
INSTANTIATE_TEST_SUITE_P(Vault, EncryptionProviderConformance, ::testing::Values(kVaultProvider));
INSTANTIATE_TEST_SUITE_P(Vault, EncryptionProviderRemoteConformance,
                         ::testing::Values(kVaultProvider));

const Context kCtx;

template <class E>
const E* CauseOf(const Error& e, std::exception_ptr& keep) {
  keep = e.Cause();
  try {
    if (keep) std::rethrow_exception(keep);
  } catch (const E& c) {
    return &c;
  } catch (...) {
  }
  return nullptr;
}

class VaultProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake.CreateKey("k1");
    fake.CreateKey("k2");
  }
  FakeVault fake;
  vault::Provider vault{Options(fake.Url())};
};

TEST_F(VaultProviderTest, ADataKeyIsMadeLocallyAndWrappedByTransitEncrypt) {
  DataKey dk = vault.GenerateDataKey(kCtx, "k1");
  EXPECT_EQ(dk.key_id, "k1");
  EXPECT_TRUE(dk.ciphertext.starts_with("vault:v1:")) << dk.ciphertext;
  EXPECT_EQ(fake.Requests(),
            (std::vector<std::string>{"GET /v1/transit/keys/k1", "POST /v1/transit/encrypt/k1"}));
  EXPECT_EQ(fake.LastBody(),
            (nlohmann::json{{"plaintext", mink::testing::B64(dk.plaintext.View())}}))
      << "the local key, base64, is what Transit wraps";
  EXPECT_EQ(vault.DecryptDataKey(kCtx, "k1", dk.ciphertext).View(), dk.plaintext.View());
  EXPECT_EQ(fake.Requests().back(), "POST /v1/transit/decrypt/k1");
  EXPECT_EQ(fake.LastBody(), (nlohmann::json{{"ciphertext", dk.ciphertext}}));
}

TEST_F(VaultProviderTest, OldVersionsStillOpenAfterTheKeyIsRotated) {
  DataKey v1 = vault.GenerateDataKey(kCtx, "k1");
  fake.Rotate("k1");
  DataKey v2 = vault.GenerateDataKey(kCtx, "k1");
  EXPECT_TRUE(v2.ciphertext.starts_with("vault:v2:"));
  EXPECT_EQ(vault.DecryptDataKey(kCtx, "k1", v1.ciphertext).View(), v1.plaintext.View());
  EXPECT_EQ(vault.DecryptDataKey(kCtx, "k1", v2.ciphertext).View(), v2.plaintext.View());
}

TEST_F(VaultProviderTest, RevokeAllowsDeletionThenDeletesAndIsIdempotent) {
  DataKey dk = vault.GenerateDataKey(kCtx, "k1");
  const auto before = fake.Requests().size();
  vault.RevokeKey(kCtx, "k1");
  auto reqs = fake.Requests();
  ASSERT_EQ(reqs.size(), before + 2);
  EXPECT_EQ(reqs[before], "POST /v1/transit/keys/k1/config");
  EXPECT_EQ(reqs[before + 1], "DELETE /v1/transit/keys/k1");
  EXPECT_FALSE(fake.Exists("k1"));
  EXPECT_TRUE(vault.IsRevoked(kCtx, "k1"));
  EXPECT_FALSE(vault.IsRevoked(kCtx, "k2"));
  EXPECT_EQ(CodeOf([&] { vault.DecryptDataKey(kCtx, "k1", dk.ciphertext); }), errc::kKeyRevoked);
  EXPECT_NO_THROW(vault.RevokeKey(kCtx, "k1"));
  EXPECT_NO_THROW(vault.RevokeKey(kCtx, "never-existed"));
}

// Transit's encrypt creates a missing key: without the existence check a revoked tenant's key
// would silently come back (as a new key) and new data would be written under it.
TEST_F(VaultProviderTest, EncryptNeverRecreatesARevokedKey) {
  vault.RevokeKey(kCtx, "k1");
  EXPECT_EQ(CodeOf([&] { vault.GenerateDataKey(kCtx, "k1"); }), errc::kKeyNotFound);
  EXPECT_EQ(CodeOf([&] { vault.Encrypt(kCtx, "k1", "pii"); }), errc::kKeyNotFound);
  EXPECT_FALSE(fake.Exists("k1"));

  auto opts = Options(fake.Url());
  opts.check_key_before_wrap = false;  // what go-mink does
  vault::Provider unchecked(opts);
  unchecked.GenerateDataKey(kCtx, "k1");
  EXPECT_TRUE(fake.Exists("k1")) << "the trap this provider's check avoids";
}

TEST_F(VaultProviderTest, AWrongTokenOrNamespaceIsUnavailableAndNeverPrintsTheToken) {
  auto opts = Options(fake.Url());
  opts.token = "hvs.wrong-token-secret";
  vault::Provider bad(opts);
  try {
    bad.GenerateDataKey(kCtx, "k1");
    FAIL();
  } catch (const KeyError& e) {
    EXPECT_EQ(e.code(), errc::kProviderUnavailable);
    std::exception_ptr keep;
    const auto* se = CauseOf<http::StatusError>(e, keep);
    ASSERT_NE(se, nullptr);
    EXPECT_EQ(se->status(), 403);
    EXPECT_EQ(std::string(e.what()).find("hvs."), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("permission denied"), std::string::npos) << e.what();
  }
  vault::Provider wrong_ns(Options(fake.Url(), "team-b"));
  EXPECT_EQ(CodeOf([&] { wrong_ns.IsRevoked(kCtx, "k1"); }), errc::kProviderUnavailable);
}

TEST_F(VaultProviderTest, ASealedVaultIsRetriedThenProviderUnavailable) {
  fake.Fail({503, "Vault is sealed"}, 2);
  DataKey dk = vault.GenerateDataKey(kCtx, "k1");  // GET: 503, 503, 200; then encrypt
  fake.Fail({503, "Vault is sealed"}, 3);
  try {
    vault.DecryptDataKey(kCtx, "k1", dk.ciphertext);
    FAIL();
  } catch (const KeyError& e) {
    EXPECT_EQ(e.code(), errc::kProviderUnavailable);
    std::exception_ptr keep;
    const auto* se = CauseOf<http::StatusError>(e, keep);
    ASSERT_NE(se, nullptr);
    EXPECT_EQ(se->code(), errc::kHttpServerError);
  }
}

TEST_F(VaultProviderTest, AnUnreachableVaultIsUnavailableAndSaysTheRequestNeverLeft) {
  vault::Provider down(Options("http://127.0.0.1:" + std::to_string(mink::testing::UnusedPort())));
  try {
    down.GenerateDataKey(kCtx, "k1");
    FAIL();
  } catch (const KeyError& e) {
    EXPECT_EQ(e.code(), errc::kProviderUnavailable);
    std::exception_ptr keep;
    const auto* he = CauseOf<http::HttpError>(e, keep);
    ASSERT_NE(he, nullptr);
    EXPECT_FALSE(he->RequestSent());
  }
}

TEST(VaultProviderTls, TrustsThePrivateCaItIsGivenAndNothingElse) {
  mink::testing::SelfSignedCert cert;
  FakeVault fake(&cert);
  fake.CreateKey("k1");
  vault::Provider trusted({.address = fake.Url(),
                           .token = FakeVault::kToken,
                           .ca_file = cert.cert_path(),
                           .max_attempts = 1});
  DataKey dk = trusted.GenerateDataKey(kCtx, "k1");
  EXPECT_EQ(trusted.DecryptDataKey(kCtx, "k1", dk.ciphertext).View(), dk.plaintext.View());

  vault::Provider untrusted({.address = fake.Url(), .token = FakeVault::kToken, .max_attempts = 1});
  try {
    untrusted.GenerateDataKey(kCtx, "k1");
    FAIL();
  } catch (const KeyError& e) {
    EXPECT_EQ(e.code(), errc::kProviderUnavailable);
    std::exception_ptr keep;
    const auto* he = CauseOf<http::HttpError>(e, keep);
    ASSERT_NE(he, nullptr);
    EXPECT_EQ(he->code(), errc::kHttpTlsFailed);
  }
}

TEST(VaultProviderOptions, ComeFromTheVaultCliVariablesUnlessGiven) {
  const std::map<std::string, std::string> env = {{"VAULT_ADDR", "https://vault.internal:8200"},
                                                  {"VAULT_TOKEN", "hvs.env"},
                                                  {"VAULT_NAMESPACE", "team-a"},
                                                  {"VAULT_CACERT", "/etc/ca.pem"},
                                                  {"VAULT_CAPATH", "/etc/cas"},
                                                  {"VAULT_SKIP_VERIFY", "true"}};
  auto get = [&](std::string_view n) -> std::optional<std::string> {
    auto it = env.find(std::string(n));
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  const auto o = vault::OptionsFromEnvironment({.token = "hvs.given"}, get);
  EXPECT_EQ(o.address, "https://vault.internal:8200");
  EXPECT_EQ(o.token, "hvs.given");
  EXPECT_EQ(o.namespace_name, "team-a");
  EXPECT_EQ(o.ca_file, "/etc/ca.pem");
  EXPECT_EQ(o.ca_path, "/etc/cas");
  EXPECT_FALSE(o.verify_tls);
  EXPECT_EQ(o.mount, "transit");
}

TEST(VaultProviderOptions, BadOptionsAndKeyNamesAreRefusedBeforeAnyRequest) {
  EXPECT_EQ(CodeOf([] { vault::Provider({.address = "vault:8200", .token = "t"}); }),
            errc::kInvalidArgument);
  EXPECT_EQ(CodeOf([] { vault::Provider({.address = "http://127.0.0.1:1"}); }),
            errc::kInvalidArgument);
  EXPECT_EQ(CodeOf([] {
              vault::Provider({.address = "http://127.0.0.1:1", .token = "t", .mount = "/x"});
            }),
            errc::kInvalidArgument);
  vault::Provider p({.address = "http://127.0.0.1:1", .token = "t", .mount = "team/transit"});
  for (const char* bad : {"", "a/b", "..", "a b", "k?x=1"}) {
    EXPECT_EQ(CodeOf([&] { p.GenerateDataKey(kCtx, bad); }), errc::kInvalidArgument) << bad;
  }
  EXPECT_EQ(CodeOf([&] { p.Decrypt(kCtx, "k1", "not-vault"); }), errc::kDecryptionFailed);
}

}  // namespace
}  // namespace mink::conformance

// mink::kms::Provider against a local KMS (fake_kms.hpp) that verifies every SigV4 signature
// and keeps real AES-wrapped keys: the provider contract suite, then KMS's own rules —
// revocation (PendingDeletion or NotFound; Disabled is not), the clamped deletion window,
// encryption context, endpoint override, and typed unavailability with the cause kept.
#include <gtest/gtest.h>

#include "conformance/encryption_provider_conformance.hpp"
#include "encryption_providers/fake_kms.hpp"
#include "mink/kms/provider.hpp"
#include "support/error_code.hpp"

using namespace std::chrono_literals;
using mink::testing::CodeOf;
using mink::testing::FakeKms;

namespace mink::conformance {
namespace {

kms::ProviderOptions Options(const std::string& url, int window = 7,
                             std::map<std::string, std::string> context = {}) {
  return kms::ProviderOptions{
      .service = {.config = {.region = "us-east-1",
                             .credentials = {FakeKms::kAccessKey, FakeKms::kSecret, ""},
                             .endpoint_url = url},
                  .http_client = std::make_shared<http::Client>(http::ClientOptions{.proxy = ""}),
                  .retry = {.max_attempts = 3, .base_delay = 1ms, .max_delay = 5ms}},
      .pending_deletion_window_days = window,
      .encryption_context = std::move(context)};
}

const EncryptionProviderFactory kKmsProvider{
    "kms", [] {
      auto fake = std::make_shared<FakeKms>();
      fake->CreateKey("key-a");
      fake->CreateKey("key-b");
      return ProviderUnderTest{
          .provider = std::make_shared<kms::Provider>(Options(fake->Url())),
          .key_id = "key-a",
          .other_key_id = "key-b",
          .set_delay = [fake](std::chrono::milliseconds d) { fake->SetDelay(d); },
          .keep_alive = fake};
    }};
INSTANTIATE_TEST_SUITE_P(Kms, EncryptionProviderConformance, ::testing::Values(kKmsProvider));
INSTANTIATE_TEST_SUITE_P(Kms, EncryptionProviderRemoteConformance, ::testing::Values(kKmsProvider));

const Context kCtx;

class KmsProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake.CreateKey("k1");
    fake.CreateKey("k2");
  }
  FakeKms fake;
  kms::Provider kms{Options(fake.Url())};
};

// The cause chain of a mink::Error, as exception_ptrs, outermost first.
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

TEST_F(KmsProviderTest, SpeaksJson11WithTheOperationsGoMinkUses) {
  DataKey dk = kms.GenerateDataKey(kCtx, "k1");
  EXPECT_EQ(fake.LastBody("GenerateDataKey"),
            (nlohmann::json{{"KeyId", "k1"}, {"KeySpec", "AES_256"}}));
  kms.DecryptDataKey(kCtx, "k1", dk.ciphertext);
  EXPECT_EQ(fake.LastBody("Decrypt").value("KeyId", ""), "k1") << "KeyId pins the blob's key";
  EXPECT_EQ(fake.LastBody("Decrypt").value("CiphertextBlob", ""),
            mink::testing::B64(dk.ciphertext));
  kms.Encrypt(kCtx, "k1", "abc");
  EXPECT_EQ(fake.LastBody("Encrypt").value("Plaintext", ""), "YWJj");
  EXPECT_TRUE(fake.Rejections().empty()) << "every request carried a valid signature";
  EXPECT_EQ(fake.Operations(), (std::vector<std::string>{"GenerateDataKey", "Decrypt", "Encrypt"}));
}

TEST_F(KmsProviderTest, AKeyIdMayBeAnArn) {
  const std::string arn = std::string(FakeKms::kAccount) + "k1";
  DataKey dk = kms.GenerateDataKey(kCtx, arn);
  EXPECT_EQ(dk.key_id, arn);
  EXPECT_EQ(kms.DecryptDataKey(kCtx, arn, dk.ciphertext).View(), dk.plaintext.View());
  EXPECT_EQ(kms.DecryptDataKey(kCtx, "k1", dk.ciphertext).View(), dk.plaintext.View());
}

TEST_F(KmsProviderTest, AWrongSecretIsRefusedByTheServerAndSurfacesAsUnavailable) {
  auto opts = Options(fake.Url());
  opts.service.config.credentials.secret_access_key = "wrong";
  kms::Provider bad(opts);
  try {
    bad.GenerateDataKey(kCtx, "k1");
    FAIL();
  } catch (const KeyError& e) {
    EXPECT_EQ(e.code(), errc::kProviderUnavailable);
    std::exception_ptr keep;
    const auto* se = CauseOf<aws::ServiceError>(e, keep);
    ASSERT_NE(se, nullptr);
    EXPECT_TRUE(se->IsCode("InvalidSignature"));
    EXPECT_EQ(std::string(e.what()).find(FakeKms::kSecret), std::string::npos);
  }
  EXPECT_EQ(fake.Rejections(), std::vector<std::string>{"InvalidSignatureException"});
}

TEST_F(KmsProviderTest, RevokeSchedulesDeletionWithTheWindowClampedTo7To30Days) {
  static_assert(kms::ClampPendingWindowDays(0) == 7 && kms::ClampPendingWindowDays(3) == 7 &&
                kms::ClampPendingWindowDays(10) == 10 && kms::ClampPendingWindowDays(45) == 30);
  for (auto [given, sent] : {std::pair{0, 7}, {3, 7}, {10, 10}, {30, 30}, {45, 30}}) {
    const std::string id = "w" + std::to_string(given);
    fake.CreateKey(id);
    kms::Provider p(Options(fake.Url(), given));
    EXPECT_EQ(p.pending_deletion_window_days(), sent);
    p.RevokeKey(kCtx, id);
    EXPECT_EQ(fake.LastBody("ScheduleKeyDeletion"),
              (nlohmann::json{{"KeyId", id}, {"PendingWindowInDays", sent}}));
    EXPECT_EQ(fake.State(id), "PendingDeletion");
  }
}

TEST_F(KmsProviderTest, PendingDeletionIsRevokedAndDescribeKeyShowsIt) {
  DataKey dk = kms.GenerateDataKey(kCtx, "k1");
  fake.SetState("k1", "PendingDeletion");  // scheduled by another process
  EXPECT_TRUE(kms.IsRevoked(kCtx, "k1"));
  EXPECT_EQ(CodeOf([&] { kms.DecryptDataKey(kCtx, "k1", dk.ciphertext); }), errc::kKeyRevoked);
  EXPECT_EQ(CodeOf([&] { kms.GenerateDataKey(kCtx, "k1"); }), errc::kKeyRevoked);
  const kms::KeyMetadata md = kms.DescribeKey(kCtx, "k1");
  EXPECT_EQ(md.key_state, "PendingDeletion");
  EXPECT_FALSE(md.enabled);
  EXPECT_EQ(md.arn, std::string(FakeKms::kAccount) + "k1");
  EXPECT_NO_THROW(kms.RevokeKey(kCtx, "k1")) << "already pending deletion counts as done";
}

TEST_F(KmsProviderTest, ADisabledKeyIsNotRevoked) {
  DataKey dk = kms.GenerateDataKey(kCtx, "k1");
  fake.SetState("k1", "Disabled");
  EXPECT_FALSE(kms.IsRevoked(kCtx, "k1"));
  EXPECT_EQ(kms.DescribeKey(kCtx, "k1").key_state, "Disabled");
  EXPECT_EQ(CodeOf([&] { kms.DecryptDataKey(kCtx, "k1", dk.ciphertext); }),
            errc::kDecryptionFailed);
  EXPECT_EQ(CodeOf([&] { kms.GenerateDataKey(kCtx, "k1"); }), errc::kEncryptionFailed);
  fake.SetState("k1", "Enabled");  // enabled again: the data was never shredded
  EXPECT_EQ(kms.DecryptDataKey(kCtx, "k1", dk.ciphertext).View(), dk.plaintext.View());
}

TEST_F(KmsProviderTest, ADeletedKeyIsRevokedAndRevokingItAgainIsFine) {
  DataKey dk = kms.GenerateDataKey(kCtx, "k1");
  fake.Delete("k1");  // the pending window ran out
  EXPECT_TRUE(kms.IsRevoked(kCtx, "k1"));
  EXPECT_EQ(CodeOf([&] { kms.DecryptDataKey(kCtx, "k1", dk.ciphertext); }), errc::kKeyRevoked);
  EXPECT_EQ(CodeOf([&] { kms.DescribeKey(kCtx, "k1"); }), errc::kKeyNotFound);
  EXPECT_NO_THROW(kms.RevokeKey(kCtx, "k1"));
}

TEST_F(KmsProviderTest, TheEncryptionContextIsSentAndBindsTheWrappedKey) {
  kms::Provider a(Options(fake.Url(), 7, {{"tenant", "a"}}));
  kms::Provider b(Options(fake.Url(), 7, {{"tenant", "b"}}));
  DataKey dk = a.GenerateDataKey(kCtx, "k1");
  EXPECT_EQ(fake.LastBody("GenerateDataKey")["EncryptionContext"],
            (nlohmann::json{{"tenant", "a"}}));
  EXPECT_EQ(a.DecryptDataKey(kCtx, "k1", dk.ciphertext).View(), dk.plaintext.View());
  EXPECT_EQ(CodeOf([&] { b.DecryptDataKey(kCtx, "k1", dk.ciphertext); }), errc::kDecryptionFailed);
  EXPECT_EQ(CodeOf([&] { kms.DecryptDataKey(kCtx, "k1", dk.ciphertext); }),
            errc::kDecryptionFailed);
}

TEST_F(KmsProviderTest, FiveHundredsAndThrottlingAreRetriedThenProviderUnavailable) {
  fake.Fail({500, "KMSInternalException"});
  fake.Fail({400, "ThrottlingException"});
  DataKey dk = kms.GenerateDataKey(kCtx, "k1");  // third attempt succeeds
  EXPECT_EQ(fake.Count("GenerateDataKey"), 3);

  fake.Fail({500, "KMSInternalException"}, 3);
  try {
    kms.DecryptDataKey(kCtx, "k1", dk.ciphertext);
    FAIL();
  } catch (const KeyError& e) {
    EXPECT_EQ(e.code(), errc::kProviderUnavailable);
    EXPECT_EQ(e.KeyID(), "k1");
    std::exception_ptr keep;
    const auto* se = CauseOf<aws::ServiceError>(e, keep);
    ASSERT_NE(se, nullptr);
    EXPECT_EQ(se->status(), 500);
    EXPECT_TRUE(se->Retryable());
  }
  fake.Fail({400, "DependencyTimeoutException"});
  auto opts = Options(fake.Url());
  opts.service.retry.max_attempts = 1;
  kms::Provider once(opts);
  EXPECT_EQ(CodeOf([&] { once.GenerateDataKey(kCtx, "k1"); }), errc::kProviderUnavailable);
}

TEST_F(KmsProviderTest, AnUnreachableEndpointIsUnavailableAndSaysTheRequestNeverLeft) {
  kms::Provider down(Options("http://127.0.0.1:" + std::to_string(mink::testing::UnusedPort())));
  try {
    down.GenerateDataKey(kCtx, "k1");
    FAIL();
  } catch (const KeyError& e) {
    EXPECT_EQ(e.code(), errc::kProviderUnavailable);
    std::exception_ptr keep;
    const auto* he = CauseOf<http::HttpError>(e, keep);
    ASSERT_NE(he, nullptr);
    EXPECT_EQ(he->code(), errc::kHttpConnectFailed);
    EXPECT_FALSE(he->RequestSent());
  }
}

TEST_F(KmsProviderTest, AReplyThatTimesOutIsUnavailableAndMaySayTheRequestWasSent) {
  auto opts = Options(fake.Url());
  opts.service.timeout = 150ms;
  kms::Provider slow(opts);
  fake.SetDelay(3s);
  const auto start = std::chrono::steady_clock::now();
  try {
    slow.GenerateDataKey(kCtx, "k1");
    FAIL();
  } catch (const KeyError& e) {
    EXPECT_EQ(e.code(), errc::kProviderUnavailable);
    std::exception_ptr keep;
    const auto* he = CauseOf<http::HttpError>(e, keep);
    ASSERT_NE(he, nullptr);
    EXPECT_TRUE(he->RequestSent());
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2500ms);
  fake.SetDelay(0ms);
}

TEST_F(KmsProviderTest, TheEndpointComesFromTheAwsConfigIncludingTheEnvironment) {
  const std::string url = fake.Url();
  const aws::Config cfg = aws::LoadConfig(
      "kms", {.region = "us-east-1", .credentials = {FakeKms::kAccessKey, FakeKms::kSecret, ""}},
      [url](std::string_view name) -> std::optional<std::string> {
        if (name == "AWS_ENDPOINT_URL_KMS") return url;
        return std::nullopt;
      });
  auto opts = Options(url);
  opts.service.config = cfg;
  kms::Provider p(opts);
  DataKey dk = p.GenerateDataKey(kCtx, "k2");
  EXPECT_EQ(p.DecryptDataKey(kCtx, "k2", dk.ciphertext).View(), dk.plaintext.View());
}

TEST_F(KmsProviderTest, ADataKeyOfTheWrongLengthIsRefused) {
  // Something else wrapped 16 bytes under the key: DecryptDataKey must not hand them out.
  const std::string sealed = kms.Encrypt(kCtx, "k1", std::string(16, 'x'));
  EXPECT_EQ(CodeOf([&] { kms.DecryptDataKey(kCtx, "k1", sealed); }), errc::kInvalidKey);
  EXPECT_EQ(kms.Decrypt(kCtx, "k1", sealed).Size(), 16u);
}

}  // namespace
}  // namespace mink::conformance

// The EncryptionProvider contract (see encryption_provider_conformance.hpp).
#include "conformance/encryption_provider_conformance.hpp"

#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "mink/encryption/aes_gcm.hpp"
#include "support/error_code.hpp"

namespace mink::conformance {
namespace {

using mink::testing::CodeOf;
using namespace std::chrono_literals;

const Context kCtx;

// The code `f` throws, which must be one of `allowed`.
template <class F>
void ExpectOneOf(std::initializer_list<ErrorCode> allowed, F&& f, const std::string& what) {
  const ErrorCode got = CodeOf(std::forward<F>(f));
  for (const auto& c : allowed) {
    if (got == c) return;
  }
  ADD_FAILURE() << what << ": unexpected code " << got.name();
}

std::string Binary(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + 7) & 0xFF);
  return s;
}

std::string UnknownKey() {
  return "mink-no-such-key-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed());
}

TEST_P(EncryptionProviderConformance, EncryptDecryptRoundTrip) {
  for (std::size_t n : {std::size_t{1}, std::size_t{32}, std::size_t{1000}}) {
    const std::string plain = Binary(n);  // NULs and high bytes included
    const std::string sealed = provider().Encrypt(kCtx, key(), plain);
    EXPECT_FALSE(sealed.empty());
    if (n >= 16) {  // a 1-byte plaintext turns up in ~29 random bytes one time in nine
      EXPECT_EQ(sealed.find(plain), std::string::npos) << "ciphertext holds the plaintext";
    }
    EXPECT_EQ(provider().Decrypt(kCtx, key(), sealed).View(), plain);
    EXPECT_NE(provider().Encrypt(kCtx, key(), plain), sealed) << "sealing is not randomized";
  }
}

TEST_P(EncryptionProviderConformance, DataKeysAre32BytesAndDistinctPerCall) {
  DataKey a = provider().GenerateDataKey(kCtx, key());
  DataKey b = provider().GenerateDataKey(kCtx, key());
  EXPECT_EQ(a.plaintext.Size(), kAesGcmKeySize);
  EXPECT_EQ(b.plaintext.Size(), kAesGcmKeySize);
  EXPECT_EQ(a.key_id, key());
  EXPECT_NE(a.plaintext.View(), b.plaintext.View());
  EXPECT_NE(a.ciphertext, b.ciphertext);
  EXPECT_FALSE(a.ciphertext.empty());
  EXPECT_EQ(a.ciphertext.find(a.plaintext.View()), std::string::npos);
  EXPECT_EQ(provider().DecryptDataKey(kCtx, key(), a.ciphertext).View(), a.plaintext.View());
  EXPECT_EQ(provider().DecryptDataKey(kCtx, key(), b.ciphertext).View(), b.plaintext.View());
}

TEST_P(EncryptionProviderConformance, UnknownKeyIDIsKeyNotFound) {
  const std::string unknown = UnknownKey();
  EXPECT_EQ(CodeOf([&] { provider().GenerateDataKey(kCtx, unknown); }), errc::kKeyNotFound);
  EXPECT_EQ(CodeOf([&] { provider().Encrypt(kCtx, unknown, "x"); }), errc::kKeyNotFound);
  try {
    provider().GenerateDataKey(kCtx, unknown);
  } catch (const KeyError& e) {
    EXPECT_EQ(e.KeyID(), unknown);
  } catch (const Error& e) {
    ADD_FAILURE() << "not a KeyError: " << e.what();
  }
  // Unwrapping under a key the provider does not have: remote providers cannot tell a key that
  // never existed from one that was deleted (shredded), so kKeyRevoked is allowed too.
  const DataKey dk = provider().GenerateDataKey(kCtx, key());
  ExpectOneOf(
      {errc::kKeyNotFound, errc::kKeyRevoked},
      [&] { provider().DecryptDataKey(kCtx, unknown, dk.ciphertext); }, "DecryptDataKey");
}

TEST_P(EncryptionProviderConformance, AWrappedKeyNamedUnderAnotherMasterKeyIsDecryptionFailed) {
  const DataKey dk = provider().GenerateDataKey(kCtx, key());
  EXPECT_EQ(CodeOf([&] { provider().DecryptDataKey(kCtx, other_key(), dk.ciphertext); }),
            errc::kDecryptionFailed);
  const std::string sealed = provider().Encrypt(kCtx, key(), "secret");
  EXPECT_EQ(CodeOf([&] { provider().Decrypt(kCtx, other_key(), sealed); }),
            errc::kDecryptionFailed);
}

TEST_P(EncryptionProviderConformance, ATamperedWrappedKeyIsDecryptionFailedNeverGarbage) {
  const DataKey dk = provider().GenerateDataKey(kCtx, key());
  const std::string& w = dk.ciphertext;
  std::vector<std::string> bad;
  for (std::size_t at : {std::size_t{0}, w.size() / 2, w.size() - 1}) {
    std::string t = w;
    t[at] = static_cast<char>(t[at] ^ 0x01);
    bad.push_back(t);
  }
  bad.push_back(w.substr(0, w.size() - 1));  // truncated
  bad.push_back(w + "A");                    // extended
  bad.push_back("");                         // empty
  for (std::size_t i = 0; i < bad.size(); ++i) {
    EXPECT_EQ(CodeOf([&] { provider().DecryptDataKey(kCtx, key(), bad[i]); }),
              errc::kDecryptionFailed)
        << "variant " << i;
  }
  const std::string sealed = provider().Encrypt(kCtx, key(), "secret");
  std::string t = sealed;
  t.back() = static_cast<char>(t.back() ^ 0x01);
  EXPECT_EQ(CodeOf([&] { provider().Decrypt(kCtx, key(), t); }), errc::kDecryptionFailed);
  // The untouched one still opens.
  EXPECT_EQ(provider().DecryptDataKey(kCtx, key(), w).View(), dk.plaintext.View());
}

// A wrapped value that is not a 32-byte key is refused by DecryptDataKey, typed.
TEST_P(EncryptionProviderConformance, DecryptDataKeyRefusesAWrappedValueThatIsNotAKey) {
  const std::string sealed = provider().Encrypt(kCtx, key(), Binary(16));
  ExpectOneOf(
      {errc::kInvalidKey, errc::kDecryptionFailed},
      [&] { provider().DecryptDataKey(kCtx, key(), sealed); }, "16-byte data key");
}

TEST_P(EncryptionProviderConformance, RevokeMakesOldDataFailWithKeyRevoked) {
  const std::string sealed = provider().Encrypt(kCtx, key(), "pii");
  const DataKey dk = provider().GenerateDataKey(kCtx, key());
  const DataKey other = provider().GenerateDataKey(kCtx, other_key());
  EXPECT_FALSE(IsRevoked(kCtx, provider(), key()));

  Revoke(kCtx, provider(), key());

  EXPECT_TRUE(IsRevoked(kCtx, provider(), key()));
  EXPECT_EQ(GetRevocationState(kCtx, provider(), key()), RevocationState::kRevoked);
  EXPECT_EQ(CodeOf([&] { provider().Decrypt(kCtx, key(), sealed); }), errc::kKeyRevoked);
  EXPECT_EQ(CodeOf([&] { provider().DecryptDataKey(kCtx, key(), dk.ciphertext); }),
            errc::kKeyRevoked);
  ExpectOneOf(
      {errc::kKeyRevoked, errc::kKeyNotFound}, [&] { provider().GenerateDataKey(kCtx, key()); },
      "GenerateDataKey after revoke");
  EXPECT_NO_THROW(Revoke(kCtx, provider(), key())) << "revoking is idempotent";
  EXPECT_TRUE(IsRevoked(kCtx, provider(), key()));
  // The other key is untouched.
  EXPECT_FALSE(IsRevoked(kCtx, provider(), other_key()));
  EXPECT_EQ(provider().DecryptDataKey(kCtx, other_key(), other.ciphertext).View(),
            other.plaintext.View());
}

TEST_P(EncryptionProviderConformance, AfterCloseEveryCallThrowsProviderClosed) {
  const std::string sealed = provider().Encrypt(kCtx, key(), "x");
  const DataKey dk = provider().GenerateDataKey(kCtx, key());
  provider().Close();
  EXPECT_EQ(CodeOf([&] { provider().Encrypt(kCtx, key(), "x"); }), errc::kProviderClosed);
  EXPECT_EQ(CodeOf([&] { provider().Decrypt(kCtx, key(), sealed); }), errc::kProviderClosed);
  EXPECT_EQ(CodeOf([&] { provider().GenerateDataKey(kCtx, key()); }), errc::kProviderClosed);
  EXPECT_EQ(CodeOf([&] { provider().DecryptDataKey(kCtx, key(), dk.ciphertext); }),
            errc::kProviderClosed);
  if (dynamic_cast<RevocableProvider*>(&provider())) {
    EXPECT_EQ(CodeOf([&] { Revoke(kCtx, provider(), key()); }), errc::kProviderClosed);
    EXPECT_EQ(CodeOf([&] { IsRevoked(kCtx, provider(), key()); }), errc::kProviderClosed);
  }
  EXPECT_NO_THROW(provider().Close()) << "Close is idempotent";
}

// Instantiated only for providers that take raw master keys (LocalProvider, the reference):
// a remote provider's binary does not instantiate it.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(EncryptionProviderKeyConformance);

TEST_P(EncryptionProviderKeyConformance, KeysOfTheWrongLengthAreRefused) {
  ASSERT_TRUE(put_.add_key) << GetParam().name << ": the key cases need add_key";
  for (std::size_t n : {0, 1, 16, 24, 31, 33, 64}) {
    const std::string id = "short-" + std::to_string(n);
    EXPECT_EQ(CodeOf([&] { put_.add_key(id, std::string(n, 'k')); }), errc::kInvalidKey) << n;
    EXPECT_EQ(CodeOf([&] { provider().GenerateDataKey(kCtx, id); }), errc::kKeyNotFound)
        << "a refused key must not be half-added";
  }
  const SecretBytes good = GenerateAesKey();
  put_.add_key("good", good.View());
  const DataKey dk = provider().GenerateDataKey(kCtx, "good");
  EXPECT_EQ(provider().DecryptDataKey(kCtx, "good", dk.ciphertext).View(), dk.plaintext.View());
}

// Instantiated only for remote providers (KMS, Vault), whose fake server can be slowed.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(EncryptionProviderRemoteConformance);

TEST_P(EncryptionProviderRemoteConformance, TheContextDeadlineBoundsEveryRemoteCall) {
  ASSERT_TRUE(put_.set_delay) << GetParam().name << ": the remote cases need set_delay";
  const std::string sealed = provider().Encrypt(kCtx, key(), "x");
  const DataKey dk = provider().GenerateDataKey(kCtx, key());
  put_.set_delay(5s);
  const std::vector<std::pair<std::string, std::function<void(const Context&)>>> calls = {
      {"Encrypt", [&](const Context& c) { provider().Encrypt(c, key(), "x"); }},
      {"Decrypt", [&](const Context& c) { provider().Decrypt(c, key(), sealed); }},
      {"GenerateDataKey", [&](const Context& c) { provider().GenerateDataKey(c, key()); }},
      {"DecryptDataKey",
       [&](const Context& c) { provider().DecryptDataKey(c, key(), dk.ciphertext); }},
  };
  for (const auto& [name, call] : calls) {
    const auto start = std::chrono::steady_clock::now();
    const Context ctx = kCtx.WithTimeout(200ms);
    EXPECT_EQ(CodeOf([&] { call(ctx); }), errc::kDeadlineExceeded) << name;
    EXPECT_LT(std::chrono::steady_clock::now() - start, 3s) << name << " outlived its deadline";
  }
  // An already cancelled context never reaches the server.
  auto [cancelled, cancel] = kCtx.WithCancel();
  cancel();
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(CodeOf([&] { provider().GenerateDataKey(cancelled, key()); }), errc::kCancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  put_.set_delay(0ms);
}

TEST_P(EncryptionProviderConformance, ConcurrentUseFromSeveralThreads) {
  constexpr int kThreads = 4, kRounds = 20;
  std::mutex mu;
  std::set<std::string> wrapped;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRounds; ++i) {
        try {
          const std::string& id = (i % 2 == 0) ? key() : other_key();
          DataKey dk = provider().GenerateDataKey(kCtx, id);
          if (provider().DecryptDataKey(kCtx, id, dk.ciphertext).View() != dk.plaintext.View()) {
            ++failures;
          }
          const std::string plain = "t" + std::to_string(t) + "-" + std::to_string(i);
          if (provider().Decrypt(kCtx, id, provider().Encrypt(kCtx, id, plain)).View() != plain) {
            ++failures;
          }
          std::lock_guard lock(mu);
          wrapped.insert(dk.ciphertext);
        } catch (const std::exception& e) {
          ++failures;
          ADD_FAILURE() << e.what();
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(wrapped.size(), static_cast<std::size_t>(kThreads * kRounds));
}

}  // namespace
}  // namespace mink::conformance

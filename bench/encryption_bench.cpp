// bench/encryption_bench.cpp — field-level encryption on the memory store, beside its twins.
//
//   BM_Append/plain|encrypted    EventStore::Append of 100 CustomerCreated events (one append)
//                                to a fresh stream, without and with 3 encrypted fields
//                                (email, phone, ssn) under a LocalProvider.
//   BM_Load/plain|encrypted      EventStore::Load of a 100-event stream (encrypted: the
//                                data-key cache is warm; /cold disables it, one unwrap per load).
//   BM_RawCrypto_Append / _Load  the same OpenSSL work with no library: one data key generated
//                                and wrapped, then 300 AES-256-GCM seals + base64 (append), or
//                                one unwrap and 300 base64 decodes + opens (load).
//   BM_ProviderCalls             1,000 events appended in batches of 100, then loaded; the
//                                counters are the provider calls (goal: 10 and <= 10).
// docs/benchmarks.md has the figures and the commands that reproduce them.
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include <mink/encryption/aes_gcm.hpp>
#include <mink/encryption/base64.hpp>
#include <mink/encryption/field_encryption.hpp>
#include <mink/encryption/local_provider.hpp>
#include <mink/memory/adapter.hpp>
#include <mink/mink.hpp>

namespace {

struct CustomerCreated {
  static constexpr std::string_view kEventType = "CustomerCreated";
  std::string customer_id;
  std::string name;
  std::string email;
  std::string phone;
  std::string ssn;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(CustomerCreated, customer_id, name, email, phone, ssn)
};

const CustomerCreated kCustomer{"cust-456", "Alice Smith", "alice@example.com", "+1-555-0100",
                                "078-05-1120"};
constexpr int kBatch = 100;

class Counting final : public mink::EncryptionProvider {
 public:
  explicit Counting(std::shared_ptr<mink::LocalProvider> p) : p_(std::move(p)) {}
  std::string Encrypt(const mink::Context& c, const std::string& id, std::string_view pt) override {
    return p_->Encrypt(c, id, pt);
  }
  mink::SecretBytes Decrypt(const mink::Context& c, const std::string& id,
                            std::string_view ct) override {
    return p_->Decrypt(c, id, ct);
  }
  mink::DataKey GenerateDataKey(const mink::Context& c, const std::string& id) override {
    ++generate;
    return p_->GenerateDataKey(c, id);
  }
  mink::SecretBytes DecryptDataKey(const mink::Context& c, const std::string& id,
                                   std::string_view w) override {
    ++unwrap;
    return p_->DecryptDataKey(c, id, w);
  }
  void Close() override { p_->Close(); }
  std::atomic<int> generate{0};
  std::atomic<int> unwrap{0};

 private:
  std::shared_ptr<mink::LocalProvider> p_;
};

std::shared_ptr<Counting> MakeProvider() {
  auto local = std::make_shared<mink::LocalProvider>();
  local->AddKey("master-1", mink::RandomBytes(32));
  return std::make_shared<Counting>(local);
}

std::unique_ptr<mink::EventStore> MakeStore(
    std::shared_ptr<mink::EventStoreAdapter> adapter, bool encrypted,
    std::shared_ptr<Counting> provider, std::chrono::milliseconds ttl = std::chrono::minutes(5)) {
  mink::EventStoreOptions options;
  if (encrypted) {
    mink::FieldEncryptionConfig c{.provider = provider, .default_key_id = "master-1"};
    c.EncryptFields("CustomerCreated", {"email", "phone", "ssn"});
    c.cache.ttl = ttl;
    options.field_transform = std::make_shared<mink::FieldEncryption>(std::move(c));
  }
  auto store = std::make_unique<mink::EventStore>(std::move(adapter), std::move(options));
  store->RegisterEvents<CustomerCreated>();
  return store;
}

std::vector<mink::Event> Batch() {
  return std::vector<mink::Event>(kBatch, mink::Event(kCustomer));
}

void BM_Append(benchmark::State& state) {
  const bool encrypted = state.range(0) != 0;
  auto provider = MakeProvider();
  auto adapter = std::make_shared<mink::memory::Adapter>();
  auto store = MakeStore(adapter, encrypted, provider);
  const std::vector<mink::Event> events = Batch();
  mink::Context ctx;
  int n = 0;
  for (auto _ : state) {
    if (++n % 100 == 0) {  // start over with an empty store now and then
      state.PauseTiming();
      adapter = std::make_shared<mink::memory::Adapter>();
      store = MakeStore(adapter, encrypted, provider);
      state.ResumeTiming();
    }
    store->Append(ctx, "Customer-" + std::to_string(n), std::span<const mink::Event>(events));
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_Append)->ArgName("encrypted")->Arg(0)->Arg(1);

void BM_Load(benchmark::State& state) {
  const bool encrypted = state.range(0) != 0;
  const bool cold = state.range(1) != 0;
  auto provider = MakeProvider();
  auto adapter = std::make_shared<mink::memory::Adapter>();
  auto store = MakeStore(adapter, encrypted, provider,
                         cold ? std::chrono::milliseconds(0) : std::chrono::minutes(5));
  mink::Context ctx;
  store->Append(ctx, "Customer-1", Batch());
  for (auto _ : state) {
    auto events = store->Load(ctx, "Customer-1");
    benchmark::DoNotOptimize(events.data());
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_Load)->ArgNames({"encrypted", "cold"})->Args({0, 0})->Args({1, 0})->Args({1, 1});

// The OpenSSL calls an encrypted append makes, with no library around them.
void BM_RawCrypto_Append(benchmark::State& state) {
  const std::string master = mink::RandomBytes(32);
  const std::string fields[] = {R"("alice@example.com")", R"("+1-555-0100")", R"("078-05-1120")"};
  const std::string aads[] = {std::string("Customer-1\0email", 16),
                              std::string("Customer-1\0phone", 16),
                              std::string("Customer-1\0ssn", 14)};
  for (auto _ : state) {
    mink::SecretBytes dek = mink::GenerateAesKey();
    std::string wrapped = mink::AesGcmEncrypt(master, dek.View(), "master-1");
    benchmark::DoNotOptimize(mink::Base64Encode(wrapped));
    for (int i = 0; i < kBatch; ++i) {
      for (int f = 0; f < 3; ++f) {
        std::string b64 = mink::Base64Encode(mink::AesGcmEncrypt(dek.View(), fields[f], aads[f]));
        benchmark::DoNotOptimize(b64.data());
      }
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_RawCrypto_Append);

void BM_RawCrypto_Load(benchmark::State& state) {
  const std::string master = mink::RandomBytes(32);
  mink::SecretBytes dek = mink::GenerateAesKey();
  const std::string wrapped = mink::AesGcmEncrypt(master, dek.View(), "master-1");
  const std::string aad("Customer-1\0email", 16);
  const std::string sealed = mink::Base64Encode(mink::AesGcmEncrypt(dek.View(), "\"x@y.z\"", aad));
  for (auto _ : state) {
    std::string key = mink::AesGcmDecrypt(master, wrapped, "master-1");
    for (int i = 0; i < kBatch * 3; ++i) {
      std::string plain = mink::AesGcmDecrypt(key, mink::Base64Decode(sealed), aad);
      benchmark::DoNotOptimize(plain.data());
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_RawCrypto_Load);

void BM_ProviderCalls(benchmark::State& state) {
  mink::Context ctx;
  for (auto _ : state) {
    state.PauseTiming();
    auto provider = MakeProvider();
    auto store = MakeStore(std::make_shared<mink::memory::Adapter>(), true, provider);
    const std::vector<mink::Event> events = Batch();
    state.ResumeTiming();
    for (int b = 0; b < 10; ++b)
      store->Append(ctx, "Customer-1", std::span<const mink::Event>(events));
    auto loaded = store->Load(ctx, "Customer-1");
    benchmark::DoNotOptimize(loaded.data());
    state.counters["generate_per_1000"] = provider->generate.load();
    state.counters["unwrap_per_1000"] = provider->unwrap.load();
  }
}
BENCHMARK(BM_ProviderCalls)->Iterations(3);

}  // namespace

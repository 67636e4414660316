// examples/encryption — field-level encryption with per-tenant keys and crypto-shredding
// (go-mink's CustomerCreated / AddressUpdated example). Customers of tenants A and B are
// stored with their PII sealed under their tenant's key; after tenant B's key is revoked,
// B's PII loads as ciphertext while everything else stays readable. Runs on the in-memory
// store; built with the PostgreSQL adapter, `example_encryption postgresql://...` runs the
// same program on PostgreSQL (schema "mink_encryption_example", recreated on each run).
// See docs/encryption.md.
#include <cstdio>
#include <memory>
#include <string>

#include <mink/encryption/aes_gcm.hpp>
#include <mink/encryption/field_encryption.hpp>
#include <mink/encryption/local_provider.hpp>
#include <mink/memory/adapter.hpp>
#include <mink/mink.hpp>
#ifdef MINK_EXAMPLE_WITH_POSTGRES
#include <mink/postgres/adapter.hpp>
#include <pqxx/pqxx>
#endif

struct Address {
  std::string street;
  std::string city;
  std::string zip;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(Address, street, city, zip)
};

struct CustomerCreated {
  static constexpr std::string_view kEventType = "CustomerCreated";
  std::string customer_id;
  std::string name;
  std::string email;
  std::string phone;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(CustomerCreated, customer_id, name, email, phone)
};

struct AddressUpdated {
  static constexpr std::string_view kEventType = "AddressUpdated";
  std::string customer_id;
  Address address;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(AddressUpdated, customer_id, address)
};

std::shared_ptr<mink::EventStoreAdapter> MakeAdapter(int argc, char** argv) {
#ifdef MINK_EXAMPLE_WITH_POSTGRES
  if (argc > 1) {
    {
      pqxx::connection conn(mink::postgres::BuildConnInfo(argv[1], std::chrono::seconds(5)));
      pqxx::nontransaction tx(conn);
      tx.exec("DROP SCHEMA IF EXISTS mink_encryption_example CASCADE");
    }
    auto pg = std::make_shared<mink::postgres::Adapter>(
        mink::postgres::Options{.url = argv[1], .schema = "mink_encryption_example"});
    pg->Initialize(mink::Context{});
    std::printf("using PostgreSQL (schema %s)\n", pg->Schema().c_str());
    return pg;
  }
#else
  if (argc > 1) std::fprintf(stderr, "built without PostgreSQL support; using memory\n");
  (void)argv;
#endif
  return std::make_shared<mink::memory::Adapter>();
}

void PrintCustomer(mink::EventStore& store, const mink::Context& ctx, const std::string& stream) {
  for (const mink::Event& e : store.Load(ctx, stream)) {
    const char* state = mink::IsEncrypted(e.Metadata()) ? "shredded" : "readable";
    if (e.Is<CustomerCreated>()) {
      const auto& c = e.As<CustomerCreated>();
      std::printf("  %s v%lld CustomerCreated name=%s email=%.24s (%s)\n", stream.c_str(),
                  static_cast<long long>(e.Version()), c.name.c_str(), c.email.c_str(), state);
    } else if (e.Is<AddressUpdated>()) {
      const auto& a = e.As<AddressUpdated>();
      std::printf("  %s v%lld AddressUpdated street=%.24s city=%s (%s)\n", stream.c_str(),
                  static_cast<long long>(e.Version()), a.address.street.c_str(),
                  a.address.city.c_str(), state);
    }
  }
}

int main(int argc, char** argv) try {
  mink::Context ctx;
  // Master keys. In production they live in AWS KMS or Vault; never in code.
  auto keys = std::make_shared<mink::LocalProvider>();
  keys->AddKey("master-1", mink::RandomBytes(32));
  keys->AddKey("tenant-A", mink::RandomBytes(32));
  keys->AddKey("tenant-B", mink::RandomBytes(32));

  mink::FieldEncryptionConfig config{.provider = keys, .default_key_id = "master-1"};
  config.EncryptFields("CustomerCreated", {"email", "phone"});
  config.EncryptFields("AddressUpdated", {"address.street", "address.zip"});
  config.tenant_key_resolver = [](std::string_view tenant) {
    return "tenant-" + std::string(tenant);
  };
  config.on_decryption_error = mink::SkipRevokedKeys;  // shredded PII loads as ciphertext
  auto encryption = std::make_shared<mink::FieldEncryption>(std::move(config));

  mink::EventStore store(MakeAdapter(argc, argv), {.field_transform = encryption});
  store.RegisterEvents<CustomerCreated, AddressUpdated>();

  store.Append(ctx.WithTenantID("A"), "Customer-alice",
               {CustomerCreated{"alice", "Alice Smith", "alice@example.com", "+1-555-0100"},
                AddressUpdated{"alice", {"1 Main St", "Springfield", "12345"}}});
  store.Append(ctx.WithTenantID("B"), "Customer-bob",
               {CustomerCreated{"bob", "Bob Jones", "bob@example.com", "+1-555-0199"},
                AddressUpdated{"bob", {"2 Elm St", "Shelbyville", "67890"}}});

  const mink::StoredEvent raw = store.LoadRaw(ctx, "Customer-bob", 0).at(0);
  std::printf("stored: %s\n", raw.data.substr(0, 96).c_str());
  std::printf("sealed under %s, fields %s\n", mink::GetEncryptionKeyID(raw.metadata).c_str(),
              raw.metadata.Custom(mink::kEncryptedFieldsKey)->c_str());

  std::printf("before revoking tenant B:\n");
  PrintCustomer(store, ctx, "Customer-alice");
  PrintCustomer(store, ctx, "Customer-bob");

  encryption->RevokeKey(ctx, "tenant-B");  // GDPR erasure for tenant B: crypto-shredding
  std::printf("tenant-B is %s\n",
              std::string(mink::ToString(encryption->GetRevocationState(ctx, "tenant-B"))).c_str());

  std::printf("after revoking tenant B:\n");
  PrintCustomer(store, ctx, "Customer-alice");
  PrintCustomer(store, ctx, "Customer-bob");
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}

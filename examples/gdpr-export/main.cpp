// GDPR data export (docs/gdpr-export.md): customers of two tenants with encrypted personal
// fields, tenant B's key revoked (crypto-shredded), then an export by stream and one by tenant
// filter written as NDJSON. The revoked tenant's events come out redacted: no data, only the
// stored ciphertext. Runs on memory; `example_gdpr_export postgresql://...` runs it on
// PostgreSQL (schema "mink_example_gdpr", recreated on each run), where the tenant filter runs
// in SQL.
#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include <mink/encryption/aes_gcm.hpp>
#include <mink/encryption/field_encryption.hpp>
#include <mink/encryption/local_provider.hpp>
#include <mink/es/event_store.hpp>
#include <mink/gdpr/export_format.hpp>
#include <mink/gdpr/exporter.hpp>
#include <mink/memory/adapter.hpp>
#ifdef MINK_EXAMPLE_WITH_POSTGRES
#include <pqxx/pqxx>

#include <mink/postgres/adapter.hpp>
#include <mink/postgres/conninfo.hpp>
#endif

struct CustomerCreated {
  static constexpr std::string_view kEventType = "CustomerCreated";
  std::string customer_id;
  std::string name;
  std::string email;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(CustomerCreated, customer_id, name, email)
};

struct AddressUpdated {
  static constexpr std::string_view kEventType = "AddressUpdated";
  std::string customer_id;
  std::string street;
  std::string city;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(AddressUpdated, customer_id, street, city)
};

std::shared_ptr<mink::EventStoreAdapter> MakeAdapter(int argc, char** argv) {
#ifdef MINK_EXAMPLE_WITH_POSTGRES
  if (argc > 1) {
    {
      pqxx::connection conn(mink::postgres::BuildConnInfo(argv[1], std::chrono::seconds(5)));
      pqxx::nontransaction tx(conn);
      tx.exec("DROP SCHEMA IF EXISTS mink_example_gdpr CASCADE");
    }
    auto pg = std::make_shared<mink::postgres::Adapter>(
        mink::postgres::Options{.url = argv[1], .schema = "mink_example_gdpr"});
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

int main(int argc, char** argv) try {
  mink::Context ctx;

  // One master key per tenant (in production: KMS or Vault, docs/encryption.md).
  auto keys = std::make_shared<mink::LocalProvider>();
  keys->AddKey("tenant-a-key", mink::RandomBytes(32));
  keys->AddKey("tenant-b-key", mink::RandomBytes(32));
  mink::FieldEncryptionConfig config{.provider = keys};
  config.EncryptFields("CustomerCreated", {"name", "email"})
      .EncryptFields("AddressUpdated", {"street", "city"});
  config.tenant_key_resolver = [](std::string_view tenant) { return std::string(tenant) + "-key"; };
  config.on_decryption_error = mink::SkipRevokedKeys;  // a shredded event does not stop reads
  auto encryption = std::make_shared<mink::FieldEncryption>(std::move(config));

  mink::EventStore store(MakeAdapter(argc, argv), {.field_transform = encryption});
  store.RegisterEvents<CustomerCreated, AddressUpdated>();

  const mink::Context tenant_a = ctx.WithTenantID("tenant-a");
  const mink::Context tenant_b = ctx.WithTenantID("tenant-b");
  store.Append(tenant_a, "Customer-1", {CustomerCreated{"1", "Ana Lima", "ana@example.com"}});
  store.Append(tenant_a, "Customer-1", {AddressUpdated{"1", "Rua Augusta 10", "Lisboa"}});
  store.Append(tenant_a, "Customer-2", {CustomerCreated{"2", "Rui Sousa", "rui@example.com"}});
  store.Append(tenant_b, "Customer-3", {CustomerCreated{"3", "Bo Berg", "bo@example.com"}});
  store.Append(tenant_b, "Customer-3", {AddressUpdated{"3", "Storgatan 1", "Malmo"}});

  // Tenant B leaves: its key is revoked, and with it every field sealed under it.
  encryption->RevokeKey(ctx, "tenant-b-key");
  std::printf("revoked tenant-b-key\n");

  mink::DataExporter exporter(store);  // revocation checks go to the store's provider

  // Article 15 request of customer 1: by stream.
  mink::ExportResult one =
      exporter.Export(ctx, {.subject_id = "customer-1", .streams = {"Customer-1"}});
  for (const mink::ExportedEvent& e : one.events) {
    std::printf("customer-1 %s v%lld: %s\n", e.event_type.c_str(),
                static_cast<long long>(e.version), e.data.dump().c_str());
  }

  // Customer 3 (tenant B): the data is gone, the export says so.
  mink::ExportResult three =
      exporter.Export(ctx, {.subject_id = "customer-3", .streams = {"Customer-3"}});
  std::printf("customer-3: %zu events, %zu redacted\n", three.total_events, three.redacted_count);

  // Everything of tenant B as NDJSON (a portable file for Article 20).
  std::ostringstream ndjson;
  mink::ExportResult b = mink::ExportToNdjson(
      exporter, ctx, {.subject_id = "tenant-b", .filter = mink::FilterByTenantID("tenant-b")},
      ndjson);
  std::cout << ndjson.str();
  std::printf("tenant-b export: %zu events, %zu redacted\n", b.total_events, b.redacted_count);

  // And tenant A's, whose data is intact.
  std::ostringstream a_file;
  mink::ExportResult a = mink::ExportToNdjson(
      exporter, ctx, {.subject_id = "tenant-a", .filter = mink::FilterByTenantID("tenant-a")},
      a_file);
  std::printf("tenant-a export: %zu events, %zu redacted\n", a.total_events, a.redacted_count);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "example failed: %s\n", e.what());
  return 1;
}

// tests/encryption — ONE suite for field encryption through the EventStore, run on every
// adapter (memory in mink_encryption_tests, PostgreSQL in mink_encryption_postgres_tests):
//
//   INSTANTIATE_TEST_SUITE_P(Memory, EncryptedStoreSuite, ::testing::Values(kMemory));
#pragma once

#include <memory>
#include <sstream>

#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>

#include "conformance/event_store_conformance.hpp"
#include "encryption/encryption_test_support.hpp"
#include "mink/encryption/field_encryption.hpp"
#include "support/manual_clock.hpp"

namespace mink::testing {

class EncryptedStoreSuite : public conformance::EventStoreConformance {
 protected:
  void SetUp() override {
    EventStoreConformance::SetUp();
    local = std::make_shared<LocalProvider>(LocalProviderOptions{.clock = clock.Fn()});
    for (const char* id : {"master-1", "tenant-A", "tenant-B", "rotated"}) {
      local->AddKey(id, TestMasterKey(id));
    }
    provider = std::make_shared<CountingProvider>(local);
    log_sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log_text);
    logger = std::make_shared<spdlog::logger>("enc-test", log_sink);
    logger->set_level(spdlog::level::trace);
  }

  // go-mink's example configuration: three CustomerCreated fields (one a number) and two
  // nested AddressUpdated fields, per-tenant keys, master-1 by default.
  FieldEncryptionConfig Config() {
    FieldEncryptionConfig c{.provider = provider, .default_key_id = "master-1"};
    c.EncryptFields("CustomerCreated", {"email", "phone", "age"});
    c.EncryptFields("AddressUpdated", {"address.street", "address.zip"});
    c.EncryptFields("NotAnObject", {"text"});
    c.EncryptFields("FlatAddress", {"address.street"});
    c.tenant_key_resolver = [](std::string_view t) { return "tenant-" + std::string(t); };
    c.clock = clock.Fn();
    c.logger = logger;
    return c;
  }

  // A store with `config`; `encryption` is set to its FieldEncryption.
  std::unique_ptr<EventStore> Store(FieldEncryptionConfig config) {
    encryption = std::make_shared<FieldEncryption>(std::move(config));
    auto s = std::make_unique<EventStore>(
        adapter_, EventStoreOptions{.logger = logger, .field_transform = encryption});
    s->RegisterEvents<CustomerCreated, AddressUpdated>();
    return s;
  }

  ManualClock clock;
  std::shared_ptr<LocalProvider> local;
  std::shared_ptr<CountingProvider> provider;
  std::shared_ptr<FieldEncryption> encryption;
  std::ostringstream log_text;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> log_sink;
  std::shared_ptr<spdlog::logger> logger;
  Context ctx;
};

}  // namespace mink::testing

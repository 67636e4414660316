// Field encryption through the EventStore on every adapter: go-mink's stored format, one data
// key per append, key resolution, typed errors with nothing written, tampering and relocation,
// crypto-shredding on every read path, and a planted PII marker that must never leak.
#include "encryption/encrypted_store_suite.hpp"

#include <gtest/gtest.h>

#include "mink/encryption/aes_gcm.hpp"
#include "mink/encryption/base64.hpp"
#include "support/error_code.hpp"

namespace mink::testing {
namespace {

const CustomerCreated kAlice{"alice", "Alice Smith", "alice@example.com", "+1-555-0100", 42};
const CustomerCreated kBob{"bob", "Bob Jones", "bob@example.com", "+1-555-0199", 37};

nlohmann::json RawData(EventStore& s, const std::string& stream, std::size_t i = 0) {
  return nlohmann::json::parse(s.LoadRaw(Context{}, stream, 0).at(i).data);
}

TEST_P(EncryptedStoreSuite, StoresGoMinksEnvelopeAndLoadsPlaintext) {
  auto store = Store(Config());
  store->Append(ctx, "Customer-alice", {kAlice});
  const StoredEvent raw = store->LoadRaw(ctx, "Customer-alice", 0).at(0);
  const auto data = nlohmann::json::parse(raw.data);
  EXPECT_EQ(data["name"], "Alice Smith");  // not configured: stays clear
  EXPECT_EQ(data["customer_id"], "alice");
  ASSERT_TRUE(data["age"].is_string());  // a number becomes a base64 string, as in go-mink
  EXPECT_EQ(*raw.metadata.Custom(kEncryptedFieldsKey), R"(["email","phone","age"])");
  EXPECT_EQ(*raw.metadata.Custom(kEncryptionKeyIDKey), "master-1");
  EXPECT_EQ(*raw.metadata.Custom(kEncryptionAlgorithmKey), "AES-256-GCM");
  EXPECT_TRUE(IsEncrypted(raw.metadata));

  // Open it by hand, the way go-mink would: unwrap the DEK, then AES-GCM with
  // AAD = stream ID + "\0" + path over base64(nonce ‖ ciphertext ‖ tag).
  SecretBytes dek =
      local->DecryptDataKey(ctx, "master-1", Base64Decode(*raw.metadata.Custom(kEncryptedDEKKey)));
  const std::string box = Base64Decode(data["email"].get<std::string>());
  EXPECT_EQ(box.size(), 12u + std::string(R"("alice@example.com")").size() + 16u);
  EXPECT_EQ(AesGcmDecrypt(dek.View(), box, std::string("Customer-alice\0email", 20)),
            R"("alice@example.com")");
  EXPECT_EQ(AesGcmDecrypt(dek.View(), Base64Decode(data["age"].get<std::string>()),
                          std::string("Customer-alice\0age", 18)),
            "42");

  auto events = store->Load(ctx, "Customer-alice");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].As<CustomerCreated>(), kAlice);
  EXPECT_FALSE(IsEncrypted(events[0].Metadata()));  // decrypted events lose the markers
}

TEST_P(EncryptedStoreSuite, NestedPathsAndAbsentFields) {
  auto store = Store(Config());
  store->Append(ctx, "Customer-n", {AddressUpdated{"n", {"1 Main St", "12345", "Springfield"}}});
  auto data = RawData(*store, "Customer-n");
  EXPECT_EQ(data["address"]["city"], "Springfield");
  EXPECT_NE(data["address"]["street"], "1 Main St");
  EXPECT_EQ(*store->LoadRaw(ctx, "Customer-n", 0)[0].metadata.Custom(kEncryptedFieldsKey),
            R"(["address.street","address.zip"])");
  EXPECT_EQ(store->Load(ctx, "Customer-n")[0].As<AddressUpdated>().address.street, "1 Main St");

  // An event whose configured fields are all absent is stored unchanged, without markers.
  EventRecord absent{"AddressUpdated", R"({"customer_id":"x"})", {}};
  encryption->EncodeBatch(ctx, "Customer-x", std::span<EventRecord>(&absent, 1));
  EXPECT_EQ(absent.data, R"({"customer_id":"x"})");
  EXPECT_FALSE(IsEncrypted(absent.metadata));
}

TEST_P(EncryptedStoreSuite, OneDataKeyPerAppendBatchAndOneUnwrapPerDataKeyOnLoad) {
  auto store = Store(Config());
  for (int batch = 0; batch < 10; ++batch) {
    std::vector<Event> events;
    for (int i = 0; i < 100; ++i) {
      events.emplace_back(CustomerCreated{"c", "n", "e" + std::to_string(i), "p", i});
    }
    store->Append(ctx, "Customer-many", std::move(events));
  }
  EXPECT_EQ(provider->generate_calls.load(), 10);
  auto raw = store->LoadRaw(ctx, "Customer-many", 0);
  ASSERT_EQ(raw.size(), 1000u);
  EXPECT_EQ(*raw[0].metadata.Custom(kEncryptedDEKKey), *raw[99].metadata.Custom(kEncryptedDEKKey));
  EXPECT_NE(*raw[99].metadata.Custom(kEncryptedDEKKey),
            *raw[100].metadata.Custom(kEncryptedDEKKey));
  auto loaded = store->Load(ctx, "Customer-many");
  EXPECT_EQ(provider->decrypt_calls.load(), 10);
  EXPECT_EQ(loaded[999].As<CustomerCreated>().email, "e99");
  store->Load(ctx, "Customer-many");  // a second load is served by the cache
  EXPECT_EQ(provider->decrypt_calls.load(), 10);
}

TEST_P(EncryptedStoreSuite, KeyResolutionTenantThenSubjectThenDefault) {
  auto config = Config();
  config.subject_key_resolver = [](std::string_view s) {
    return s == "nobody" ? std::string() : "subject-" + std::string(s);
  };
  local->AddKey("subject-u1", TestMasterKey("subject-u1"));
  auto store = Store(std::move(config));
  auto key_of = [&](const std::string& stream) {
    return *store->LoadRaw(ctx, stream, 0).at(0).metadata.Custom(kEncryptionKeyIDKey);
  };
  Metadata subject;
  subject.SetReserved(kSubjectsKey, R"(["u1","u2"])");
  store->Append(ctx, "Customer-t", {kAlice}, AnyVersion, subject.WithTenantID("A"));
  EXPECT_EQ(key_of("Customer-t"), "tenant-A");
  store->Append(ctx.WithTenantID("B"), "Customer-tc", {kAlice});  // tenant from the Context
  EXPECT_EQ(key_of("Customer-tc"), "tenant-B");
  store->Append(ctx, "Customer-s", {kAlice}, AnyVersion, subject);
  EXPECT_EQ(key_of("Customer-s"), "subject-u1");
  Metadata nobody;
  nobody.SetReserved(kSubjectsKey, R"(["nobody"])");
  store->Append(ctx, "Customer-d", {kAlice}, AnyVersion, nobody);
  EXPECT_EQ(key_of("Customer-d"), "master-1");
  for (const char* s : {"Customer-t", "Customer-tc", "Customer-s", "Customer-d"}) {
    EXPECT_EQ(store->Load(ctx, s).at(0).As<CustomerCreated>(), kAlice) << s;
  }

  auto none = Config();
  none.default_key_id.clear();
  auto bare = Store(std::move(none));
  EXPECT_EQ(CodeOf([&] { bare->Append(ctx, "Customer-none", {kAlice}); }), errc::kNoEncryptionKey);
  EXPECT_TRUE(bare->Load(ctx, "Customer-none").empty());
}

TEST_P(EncryptedStoreSuite, BadInputIsATypedErrorAndNothingIsWritten) {
  auto store = Store(Config());
  store->RegisterEvents<FlatAddress>();
  const uint64_t before = store->GetLastPosition(ctx);
  // Each batch starts with a good event: none of it may be written.
  EXPECT_EQ(CodeOf([&] {
              store->Append(ctx, "Customer-bad", {kAlice, NotAnObject{"x"}});
            }),
            errc::kEncryptionFailed);
  EXPECT_EQ(CodeOf([&] {
              store->Append(ctx, "Customer-bad", {kAlice, FlatAddress{"Main St"}});
            }),
            errc::kEncryptionFailed);
  EXPECT_EQ(CodeOf([&] { store->Append(ctx.WithTenantID("unknown"), "Customer-bad", {kAlice}); }),
            errc::kKeyNotFound);
  provider->failure = Error(errc::kProviderUnavailable, "KMS answered 503");
  EXPECT_EQ(CodeOf([&] { store->Append(ctx, "Customer-bad", {kAlice}); }),
            errc::kProviderUnavailable);
  provider->failure.reset();
  EXPECT_TRUE(store->Load(ctx, "Customer-bad").empty());
  EXPECT_EQ(store->GetLastPosition(ctx), before);
  // PrepareRecords without a stream cannot bind the AAD.
  std::vector<Event> events{kAlice};
  EXPECT_EQ(CodeOf([&] { store->PrepareRecords(ctx, events); }), errc::kInvalidArgument);
  EXPECT_EQ(store->PrepareRecords(ctx, "Customer-p", events).size(), 1u);
}

// Appends `record` (as read from another stream or edited) to `stream` through the adapter.
void Plant(EventStoreAdapter& adapter, const std::string& stream, const StoredEvent& from,
           const std::string& data) {
  adapter.Append(Context{}, stream, {EventRecord{from.type, data, from.metadata}}, AnyVersion);
}

TEST_P(EncryptedStoreSuite, TamperedMovedOrMalformedCiphertextIsATypedErrorNeverGarbage) {
  auto store = Store(Config());
  store->Append(ctx, "Customer-src", {kAlice});
  const StoredEvent src = store->LoadRaw(ctx, "Customer-src", 0).at(0);
  auto data = nlohmann::json::parse(src.data);

  Plant(*adapter_, "Customer-moved", src, src.data);  // the same bytes in another stream
  EXPECT_EQ(CodeOf([&] { store->Load(ctx, "Customer-moved"); }), errc::kDecryptionFailed);

  auto swapped = data;  // email's ciphertext under phone's path
  std::swap(swapped["email"], swapped["phone"]);
  Plant(*adapter_, "Customer-src", src, swapped.dump());
  EXPECT_EQ(CodeOf([&] { store->LoadFrom(ctx, "Customer-src", 1); }), errc::kDecryptionFailed);

  auto flipped = data;
  std::string box = Base64Decode(flipped["email"].get<std::string>());
  box[20] ^= 1;
  flipped["email"] = Base64Encode(box);
  Plant(*adapter_, "Customer-flip", src, flipped.dump());
  EXPECT_EQ(CodeOf([&] { store->Load(ctx, "Customer-flip"); }), errc::kDecryptionFailed);

  auto not_b64 = data;
  not_b64["email"] = "***";
  Plant(*adapter_, "Customer-b64", src, not_b64.dump());
  EXPECT_EQ(CodeOf([&] { store->Load(ctx, "Customer-b64"); }), errc::kDecryptionFailed);

  StoredEvent meta = src;
  meta.metadata.SetReserved(kEncryptedDEKKey, "not base64!");
  Plant(*adapter_, "Customer-dek", meta, src.data);
  EXPECT_EQ(CodeOf([&] { store->Load(ctx, "Customer-dek"); }), errc::kDecryptionFailed);

  meta = src;
  meta.metadata.SetReserved(kEncryptionAlgorithmKey, "ROT13");
  Plant(*adapter_, "Customer-alg", meta, src.data);
  EXPECT_EQ(CodeOf([&] { store->Load(ctx, "Customer-alg"); }), errc::kUnsupportedAlgorithm);

  meta = src;  // another master key's ID: the wrapped key does not open under it
  meta.metadata.SetReserved(kEncryptionKeyIDKey, "tenant-A");
  Plant(*adapter_, "Customer-key", meta, src.data);
  EXPECT_EQ(CodeOf([&] { store->Load(ctx, "Customer-key"); }), errc::kDecryptionFailed);

  meta.metadata.SetReserved(kEncryptionKeyIDKey, "no-such-key");
  Plant(*adapter_, "Customer-nokey", meta, src.data);
  EXPECT_EQ(CodeOf([&] { store->Load(ctx, "Customer-nokey"); }), errc::kKeyNotFound);

  // The original still loads.
  EXPECT_EQ(store->ProcessStoredEvent(ctx, src).As<CustomerCreated>(), kAlice);
}

TEST_P(EncryptedStoreSuite, CryptoShreddingOnLoadLoadAggregateAndSubscriptions) {
  auto config = Config();
  auto strict = Store(config);  // no handler: a revoked key is an error
  auto strict_encryption = encryption;
  config.on_decryption_error = SkipRevokedKeys;
  auto shredding = Store(config);

  strict->Append(ctx.WithTenantID("A"), "Customer-alice", {kAlice});
  strict->Append(ctx.WithTenantID("B"), "Customer-bob", {kBob});
  strict->Append(ctx.WithTenantID("B"), "Customer-bob",
                 {AddressUpdated{"bob", {"2 Elm St", "999", "Shelbyville"}}});
  strict->Append(ctx.WithTenantID("A"), "Customer-alice",
                 {AddressUpdated{"alice", {"1 Main St", "123", "Springfield"}}});
  EXPECT_EQ(strict->Load(ctx, "Customer-bob").at(0).As<CustomerCreated>().email, kBob.email);

  strict_encryption->RevokeKey(ctx, "tenant-B");  // purges the cache at once

  try {
    strict->Load(ctx, "Customer-bob");
    FAIL();
  } catch (const KeyError& e) {
    EXPECT_EQ(e.code(), errc::kKeyRevoked);
    EXPECT_EQ(e.KeyID(), "tenant-B");
  }
  EXPECT_EQ(strict->Load(ctx, "Customer-alice").at(0).As<CustomerCreated>().email, kAlice.email);

  auto bob = shredding->Load(ctx, "Customer-bob");
  ASSERT_EQ(bob.size(), 2u);
  // "age" is ciphertext (a string) where the type wants a number: the shredded event comes
  // out as raw JSON rather than failing the load.
  EXPECT_TRUE(bob[0].IsRaw());
  EXPECT_EQ(bob[0].Json()["name"], "Bob Jones");  // clear fields stay readable
  EXPECT_NE(bob[0].Json()["email"], kBob.email);  // ciphertext, kept as stored
  EXPECT_TRUE(IsEncrypted(bob[0].Metadata()));
  // One whose sealed fields are all strings still decodes into its type.
  EXPECT_NE(bob[1].As<AddressUpdated>().address.street, "2 Elm St");
  EXPECT_EQ(bob[1].As<AddressUpdated>().address.city, "Shelbyville");

  Customer agg("bob");
  shredding->LoadAggregate(ctx, agg);
  EXPECT_EQ(agg.Version(), 2);
  EXPECT_EQ(agg.raw, 1);
  EXPECT_NE(agg.street, "2 Elm St");
  EXPECT_EQ(CodeOf([&] {
              Customer strict_agg("bob");
              strict->LoadAggregate(ctx, strict_agg);
            }),
            errc::kKeyRevoked);

  // A subscription carries on past shredded events: every event reaches the handler.
  auto sub = shredding->SubscribeAll(ctx, 0);
  int delivered = 0;
  int shredded = 0;
  for (int i = 0; i < 4; ++i) {
    auto e = sub->Next(ctx.WithTimeout(std::chrono::seconds(10)));
    ASSERT_TRUE(e.has_value());
    bool revoked = false;
    try {
      strict->ProcessStoredEvent(ctx, *e);
    } catch (const Error& err) {
      revoked = err.Is(errc::kKeyRevoked);
    }
    EXPECT_EQ(revoked, e->stream_id == "Customer-bob");
    Event ev = shredding->ProcessStoredEvent(ctx, *e);
    ++delivered;
    if (IsEncrypted(ev.Metadata())) ++shredded;
  }
  EXPECT_EQ(delivered, 4);
  EXPECT_EQ(shredded, 2);
  auto stream_sub = shredding->SubscribeStream(ctx, "Customer-bob", 0);
  for (int i = 0; i < 2; ++i) {
    auto e = stream_sub->Next(ctx.WithTimeout(std::chrono::seconds(10)));
    ASSERT_TRUE(e.has_value());
    EXPECT_NO_THROW(shredding->ProcessStoredEvent(ctx, *e));
  }
  EXPECT_NE(log_text.str().find("kept encrypted: KeyRevoked"), std::string::npos);
}

TEST_P(EncryptedStoreSuite, ARevocationElsewhereIsNoticedWithinTheCacheTtl) {
  auto config = Config();
  config.cache.ttl = std::chrono::minutes(1);
  auto store = Store(config);
  store->Append(ctx.WithTenantID("B"), "Customer-bob", {kBob});
  store->Load(ctx, "Customer-bob");
  local->RevokeKey(ctx, "tenant-B");  // behind the FieldEncryption's back
  EXPECT_EQ(store->Load(ctx, "Customer-bob").at(0).As<CustomerCreated>().email, kBob.email);
  clock.Advance(std::chrono::minutes(1));
  EXPECT_EQ(CodeOf([&] { store->Load(ctx, "Customer-bob"); }), errc::kKeyRevoked);
}

TEST_P(EncryptedStoreSuite, DecryptionRunsBeforeUpcasting) {
  auto chain = std::make_shared<UpcasterChain>();
  chain->Register(MakeUpcaster("CustomerCreated", 1, 2, [](nlohmann::json d) {
    d["email"] = "upcast:" + d["email"].get<std::string>();  // sees plaintext
    return d;
  }));
  encryption = std::make_shared<FieldEncryption>(Config());
  EventStore v1(adapter_, {.field_transform = encryption});
  v1.Append(ctx, "Customer-up", {kAlice});
  EventStore v2(adapter_, {.upcasters = chain, .field_transform = encryption});
  v2.RegisterEvents<CustomerCreated>();
  EXPECT_EQ(v2.Load(ctx, "Customer-up").at(0).As<CustomerCreated>().email,
            "upcast:alice@example.com");
}

TEST_P(EncryptedStoreSuite, APlantedPiiMarkerNeverLeaksIntoStorageErrorsOrLogs) {
  const std::string marker = "PII-MARKER-9f1c2e";
  auto config = Config();
  config.on_decryption_error = SkipRevokedKeys;
  auto store = Store(config);
  store->RegisterEvents<FlatAddress>();
  CustomerCreated c{"m", "Clear Name", marker + "@example.com", marker, 1};
  store->Append(ctx.WithTenantID("B"), "Customer-m", {c});
  store->Append(ctx, "Customer-m2", {AddressUpdated{"m", {marker + " street", marker, "City"}}});
  std::vector<std::string> texts;
  for (const char* s : {"Customer-m", "Customer-m2"}) {
    for (const StoredEvent& e : store->LoadRaw(ctx, s, 0)) {
      texts.push_back(e.data);
      texts.push_back(nlohmann::json(e.metadata).dump());
    }
  }
  // Every failure path, with the marker in play.
  auto error_of = [&](auto&& f) -> std::string {
    try {
      f();
    } catch (const std::exception& e) {
      return e.what();
    }
    return "no error";
  };
  texts.push_back(error_of([&] { store->Append(ctx, "Customer-x", {c, FlatAddress{marker}}); }));
  const StoredEvent src = store->LoadRaw(ctx, "Customer-m", 0).at(0);
  auto moved = nlohmann::json::parse(src.data);
  std::swap(moved["email"], moved["phone"]);
  Plant(*adapter_, "Customer-swapped", src, moved.dump());
  texts.push_back(error_of([&] { store->Load(ctx, "Customer-swapped"); }));
  encryption->RevokeKey(ctx, "tenant-B");
  texts.push_back(error_of([&] { store->Load(ctx, "Customer-m"); }));  // skipped, logged
  logger->flush();
  texts.push_back(log_text.str());
  EXPECT_NE(log_text.str().find("kept encrypted"), std::string::npos);
  for (const std::string& t : texts) EXPECT_EQ(t.find(marker), std::string::npos) << t;
}

}  // namespace
}  // namespace mink::testing

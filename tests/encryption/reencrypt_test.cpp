// ReEncryptStream: copies under a new key, resumes after an interruption, is idempotent, and
// refuses to copy shredded data or into a stream that is not a copy.
#include "mink/encryption/reencrypt.hpp"

#include <gtest/gtest.h>

#include "encryption/encryption_test_support.hpp"
#include "mink/memory/adapter.hpp"
#include "support/error_code.hpp"

namespace mink::testing {
namespace {

class ReEncryptTest : public ::testing::Test {
 protected:
  ReEncryptTest() {
    local->AddKey("old", TestMasterKey("old"));
    local->AddKey("new", TestMasterKey("new"));
    FieldEncryptionConfig c{.provider = local, .default_key_id = "old"};
    c.EncryptFields("CustomerCreated", {"email"});
    encryption = std::make_shared<FieldEncryption>(std::move(c));
    store = std::make_unique<EventStore>(adapter, EventStoreOptions{.field_transform = encryption});
    store->RegisterEvents<CustomerCreated>();
  }
  void AppendFive(const std::string& stream) {
    for (int i = 0; i < 5; ++i) {
      store->Append(ctx, stream, {CustomerCreated{"c", "n", "m" + std::to_string(i), "p", i}});
    }
  }
  std::shared_ptr<LocalProvider> local = std::make_shared<LocalProvider>();
  std::shared_ptr<memory::Adapter> adapter = std::make_shared<memory::Adapter>();
  std::shared_ptr<FieldEncryption> encryption;
  std::unique_ptr<EventStore> store;
  Context ctx;
};

TEST_F(ReEncryptTest, CopiesUnderTheNewKeyResumesAndIsIdempotent) {
  EventStore& enc = *store;
  AppendFive("Customer-e");
  auto first = ReEncryptStream(ctx, enc, *encryption, "Customer-e", "Customer-e2",
                               {.key_id = "new", .batch_size = 2});
  EXPECT_EQ(first.copied, 5);
  EXPECT_EQ(first.old_key_ids, std::set<std::string>{"old"});
  for (const StoredEvent& e : enc.LoadRaw(ctx, "Customer-e2", 0)) {
    EXPECT_EQ(GetEncryptionKeyID(e.metadata), "new");
  }
  local->RevokeKey(ctx, "old");  // the copy no longer needs it
  auto copy = enc.Load(ctx, "Customer-e2");
  ASSERT_EQ(copy.size(), 5u);
  EXPECT_EQ(copy[4].As<CustomerCreated>().email, "m4");
  // Running again copies nothing.
  auto again = ReEncryptStream(ctx, enc, *encryption, "Customer-e2", "Customer-e3",
                               {.key_id = "new", .batch_size = 2});
  EXPECT_EQ(again.copied, 5);
  auto idem =
      ReEncryptStream(ctx, enc, *encryption, "Customer-e2", "Customer-e3", {.key_id = "new"});
  EXPECT_EQ(idem.copied, 0);
  EXPECT_EQ(idem.already_copied, 5);
}

TEST_F(ReEncryptTest, ResumesFromWhatTheTargetAlreadyHolds) {
  EventStore& enc = *store;
  AppendFive("Customer-r");
  // Simulate a run that stopped after 2 events: copy them, then resume.
  auto first = enc.LoadRaw(ctx, "Customer-r", 0);
  std::vector<EventRecord> two;
  for (int i = 0; i < 2; ++i) {
    StoredEvent s = first[i];
    encryption->DecodeStrict(ctx, s);
    two.push_back(EventRecord{s.type, s.data, s.metadata});
  }
  encryption->EncodeBatchWithKey(ctx, "Customer-r2", two, "new");
  adapter->Append(ctx, "Customer-r2", two, NoStream);
  auto rest =
      ReEncryptStream(ctx, enc, *encryption, "Customer-r", "Customer-r2", {.key_id = "new"});
  EXPECT_EQ(rest.already_copied, 2);
  EXPECT_EQ(rest.copied, 3);
  auto copy = enc.Load(ctx, "Customer-r2");
  ASSERT_EQ(copy.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(copy[i].As<CustomerCreated>().email, "m" + std::to_string(i));
  }
}

TEST_F(ReEncryptTest, RefusesShreddedSourcesAndForeignTargets) {
  EventStore& enc = *store;
  enc.Append(ctx, "Customer-s", {CustomerCreated{"s", "n", "m", "p", 1}});
  adapter->Append(ctx, "Other", {EventRecord{"Else", "{}", {}}}, NoStream);
  EXPECT_EQ(CodeOf([&] { ReEncryptStream(ctx, enc, *encryption, "Customer-s", "Other"); }),
            errc::kInvalidArgument);
  EXPECT_EQ(CodeOf([&] { ReEncryptStream(ctx, enc, *encryption, "Customer-s", "Customer-s"); }),
            errc::kInvalidArgument);
  local->RevokeKey(ctx, "old");
  EXPECT_EQ(CodeOf([&] { ReEncryptStream(ctx, enc, *encryption, "Customer-s", "Customer-s2"); }),
            errc::kKeyRevoked);
  EXPECT_TRUE(enc.LoadRaw(ctx, "Customer-s2", 0).empty());
}

}  // namespace
}  // namespace mink::testing

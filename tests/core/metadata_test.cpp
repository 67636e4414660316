#include "mink/es/metadata.hpp"

#include <gtest/gtest.h>

#include "mink/es/stream_id.hpp"
#include "mink/es/version.hpp"
#include "mink/uuid.hpp"

namespace mink {
namespace {

TEST(Metadata, BuildersReturnModifiedCopies) {
  Metadata base;
  EXPECT_TRUE(base.IsEmpty());
  Metadata m =
      base.WithCorrelationID("c").WithCausationID("k").WithUserID("u").WithTenantID("t").WithCustom(
          "region", "eu");
  EXPECT_TRUE(base.IsEmpty());
  EXPECT_EQ(m.correlation_id, "c");
  EXPECT_EQ(m.causation_id, "k");
  EXPECT_EQ(m.user_id, "u");
  EXPECT_EQ(m.tenant_id, "t");
  ASSERT_NE(m.Custom("region"), nullptr);
  EXPECT_EQ(*m.Custom("region"), "eu");
}

TEST(Metadata, DollarKeysAreReservedForTheLibrary) {
  Metadata m;
  EXPECT_THROW(m.SetCustom("$schema_version", "9"), Error);
  EXPECT_THROW(m.SetCustom("", "x"), Error);
  EXPECT_TRUE(m.CustomMap().empty());
  m.SetReserved(kSchemaVersionKey, "2");
  EXPECT_EQ(*m.Custom("$schema_version"), "2");
  EXPECT_THROW(m.SetReserved("region", "eu"), Error) << "SetReserved writes only '$' keys";
  EXPECT_FALSE(m.EraseCustom("$schema_version"));
  EXPECT_EQ(*m.Custom("$schema_version"), "2");
}

// Regression (issue 9, item 10): `custom` was a public map, so `m.custom["$schema_version"]`
// skipped SetCustom's check. The map is private now; this fails to compile if it is public.
template <class M>
concept HasPublicCustomMap = requires(M m) {
  m.custom;
};
static_assert(!HasPublicCustomMap<Metadata>, "Metadata's custom map must not be public");

TEST(Metadata, JsonUsesGoMinkKeysAndOmitsEmptyMembers) {
  Metadata m = Metadata{}.WithCorrelationID("c").WithCustom("k", "v");
  nlohmann::json j = m;
  EXPECT_EQ(j, nlohmann::json::parse(R"({"correlationId":"c","custom":{"k":"v"}})"));
  EXPECT_EQ(j.get<Metadata>(), m);
  EXPECT_EQ(nlohmann::json(Metadata{}).dump(), "{}");
}

TEST(Metadata, ReadingToleratesForeignShapes) {
  auto m =
      nlohmann::json::parse(R"({"tenantId":"t","userId":5,"custom":{"n":3,"s":"x"},"other":1})")
          .get<Metadata>();
  EXPECT_EQ(m.tenant_id, "t");
  EXPECT_EQ(m.user_id, "");
  EXPECT_EQ(m.CustomMap().at("n"), "3");
  EXPECT_EQ(m.CustomMap().at("s"), "x");
  EXPECT_TRUE(nlohmann::json::array().get<Metadata>().IsEmpty());
}

TEST(StreamIDs, BuildParseAndCategory) {
  EXPECT_EQ(BuildStreamID("Order", "123"), "Order-123");
  StreamID id = ParseStreamID("Order-abc-def");
  EXPECT_EQ(id.category, "Order");
  EXPECT_EQ(id.id, "abc-def");
  EXPECT_EQ(id.String(), "Order-abc-def");
  EXPECT_EQ(ExtractCategory("Order-1"), "Order");
  EXPECT_EQ(ExtractCategory("plain"), "plain");
  for (const char* bad : {"", "Order", "-1", "Order-"}) {
    try {
      ParseStreamID(bad);
      FAIL() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), errc::kInvalidStreamID);
    }
  }
}

TEST(Versions, CheckVersionFollowsGoMink) {
  EXPECT_NO_THROW(CheckVersion("s", AnyVersion, 7, true));
  EXPECT_NO_THROW(CheckVersion("s", NoStream, 0, false));
  EXPECT_THROW(CheckVersion("s", NoStream, 3, true), ConcurrencyError);
  EXPECT_THROW(CheckVersion("s", StreamExists, 0, false), StreamNotFoundError);
  EXPECT_NO_THROW(CheckVersion("s", StreamExists, 2, true));
  EXPECT_THROW(CheckVersion("s", 5, 0, false), ConcurrencyError);
  EXPECT_NO_THROW(CheckVersion("s", 4, 4, true));
  try {
    CheckVersion("s", -3, 0, false);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), errc::kInvalidVersion);
  }
}

TEST(UUID, IsVersion4AndUnique) {
  std::string a = NewUUID(), b = NewUUID();
  ASSERT_EQ(a.size(), 36u);
  EXPECT_NE(a, b);
  EXPECT_EQ(a[14], '4');
  EXPECT_NE(std::string("89ab").find(a[19]), std::string::npos);
  EXPECT_EQ(a[8], '-');
  EXPECT_EQ(a[23], '-');
}

TEST(Errors, CarryCodesAndFields) {
  ConcurrencyError e("Order-1", 2, 3);
  EXPECT_EQ(e.code(), errc::kConcurrencyConflict);
  EXPECT_TRUE(e.Is(errc::kConcurrencyConflict));
  EXPECT_STREQ(e.what(),
               "mink: concurrency conflict on stream \"Order-1\": expected version 2, got 3");
  EXPECT_EQ(ErrorCodeName(e.code()), "ConcurrencyConflict");
}

}  // namespace
}  // namespace mink

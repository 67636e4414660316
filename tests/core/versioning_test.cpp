#include "mink/es/upcasting.hpp"

#include <gtest/gtest.h>

namespace mink {
namespace {

std::shared_ptr<const Upcaster> Rename(int from, const char* old_name, const char* new_name) {
  return MakeUpcaster("Thing", from, from + 1, [=](nlohmann::json d) {
    d[new_name] = d[old_name];
    d.erase(old_name);
    return d;
  });
}

TEST(SchemaVersion, DefaultsToOneAndRoundTrips) {
  Metadata m;
  EXPECT_EQ(GetSchemaVersion(m), 1);
  SetSchemaVersion(m, 3);
  EXPECT_EQ(GetSchemaVersion(m), 3);
  for (const char* bad : {"x", "0", "-2", "2x", ""}) {
    m.SetReserved(kSchemaVersionKey, bad);
    EXPECT_EQ(GetSchemaVersion(m), 1) << bad;
  }
}

TEST(UpcasterChain, UpgradesStepByStep) {
  UpcasterChain chain;
  chain.Register(Rename(2, "b", "c"));
  chain.Register(Rename(1, "a", "b"));
  EXPECT_NO_THROW(chain.Validate());
  EXPECT_TRUE(chain.HasUpcasters("Thing"));
  EXPECT_EQ(chain.LatestVersion("Thing"), 3);
  EXPECT_EQ(chain.LatestVersion("Other"), 1);
  auto [data, version] = chain.Upcast("Thing", 1, nlohmann::json{{"a", 7}}, {});
  EXPECT_EQ(version, 3);
  EXPECT_EQ(data, (nlohmann::json{{"c", 7}}));
  auto [d2, v2] = chain.Upcast("Thing", 2, nlohmann::json{{"b", 8}}, {});
  EXPECT_EQ(v2, 3);
  EXPECT_EQ(d2, (nlohmann::json{{"c", 8}}));
  // Newer than latest and unknown types pass through.
  auto [d3, v3] = chain.Upcast("Thing", 5, nlohmann::json{{"z", 1}}, {});
  EXPECT_EQ(v3, 5);
  EXPECT_EQ(d3, (nlohmann::json{{"z", 1}}));
  EXPECT_EQ(chain.Upcast("Other", 1, nlohmann::json{{"q", 1}}, {}).first["q"], 1);
}

TEST(UpcasterChain, RegisterRejectsBadSteps) {
  UpcasterChain chain;
  auto code = [&](std::shared_ptr<const Upcaster> u) {
    try {
      chain.Register(std::move(u));
    } catch (const Error& e) {
      return e.code();
    }
    return errc::kUnknown;
  };
  EXPECT_EQ(code(MakeUpcaster("T", 1, 3, [](nlohmann::json d) { return d; })),
            errc::kInvalidUpcaster);
  EXPECT_EQ(code(MakeUpcaster("T", 0, 1, [](nlohmann::json d) { return d; })),
            errc::kInvalidUpcaster);
  EXPECT_EQ(code(nullptr), errc::kInvalidUpcaster);
  chain.Register(MakeUpcaster("T", 1, 2, [](nlohmann::json d) { return d; }));
  EXPECT_EQ(code(MakeUpcaster("T", 1, 2, [](nlohmann::json d) { return d; })),
            errc::kInvalidUpcaster);
}

TEST(UpcasterChain, AGapIsATypedError) {
  UpcasterChain chain;
  chain.Register(Rename(1, "a", "b"));
  chain.Register(Rename(3, "c", "d"));
  try {
    chain.Validate();
    FAIL();
  } catch (const UpcastError& e) {
    EXPECT_EQ(e.code(), errc::kSchemaVersionGap);
    EXPECT_EQ(e.FromVersion(), 3 - 1);
  }
  try {
    chain.Upcast("Thing", 1, nlohmann::json{{"a", 1}}, {});
    FAIL();
  } catch (const UpcastError& e) {
    EXPECT_EQ(e.code(), errc::kSchemaVersionGap);
    EXPECT_EQ(e.EventType(), "Thing");
    EXPECT_EQ(e.FromVersion(), 2);
  }
}

TEST(UpcasterChain, AFailingUpcasterIsATypedError) {
  UpcasterChain chain;
  chain.Register(MakeUpcaster("T", 1, 2, [](nlohmann::json d, const Metadata&) -> nlohmann::json {
    return d.at("missing");  // throws
  }));
  try {
    chain.Upcast("T", 1, nlohmann::json::object(), {});
    FAIL();
  } catch (const UpcastError& e) {
    EXPECT_EQ(e.code(), errc::kUpcastFailed);
    EXPECT_EQ(e.FromVersion(), 1);
  }
}

}  // namespace
}  // namespace mink

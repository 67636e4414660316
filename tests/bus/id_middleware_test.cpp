// CorrelationIDMiddleware, CausationIDMiddleware and TenantMiddleware.
#include <gtest/gtest.h>

#include "bus/test_commands.hpp"

namespace mink::testing {
namespace {

struct Seen {
  std::string correlation, causation, tenant, command_id;
};

// A bus whose CreateOrder handler records the IDs on its context.
struct Fixture {
  CommandBus bus;
  Seen seen;
  Fixture() {
    bus.RegisterFunc("CreateOrder", [this](const Context& ctx, const AnyCommand& cmd) {
      seen = {ctx.CorrelationID(), ctx.CausationID(), ctx.TenantID(), cmd.Base().GetCommandID()};
      return NewSuccessResult("", 0);
    });
  }
};

CreateOrder Order(std::string correlation = "", std::string causation = "",
                  std::string tenant = "") {
  CreateOrder cmd{.customer_id = "c"};
  cmd.SetCorrelationID(std::move(correlation));
  cmd.SetCausationID(std::move(causation));
  cmd.SetTenantID(std::move(tenant));
  return cmd;
}

TEST(CorrelationIDMiddleware, GeneratesAUuidWhenNothingIsSet) {
  Fixture f;
  f.bus.Use(CorrelationIDMiddleware());
  f.bus.Dispatch(Context{}, Order());
  const std::string first = f.seen.correlation;
  EXPECT_EQ(first.size(), 36u);
  EXPECT_EQ(first[14], '4');  // version 4
  f.bus.Dispatch(Context{}, Order());
  EXPECT_NE(f.seen.correlation, first);
}

TEST(CorrelationIDMiddleware, CommandValueBeatsTheGeneratorAndContextBeatsBoth) {
  Fixture f;
  f.bus.Use(CorrelationIDMiddleware([] { return std::string("generated"); }));
  f.bus.Dispatch(Context{}, Order());
  EXPECT_EQ(f.seen.correlation, "generated");
  f.bus.Dispatch(Context{}, Order("from-command"));
  EXPECT_EQ(f.seen.correlation, "from-command");
  f.bus.Dispatch(Context{}.WithCorrelationID("from-context"), Order("from-command"));
  EXPECT_EQ(f.seen.correlation, "from-context");
}

TEST(CausationIDMiddleware, UsesTheCommandsCausationElseContextElseItsId) {
  Fixture f;
  f.bus.Use(CausationIDMiddleware());
  f.bus.Dispatch(Context{}, Order());
  EXPECT_EQ(f.seen.causation, f.seen.command_id);
  f.bus.Dispatch(Context{}.WithCausationID("ctx-cause"), Order());
  EXPECT_EQ(f.seen.causation, "ctx-cause");
  f.bus.Dispatch(Context{}.WithCausationID("ctx-cause"), Order("", "cmd-cause"));
  EXPECT_EQ(f.seen.causation, "cmd-cause");
}

TEST(TenantMiddleware, TakesTheCommandsTenantByDefaultAndKeepsTheContexts) {
  Fixture f;
  f.bus.Use(TenantMiddleware());
  f.bus.Dispatch(Context{}, Order("", "", "tenant-a"));
  EXPECT_EQ(f.seen.tenant, "tenant-a");
  f.bus.Dispatch(Context{}.WithTenantID("tenant-ctx"), Order("", "", "tenant-a"));
  EXPECT_EQ(f.seen.tenant, "tenant-ctx");
  f.bus.Dispatch(Context{}, Order());
  EXPECT_EQ(f.seen.tenant, "");
}

TEST(TenantMiddleware, ResolverAndRequired) {
  Fixture f;
  f.bus.Use(TenantMiddleware(
      [](const Context& ctx, const AnyCommand&) {
        const std::string* t = ctx.Value<std::string>("tenant-header");
        return t ? *t : std::string();
      },
      /*required=*/true));
  f.bus.Dispatch(Context{}.WithValue(std::string("tenant-header"), std::string("t-9")), Order());
  EXPECT_EQ(f.seen.tenant, "t-9");
  try {
    f.bus.Dispatch(Context{}, Order());
    FAIL();
  } catch (const ValidationError& e) {
    EXPECT_EQ(e.Field(), "tenantId");
    EXPECT_EQ(e.CommandType(), "CreateOrder");
  }
}

}  // namespace
}  // namespace mink::testing

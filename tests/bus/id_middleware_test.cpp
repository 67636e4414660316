// CorrelationIDMiddleware, CausationIDMiddleware and TenantMiddleware — in both pipeline forms
// (support/both_forms.hpp).
#include <gtest/gtest.h>

#include "bus/test_commands.hpp"
#include "support/both_forms.hpp"

namespace mink::testing {
namespace {

struct Seen {
  std::string correlation, causation, tenant, command_id;
};

// A bus with middleware `ms` whose CreateOrder handler records the IDs on its context.
class RecordingTest : public BothFormsTest {
 protected:
  template <class... Ms>
  auto MakeRecording(Ms... ms) {
    auto f = Make(std::move(ms)...);
    f->template Handle<CreateOrder>([this](const Context& ctx, const CreateOrder& cmd) {
      seen = {ctx.CorrelationID(), ctx.CausationID(), ctx.TenantID(), cmd.GetCommandID()};
      return NewSuccessResult("", 0);
    });
    return f;
  }
  Seen seen;
};
class CorrelationIDMiddlewareTest : public RecordingTest {};
class CausationIDMiddlewareTest : public RecordingTest {};
class TenantMiddlewareTest : public RecordingTest {};
INSTANTIATE_BOTH_FORMS(CorrelationIDMiddlewareTest);
INSTANTIATE_BOTH_FORMS(CausationIDMiddlewareTest);
INSTANTIATE_BOTH_FORMS(TenantMiddlewareTest);

CreateOrder Order(std::string correlation = "", std::string causation = "",
                  std::string tenant = "") {
  CreateOrder cmd{.customer_id = "c"};
  cmd.SetCorrelationID(std::move(correlation));
  cmd.SetCausationID(std::move(causation));
  cmd.SetTenantID(std::move(tenant));
  return cmd;
}

TEST_P(CorrelationIDMiddlewareTest, GeneratesAUuidWhenNothingIsSet) {
  auto f = MakeRecording(CorrelationIDMiddleware());
  f->bus.Dispatch(Context{}, Order());
  const std::string first = seen.correlation;
  EXPECT_EQ(first.size(), 36u);
  EXPECT_EQ(first[14], '4');  // version 4
  f->bus.Dispatch(Context{}, Order());
  EXPECT_NE(seen.correlation, first);
}

TEST_P(CorrelationIDMiddlewareTest, CommandValueBeatsTheGeneratorAndContextBeatsBoth) {
  auto f = MakeRecording(CorrelationIDMiddleware([] { return std::string("generated"); }));
  f->bus.Dispatch(Context{}, Order());
  EXPECT_EQ(seen.correlation, "generated");
  f->bus.Dispatch(Context{}, Order("from-command"));
  EXPECT_EQ(seen.correlation, "from-command");
  f->bus.Dispatch(Context{}.WithCorrelationID("from-context"), Order("from-command"));
  EXPECT_EQ(seen.correlation, "from-context");
}

TEST_P(CausationIDMiddlewareTest, UsesTheCommandsCausationElseContextElseItsId) {
  auto f = MakeRecording(CausationIDMiddleware());
  f->bus.Dispatch(Context{}, Order());
  EXPECT_EQ(seen.causation, seen.command_id);
  f->bus.Dispatch(Context{}.WithCausationID("ctx-cause"), Order());
  EXPECT_EQ(seen.causation, "ctx-cause");
  f->bus.Dispatch(Context{}.WithCausationID("ctx-cause"), Order("", "cmd-cause"));
  EXPECT_EQ(seen.causation, "cmd-cause");
}

TEST_P(TenantMiddlewareTest, TakesTheCommandsTenantByDefaultAndKeepsTheContexts) {
  auto f = MakeRecording(TenantMiddleware());
  f->bus.Dispatch(Context{}, Order("", "", "tenant-a"));
  EXPECT_EQ(seen.tenant, "tenant-a");
  f->bus.Dispatch(Context{}.WithTenantID("tenant-ctx"), Order("", "", "tenant-a"));
  EXPECT_EQ(seen.tenant, "tenant-ctx");
  f->bus.Dispatch(Context{}, Order());
  EXPECT_EQ(seen.tenant, "");
}

TEST_P(TenantMiddlewareTest, ResolverAndRequired) {
  auto f = MakeRecording(TenantMiddleware(
      [](const Context& ctx, const AnyCommand&) {
        const std::string* t = ctx.Value<std::string>("tenant-header");
        return t ? *t : std::string();
      },
      /*required=*/true));
  f->bus.Dispatch(Context{}.WithValue(std::string("tenant-header"), std::string("t-9")), Order());
  EXPECT_EQ(seen.tenant, "t-9");
  try {
    f->bus.Dispatch(Context{}, Order());
    FAIL();
  } catch (const ValidationError& e) {
    EXPECT_EQ(e.Field(), "tenantId");
    EXPECT_EQ(e.CommandType(), "CreateOrder");
  }
}

// go-mink's TenantMiddleware(func(ctx) string) shape, as ported from the seed's page: the tenant
// put on the context with a string literal is found (issue 9, item 12: both had no
// counterpart / missed the value before).
TEST_P(TenantMiddlewareTest, ContextOnlyResolverAsInGoMink) {
  auto f = MakeRecording(TenantMiddleware([](const Context& ctx) {
    const std::string* t = ctx.Value<std::string>("tenantID");
    return t ? *t : std::string();
  }));
  f->bus.Dispatch(Context{}.WithValue("tenantID", "acme"), Order());
  EXPECT_EQ(seen.tenant, "acme");
  f->bus.Dispatch(Context{}.WithTenantID("kept"), Order());
  EXPECT_EQ(seen.tenant, "kept");
  auto required = MakeRecording(TenantMiddleware([](const Context&) { return std::string(); },
                                                 /*required=*/true));
  EXPECT_THROW(required->bus.Dispatch(Context{}, Order()), ValidationError);
}

}  // namespace
}  // namespace mink::testing

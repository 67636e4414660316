#include "mink/context.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <thread>

namespace mink {
namespace {

using namespace std::chrono_literals;

TEST(Context, BackgroundIsNeverDone) {
  Context ctx;
  EXPECT_FALSE(ctx.Done());
  EXPECT_FALSE(ctx.Err().has_value());
  EXPECT_NO_THROW(ctx.ThrowIfDone());
}

TEST(Context, CancelStopsTheChildAndItsDescendantsButNotTheParent) {
  Context parent;
  auto [child, cancel] = parent.WithCancel();
  auto [grandchild, cancel2] = child.WithCancel();
  Context valued = grandchild.WithCorrelationID("c");
  cancel();
  EXPECT_TRUE(child.Cancelled());
  EXPECT_TRUE(grandchild.Cancelled());
  EXPECT_TRUE(valued.Cancelled());
  EXPECT_FALSE(parent.Done());
  EXPECT_EQ(child.Err(), errc::kCancelled);
  try {
    grandchild.ThrowIfDone();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), errc::kCancelled);
  }
}

// Regression: a grandchild must follow its root even after the intermediate Context and its
// CancelFunc are gone (the intermediate link used to die with them).
TEST(Context, CancellationReachesDescendantsWhoseAncestorsWereDropped) {
  auto [root, cancel_root] = Context{}.WithCancel();
  Context grandchild = [&root = root] {
    auto [intermediate, cancel_intermediate] = root.WithCancel();
    return intermediate.WithCancel().first;
  }();
  EXPECT_FALSE(grandchild.Done());
  cancel_root();
  EXPECT_TRUE(grandchild.Cancelled());
}

TEST(Context, WithoutCancelKeepsIdsButNotCancellationOrDeadline) {
  auto [ctx, cancel] = Context{}.WithCorrelationID("c").WithValue("k", 7).WithCancel();
  Context timed = ctx.WithTimeout(std::chrono::milliseconds(1));
  cancel();
  Context detached = timed.WithoutCancel();
  EXPECT_TRUE(timed.Done());
  EXPECT_FALSE(detached.Done());
  EXPECT_FALSE(detached.Deadline().has_value());
  EXPECT_EQ(detached.CorrelationID(), "c");
  EXPECT_EQ(*detached.Value<int>("k"), 7);
}

TEST(Context, CancellingAChildLeavesTheParentLive) {
  auto [parent, cancel_parent] = Context{}.WithCancel();
  auto [child, cancel_child] = parent.WithCancel();
  cancel_child();
  EXPECT_TRUE(child.Done());
  EXPECT_FALSE(parent.Done());
}

// No sleeps: "not yet" is judged against a far deadline, "passed" against one already past, and
// a short timeout is waited out with SleepFor, which returns at the deadline.
TEST(Context, DeadlineExpiresAndTheEarlierDeadlineWins) {
  Context ctx = Context{}.WithTimeout(1h);
  Context later = ctx.WithTimeout(2h);
  EXPECT_EQ(later.Deadline(), ctx.Deadline());
  EXPECT_FALSE(ctx.Done());
  EXPECT_FALSE(ctx.Err().has_value());

  Context past = ctx.WithDeadline(Context::Clock::now() - 1ms);
  Context child = past.WithTimeout(1h);
  EXPECT_TRUE(past.Done());
  EXPECT_TRUE(child.Done()) << "a child never outlives its parent's deadline";
  EXPECT_EQ(past.Err(), errc::kDeadlineExceeded);
  EXPECT_FALSE(ctx.Done()) << "the parent keeps its own deadline";

  Context brief = Context{}.WithTimeout(1ms);
  EXPECT_FALSE(brief.SleepFor(1h)) << "SleepFor ends at the deadline, reporting it";
  EXPECT_TRUE(brief.Done());
  EXPECT_EQ(brief.Err(), errc::kDeadlineExceeded);
}

TEST(Context, SleepForReturnsEarlyOnCancel) {
  auto [ctx, cancel] = Context{}.WithCancel();
  std::thread t([c = cancel] {
    std::this_thread::sleep_for(20ms);
    c();
  });
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(ctx.SleepFor(30s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
  t.join();
  EXPECT_TRUE(Context{}.SleepFor(1ms));
}

TEST(Context, IdsAndValuesAreCopyOnWrite) {
  Context a = Context{}.WithCorrelationID("corr").WithTenantID("t1");
  Context b = a.WithCausationID("cause").WithUserID("u").WithValue("attempt", 3);
  EXPECT_EQ(a.CorrelationID(), "corr");
  EXPECT_EQ(a.CausationID(), "");
  EXPECT_EQ(b.CausationID(), "cause");
  EXPECT_EQ(b.TenantID(), "t1");
  EXPECT_EQ(b.UserID(), "u");
  ASSERT_NE(b.Value<int>("attempt"), nullptr);
  EXPECT_EQ(*b.Value<int>("attempt"), 3);
  EXPECT_EQ(b.Value<std::string>("attempt"), nullptr);
  EXPECT_EQ(a.Value<int>("attempt"), nullptr);
}

// Values are a chain of links (one per WithValue): a newer value hides an older one under the
// same key, the parent never sees the child's, and a very deep chain is released without
// recursing once per link.
TEST(Context, ValuesShadowAndADeepChainIsReleasedIteratively) {
  Context base = Context{}.WithValue("k", std::string("old")).WithValue("other", 1);
  Context shadowed = base.WithValue("k", 2);
  ASSERT_NE(shadowed.Value<int>("k"), nullptr);
  EXPECT_EQ(*shadowed.Value<int>("k"), 2);
  EXPECT_EQ(shadowed.Value<std::string>("k"), nullptr) << "the newer value decides the type";
  EXPECT_EQ(*shadowed.Value<int>("other"), 1);
  EXPECT_EQ(*base.Value<std::string>("k"), "old");
  EXPECT_EQ(Context{}.Value<int>("k"), nullptr);

  auto deep = std::make_unique<Context>();
  for (int i = 0; i < 200000; ++i) *deep = deep->WithValue("depth", i);
  EXPECT_EQ(*deep->Value<int>("depth"), 199999);
  Context branch = deep->WithValue("leaf", true);  // shares the chain
  deep.reset();                                    // the chain survives through `branch`
  EXPECT_EQ(*branch.Value<int>("depth"), 199999);
}

// Regression (issue 9, item 12): WithValue("tenantID", "acme") stored a const char*, so the
// std::string lookup a Go porter writes missed it and the tenant was silently empty.
TEST(Context, TextValuesAreStoredAsStdString) {
  char buffer[] = "buffered";
  const std::string_view view = "viewed";
  Context ctx = Context{}
                    .WithValue("tenantID", "acme")
                    .WithValue("buffer", static_cast<char*>(buffer))
                    .WithValue("view", view);
  buffer[0] = 'X';  // the context holds its own copy
  ASSERT_NE(ctx.Value<std::string>("tenantID"), nullptr);
  EXPECT_EQ(*ctx.Value<std::string>("tenantID"), "acme");
  EXPECT_EQ(*ctx.Value<std::string>("buffer"), "buffered");
  EXPECT_EQ(*ctx.Value<std::string>("view"), "viewed");
  EXPECT_EQ(ctx.Value<const char*>("tenantID"), nullptr);
}

TEST(Context, FromStopTokenFollowsAJthread) {
  std::stop_source source;
  Context ctx = Context::FromStopToken(source.get_token());
  EXPECT_FALSE(ctx.Done());
  source.request_stop();
  EXPECT_TRUE(ctx.Cancelled());
}

}  // namespace
}  // namespace mink

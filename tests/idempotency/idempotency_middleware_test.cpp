// IdempotencyMiddleware on the in-memory store: keys, replay, reservation, failure handling. The
// middleware tests run against both pipeline forms (support/both_forms.hpp).
#include "mink/idempotency/middleware.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <thread>

#include "mink/cqrs/command_bus.hpp"
#include "mink/cqrs/handler.hpp"
#include "mink/detail/sha256.hpp"
#include "mink/memory/idempotency_store.hpp"
#include "mink/middleware/tenant.hpp"
#include "mink/middleware/timeout.hpp"
#include "support/both_forms.hpp"
#include "support/manual_clock.hpp"

namespace mink {
namespace {

using namespace std::chrono_literals;

struct PlaceOrder : CommandBase {
  static constexpr std::string_view kCommandType = "PlaceOrder";
  std::string customer_id;
  double total = 0;
  std::string request_id;  // client-supplied idempotency key (optional)
  void Validate() const {}
  std::string IdempotencyKey() const { return request_id; }
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(PlaceOrder, customer_id, total, request_id)
};

struct Ping {
  static constexpr std::string_view kCommandType = "Ping";
  void Validate() const {}
};

struct Reordered {
  static constexpr std::string_view kCommandType = "Reordered";
  int a = 0;
  int b = 0;
  void Validate() const {}
};
void to_json(nlohmann::json& j, const Reordered& r) { j = {{"b", r.b}, {"a", r.a}}; }
struct Ordered {
  static constexpr std::string_view kCommandType = "Reordered";
  int a = 0;
  int b = 0;
  void Validate() const {}
};
void to_json(nlohmann::json& j, const Ordered& r) { j = {{"a", r.a}, {"b", r.b}}; }

// A store whose every call can be made to fail.
class FlakyStore : public IdempotencyStore {
 public:
  explicit FlakyStore(std::shared_ptr<IdempotencyStore> inner) : inner_(std::move(inner)) {}
  std::atomic<bool> fail_reads{false}, fail_writes{false};
  // StoreIfAbsent writes, then fails as a lost reply would.
  std::atomic<bool> lose_reserve_reply{false};
  // Throw something that is not a mink::Error.
  std::atomic<bool> throw_foreign{false};
  std::atomic<int> deletes{0};

  void Store(const Context& c, const IdempotencyRecord& r) override {
    if (fail_writes) throw Error(errc::kConnectionFailed, "store down");
    inner_->Store(c, r);
  }
  bool StoreIfAbsent(const Context& c, const IdempotencyRecord& r) override {
    if (throw_foreign) throw std::runtime_error("driver exploded");
    if (fail_reads) throw Error(errc::kConnectionFailed, "store down");
    if (lose_reserve_reply) {
      inner_->StoreIfAbsent(c, r);
      throw Error(errc::kConnectionFailed, "reply lost");
    }
    return inner_->StoreIfAbsent(c, r);
  }
  bool Complete(const Context& c, const IdempotencyRecord& r) override {
    if (fail_writes) throw Error(errc::kConnectionFailed, "store down");
    return inner_->Complete(c, r);
  }
  bool Release(const Context& c, std::string_view k, std::string_view owner) override {
    ++deletes;
    return inner_->Release(c, k, owner);
  }
  std::optional<IdempotencyRecord> Get(const Context& c, std::string_view k) override {
    if (fail_reads) throw Error(errc::kConnectionFailed, "store down");
    return inner_->Get(c, k);
  }
  void Delete(const Context& c, std::string_view k) override {
    ++deletes;
    inner_->Delete(c, k);
  }
  int64_t Cleanup(const Context& c, std::chrono::system_clock::duration d) override {
    return inner_->Cleanup(c, d);
  }
  void Close() override { inner_->Close(); }

 private:
  std::shared_ptr<IdempotencyStore> inner_;
};

class IdempotencyMiddlewareTest : public testing::BothFormsTest {
 protected:
  // A bus whose PlaceOrder handler runs behind `before...` then IdempotencyMiddleware(config).
  template <class... Before>
  auto Build(IdempotencyConfig config, Before... before) {
    auto f = Make(std::move(before)..., IdempotencyMiddleware(std::move(config)));
    f->template Handle<PlaceOrder>([this](const Context&, const PlaceOrder& cmd) {
      int n = ++calls;
      if (cmd.customer_id == "throw") throw DomainError("customer is blocked");
      if (cmd.customer_id == "refuse") return NewErrorResult(DomainError("refused"));
      return NewSuccessResultWithData("order-" + std::to_string(n), n,
                                      nlohmann::json{{"total", cmd.total}});
    });
    return f;
  }

  // Config with the test's clock, which the store shares: TTLs expire when the test says.
  IdempotencyConfig Config() {
    IdempotencyConfig config = DefaultIdempotencyConfig(store);
    config.clock = clock.Fn();
    return config;
  }
  // The key the middleware stores an unscoped PlaceOrder with client key `key` under.
  static std::string StoredKey(std::string_view key) {
    return EffectiveIdempotencyKey("PlaceOrder", "", key);
  }

  mink::testing::ManualClock clock;
  std::shared_ptr<memory::IdempotencyStore> memory = std::make_shared<memory::IdempotencyStore>(
      memory::IdempotencyStoreOptions{.clock = clock.Fn()});
  std::shared_ptr<FlakyStore> store = std::make_shared<FlakyStore>(memory);
  std::atomic<int> calls{0};
  Context ctx;
};
INSTANTIATE_BOTH_FORMS(IdempotencyMiddlewareTest);

TEST(IdempotencyKeys, FollowGoMinkFormats) {
  PlaceOrder cmd;
  cmd.customer_id = "c1";
  cmd.total = 10;
  const std::string key = GenerateIdempotencyKey(AnyCommand(cmd));
  ASSERT_EQ(key.size(), std::string("PlaceOrder:").size() + 32);
  EXPECT_EQ(key.rfind("PlaceOrder:", 0), 0u);
  // The hash is SHA-256 of the canonical JSON, first 16 bytes.
  const std::string json = nlohmann::json(cmd).dump();
  const auto digest = detail::Sha256(json);
  EXPECT_EQ(key, "PlaceOrder:" + detail::Hex(digest.data(), 16));
  // Command IDs are not part of the key.
  PlaceOrder same = cmd;
  same.SetCommandID("another-id");
  same.SetCorrelationID("another-correlation");
  EXPECT_EQ(GenerateIdempotencyKey(AnyCommand(same)), key);
  // A client key wins when set.
  cmd.request_id = "req-42";
  EXPECT_EQ(GetIdempotencyKey(AnyCommand(cmd)), "req-42");
  // Type-only fallback for commands with no JSON form.
  const auto type_digest = detail::Sha256("Ping");
  EXPECT_EQ(GetIdempotencyKey(AnyCommand(Ping{})),
            "Ping:type-only:" + detail::Hex(type_digest.data(), 16));
}

TEST(IdempotencyKeys, MemberOrderDoesNotChangeTheKey) {
  EXPECT_EQ(GenerateIdempotencyKey(AnyCommand(Reordered{1, 2})),
            GenerateIdempotencyKey(AnyCommand(Ordered{1, 2})));
  EXPECT_NE(GenerateIdempotencyKey(AnyCommand(Ordered{1, 2})),
            GenerateIdempotencyKey(AnyCommand(Ordered{2, 1})));
}

TEST(IdempotencyKeys, ScopingIsInjectiveAndBounded) {
  EXPECT_EQ(EffectiveIdempotencyKey("T", "", "k"), "0:|1:T|k");
  EXPECT_EQ(EffectiveIdempotencyKey("T", "tenant-a", "req-1"), "8:tenant-a|1:T|req-1");
  EXPECT_NE(EffectiveIdempotencyKey("T", "a", "b|x"), EffectiveIdempotencyKey("T", "a|b", "x"));
  // Regression (issue 9, item 3a): an unscoped key cannot pose as a scoped one.
  EXPECT_NE(EffectiveIdempotencyKey("T", "", "8:tenant-a|1:T|req-1"),
            EffectiveIdempotencyKey("T", "tenant-a", "req-1"));
  // Regression (issue 9, item 3b): one client key under two command types is two keys.
  EXPECT_NE(EffectiveIdempotencyKey("PlaceOrder", "", "order-7"),
            EffectiveIdempotencyKey("CancelOrder", "", "order-7"));
  EXPECT_NE(EffectiveIdempotencyKey("A", "", "1:B|k"), EffectiveIdempotencyKey("A|1:B", "", "k"));
  const std::string long_key(250, 'k');
  const std::string scoped = EffectiveIdempotencyKey("PlaceOrder", "tenant-a", long_key);
  EXPECT_LE(scoped.size(), kMaxIdempotencyKeyLength);
  EXPECT_NE(scoped.find(":sha256:"), std::string::npos);
  EXPECT_NE(scoped, EffectiveIdempotencyKey("PlaceOrder", "tenant-b", long_key));
}

TEST_P(IdempotencyMiddlewareTest, ADuplicateReplaysTheFirstResultWithoutRunningTheHandler) {
  auto f = Build(Config());
  PlaceOrder cmd;
  cmd.customer_id = "c1";
  cmd.total = 12.5;
  CommandResult first = f->bus.Dispatch(ctx, cmd);
  ASSERT_TRUE(first.IsSuccess());
  CommandResult second = f->bus.Dispatch(ctx, cmd);
  EXPECT_EQ(calls.load(), 1);
  ASSERT_TRUE(second.IsSuccess());
  EXPECT_EQ(second.aggregate_id, first.aggregate_id);
  EXPECT_EQ(second.version, first.version);
  EXPECT_EQ(second.data, first.data);
  // A different payload is a different command.
  cmd.total = 13;
  f->bus.Dispatch(ctx, cmd);
  EXPECT_EQ(calls.load(), 2);
}

TEST_P(IdempotencyMiddlewareTest, ClientKeysDeduplicateDifferentPayloads) {
  auto f = Build(Config());
  PlaceOrder a;
  a.customer_id = "c1";
  a.request_id = "req-1";
  PlaceOrder b = a;
  b.total = 99;  // a retried request that changed — the client key still identifies it
  f->bus.Dispatch(ctx, a);
  EXPECT_EQ(f->bus.Dispatch(ctx, b).aggregate_id, "order-1");
  EXPECT_EQ(calls.load(), 1);
}

struct CancelOrder : CommandBase {
  static constexpr std::string_view kCommandType = "CancelOrder";
  std::string request_id;
  void Validate() const {}
  std::string IdempotencyKey() const { return request_id; }
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(CancelOrder, request_id)
};

// Regression (issue 9, item 3b; go-mink has this bug): the same client key on another command
// type is another command, so the cancel runs instead of replaying the order's success.
TEST_P(IdempotencyMiddlewareTest, AClientKeyIsNamespacedByCommandType) {
  auto f = Build(Config());
  std::atomic<int> cancels{0};
  f->template Handle<CancelOrder>([&](const Context&, const CancelOrder&) {
    ++cancels;
    return NewSuccessResult("cancelled", 1);
  });
  PlaceOrder place;
  place.request_id = "order-7";
  CancelOrder cancel;
  cancel.request_id = "order-7";
  EXPECT_EQ(f->bus.Dispatch(ctx, place).aggregate_id, "order-1");
  EXPECT_EQ(f->bus.Dispatch(ctx, cancel).aggregate_id, "cancelled");
  EXPECT_EQ(f->bus.Dispatch(ctx, cancel).aggregate_id, "cancelled");
  EXPECT_EQ(cancels.load(), 1);
  EXPECT_EQ(calls.load(), 1);
}

// Regression (issue 9, item 3a): a tenant-less dispatch whose key imitates a scoped key does
// not replay that tenant's result.
TEST_P(IdempotencyMiddlewareTest, AnUnscopedKeyCannotReplayATenantsResult) {
  auto f = Build(Config(), TenantMiddleware());
  PlaceOrder tenant_a;
  tenant_a.request_id = "req-1";
  tenant_a.SetTenantID("tenant-a");
  EXPECT_EQ(f->bus.Dispatch(ctx, tenant_a).aggregate_id, "order-1");
  PlaceOrder forged;
  forged.request_id = "8:tenant-a|req-1";  // what tenant-a's key was stored as before the fix
  EXPECT_EQ(f->bus.Dispatch(ctx, forged).aggregate_id, "order-2");
  EXPECT_EQ(calls.load(), 2);
}

TEST_P(IdempotencyMiddlewareTest, TenantsNeverShareResults) {
  auto f = Build(Config(), TenantMiddleware());
  PlaceOrder cmd;
  cmd.customer_id = "c1";
  cmd.request_id = "req-1";
  cmd.SetTenantID("tenant-a");
  EXPECT_EQ(f->bus.Dispatch(ctx, cmd).aggregate_id, "order-1");
  cmd.SetTenantID("tenant-b");
  EXPECT_EQ(f->bus.Dispatch(ctx, cmd).aggregate_id, "order-2");
  cmd.SetTenantID("tenant-a");
  EXPECT_EQ(f->bus.Dispatch(ctx, cmd).aggregate_id, "order-1");
  EXPECT_EQ(calls.load(), 2);
}

TEST_P(IdempotencyMiddlewareTest, FailuresAreNotCachedUnlessConfigured) {
  auto f = Build(Config());
  PlaceOrder refused;
  refused.customer_id = "refuse";
  EXPECT_FALSE(f->bus.Dispatch(ctx, refused).IsSuccess());
  EXPECT_FALSE(f->bus.Dispatch(ctx, refused).IsSuccess());
  PlaceOrder thrown;
  thrown.customer_id = "throw";
  EXPECT_THROW(f->bus.Dispatch(ctx, thrown), DomainError);
  EXPECT_THROW(f->bus.Dispatch(ctx, thrown), DomainError);
  EXPECT_EQ(calls.load(), 4);
  EXPECT_EQ(memory->Len(), 0u) << "no reservation may linger";
}

TEST_P(IdempotencyMiddlewareTest, StoreErrorsCachesThrownFailures) {
  IdempotencyConfig config = Config();
  config.store_errors = true;
  auto f = Build(config);
  PlaceOrder thrown;
  thrown.customer_id = "throw";
  EXPECT_THROW(f->bus.Dispatch(ctx, thrown), DomainError);
  CommandResult replay = f->bus.Dispatch(ctx, thrown);
  EXPECT_EQ(calls.load(), 1);
  EXPECT_TRUE(replay.HasError(errc::kCommandAlreadyProcessed));
  EXPECT_NE(replay.ErrorMessage().find("customer is blocked"), std::string::npos);
  // A result-only failure is still not cached.
  PlaceOrder refused;
  refused.customer_id = "refuse";
  f->bus.Dispatch(ctx, refused);
  f->bus.Dispatch(ctx, refused);
  EXPECT_EQ(calls.load(), 3);
}

TEST_P(IdempotencyMiddlewareTest, ALiveReservationAnswersInProgress) {
  auto f = Build(Config());
  PlaceOrder cmd;
  cmd.customer_id = "c1";
  cmd.request_id = "req-busy";
  memory->StoreIfAbsent(
      ctx, detail::NewReservation(StoredKey("req-busy"), "PlaceOrder", 1h, clock.Now()));
  CommandResult r = f->bus.Dispatch(ctx, cmd);
  EXPECT_TRUE(r.HasError(errc::kCommandInProgress));
  EXPECT_EQ(calls.load(), 0);
}

TEST_P(IdempotencyMiddlewareTest, AnExpiredResultRunsTheCommandAgain) {
  IdempotencyConfig config = Config();
  config.ttl = 50ms;
  auto f = Build(config);
  PlaceOrder cmd;
  cmd.customer_id = "c1";
  f->bus.Dispatch(ctx, cmd);
  clock.Advance(49ms);
  f->bus.Dispatch(ctx, cmd);
  EXPECT_EQ(calls.load(), 1);
  clock.Advance(1ms);
  f->bus.Dispatch(ctx, cmd);
  EXPECT_EQ(calls.load(), 2);
}

TEST_P(IdempotencyMiddlewareTest, AnExpiredReservationOfACrashedRunDoesNotBlockRetries) {
  auto f = Build(Config());
  memory->StoreIfAbsent(
      ctx, detail::NewReservation(StoredKey("req-crashed"), "PlaceOrder", 30ms, clock.Now()));
  PlaceOrder cmd;
  cmd.customer_id = "c1";
  cmd.request_id = "req-crashed";
  EXPECT_TRUE(f->bus.Dispatch(ctx, cmd).HasError(errc::kCommandInProgress));
  clock.Advance(30ms);
  EXPECT_TRUE(f->bus.Dispatch(ctx, cmd).IsSuccess());
  EXPECT_EQ(calls.load(), 1);
}

TEST_P(IdempotencyMiddlewareTest, SkippedCommandsBypassTheStore) {
  IdempotencyConfig config = Config();
  config.skip_commands = {"PlaceOrder"};
  auto f = Build(config);
  PlaceOrder cmd;
  f->bus.Dispatch(ctx, cmd);
  f->bus.Dispatch(ctx, cmd);
  EXPECT_EQ(calls.load(), 2);
  EXPECT_EQ(memory->Len(), 0u);
}

// The custom functions take an AnyCommand; the typed form hands them a copy of the command.
TEST_P(IdempotencyMiddlewareTest, CustomKeyFuncAndScopeSeeTheCommand) {
  IdempotencyConfig config = Config();
  config.key_func = [](const AnyCommand& cmd) { return "key-" + cmd.As<PlaceOrder>().customer_id; };
  config.scope = [](const Context&, const AnyCommand& cmd) {
    return std::string(cmd.CommandType()) + "-scope";
  };
  auto f = Build(config);
  PlaceOrder a;
  a.customer_id = "c1";
  a.total = 1;
  PlaceOrder b = a;
  b.total = 2;  // same custom key: a duplicate
  EXPECT_EQ(f->bus.Dispatch(ctx, a).aggregate_id, "order-1");
  EXPECT_EQ(f->bus.Dispatch(ctx, b).aggregate_id, "order-1");
  EXPECT_EQ(calls.load(), 1);
  EXPECT_TRUE(memory->Get(ctx, EffectiveIdempotencyKey("PlaceOrder", "PlaceOrder-scope", "key-c1"))
                  .has_value());
}

TEST_P(IdempotencyMiddlewareTest, AnOversizeKeyIsATypedErrorAndTheHandlerDoesNotRun) {
  auto f = Build(Config());
  PlaceOrder cmd;
  cmd.request_id = std::string(kMaxIdempotencyKeyLength + 1, 'k');
  try {
    f->bus.Dispatch(ctx, cmd);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), errc::kInvalidArgument);
  }
  EXPECT_EQ(calls.load(), 0);
  EXPECT_EQ(memory->Len(), 0u);
}

TEST_P(IdempotencyMiddlewareTest, AnUnreachableStoreFailsOpenByDefault) {
  std::vector<std::string> reported;
  IdempotencyConfig config = Config();
  config.on_error = [&](const IdempotencyError& e) { reported.push_back(e.Operation()); };
  auto f = Build(config);
  store->fail_reads = true;
  PlaceOrder cmd;
  EXPECT_TRUE(f->bus.Dispatch(ctx, cmd).IsSuccess());
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(reported, (std::vector<std::string>{"lookup"}));
}

TEST_P(IdempotencyMiddlewareTest, AnUnreachableStoreFailsClosedOnRequest) {
  IdempotencyConfig config = Config();
  config.fail_closed = true;
  auto f = Build(config);
  store->fail_reads = true;
  try {
    f->bus.Dispatch(ctx, PlaceOrder{});
    FAIL();
  } catch (const IdempotencyError& e) {
    EXPECT_EQ(e.code(), errc::kIdempotencyFailed);
    EXPECT_NE(std::string(e.what()).find("store down"), std::string::npos);
  }
  EXPECT_EQ(calls.load(), 0);
}

TEST_P(IdempotencyMiddlewareTest, AFailedResultWriteReleasesTheReservation) {
  std::vector<std::string> reported;
  IdempotencyConfig config = Config();
  config.on_error = [&](const IdempotencyError& e) { reported.push_back(e.Operation()); };
  auto f = Build(config);
  store->fail_writes = true;
  PlaceOrder cmd;
  EXPECT_TRUE(f->bus.Dispatch(ctx, cmd).IsSuccess());
  EXPECT_EQ(reported, (std::vector<std::string>{"store"}));
  EXPECT_EQ(memory->Len(), 0u) << "the reservation must be released";
  store->fail_writes = false;
  EXPECT_TRUE(f->bus.Dispatch(ctx, cmd).IsSuccess());
  EXPECT_EQ(calls.load(), 2);
}

TEST_P(IdempotencyMiddlewareTest, AResultThatFailsToSerializeIsReportedAndReleased) {
  std::vector<std::string> reported;
  IdempotencyConfig config = Config();
  config.result_serializer = [](const CommandResult&) -> std::string {
    throw std::runtime_error("not serializable");
  };
  config.on_error = [&](const IdempotencyError& e) { reported.push_back(e.what()); };
  auto f = Build(config);
  CommandResult r = f->bus.Dispatch(ctx, PlaceOrder{});
  EXPECT_TRUE(r.IsSuccess()) << "the handler's committed result is returned";
  ASSERT_EQ(reported.size(), 1u);
  EXPECT_NE(reported[0].find("not serializable"), std::string::npos);
  EXPECT_EQ(memory->Len(), 0u);
}

TEST_P(IdempotencyMiddlewareTest, FailClosedKeepsTheReservationUntilItExpires) {
  IdempotencyConfig config = Config();
  config.fail_closed = true;
  config.reservation_ttl = 60ms;
  config.on_error = [](const IdempotencyError&) {};
  config.result_serializer = [](const CommandResult&) -> std::string {
    throw std::runtime_error("not serializable");
  };
  auto f = Build(config);
  EXPECT_TRUE(f->bus.Dispatch(ctx, PlaceOrder{}).IsSuccess());
  EXPECT_TRUE(f->bus.Dispatch(ctx, PlaceOrder{}).HasError(errc::kCommandInProgress));
  clock.Advance(60ms);
  EXPECT_TRUE(f->bus.Dispatch(ctx, PlaceOrder{}).IsSuccess());
  EXPECT_EQ(calls.load(), 2);
}

TEST_P(IdempotencyMiddlewareTest, SixteenConcurrentDuplicatesRunTheHandlerOnce) {
  IdempotencyConfig config = Config();
  auto f = Make(IdempotencyMiddleware(config));
  f->Handle<Ping>([](const Context&, const Ping&) { return NewSuccessResult("", 0); });
  constexpr int kThreads = 16;
  std::atomic<int> runs{0};
  std::atomic<int> returned{0};
  f->Handle<PlaceOrder>([&](const Context&, const PlaceOrder&) {
    ++runs;
    // Hold the key until every other duplicate has been answered, so all of them race a live
    // reservation (bounded, so a broken middleware fails the test instead of hanging it).
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (returned.load() < kThreads - 1 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    return NewSuccessResult("order-x", 1);
  });
  for (int round = 0; round < 5; ++round) {
    PlaceOrder cmd;
    cmd.request_id = "req-race-" + std::to_string(round);
    returned = 0;
    std::barrier start(kThreads);
    std::atomic<int> ok{0}, in_progress{0}, other{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        start.arrive_and_wait();
        CommandResult r = f->bus.Dispatch(ctx, cmd);
        if (r.IsSuccess() && r.aggregate_id == "order-x") {
          ++ok;
        } else if (r.HasError(errc::kCommandInProgress)) {
          ++in_progress;
        } else {
          ++other;
        }
        ++returned;
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(runs.load(), round + 1);
    EXPECT_EQ(ok.load(), 1);
    EXPECT_EQ(in_progress.load(), kThreads - 1);
    EXPECT_EQ(other.load(), 0);
  }
}

// Regression (issue 9, item 2): A's handler outlives its reservation and B takes the key over.
// A's late success must not overwrite B's result, and a late failure must not delete B's
// record (which would let a third dispatch run the command again); on_error is told.
TEST_P(IdempotencyMiddlewareTest, ALateRunCannotOverwriteOrReleaseTheKeyItLost) {
  for (bool a_fails : {false, true}) {
    SCOPED_TRACE(a_fails ? "A fails" : "A succeeds");
    memory->Clear();
    std::vector<std::string> reported;
    IdempotencyConfig config = Config();
    config.reservation_ttl = 1min;
    config.on_error = [&](const IdempotencyError& e) {
      EXPECT_TRUE(ErrorIs(e, errc::kReservationLost)) << e.what();
      reported.push_back(e.Operation());
    };
    auto f = Make(IdempotencyMiddleware(config));
    std::atomic<int> runs{0};
    PlaceOrder cmd;
    cmd.request_id = std::string("req-late-") + (a_fails ? "f" : "s");
    f->Handle<PlaceOrder>([&](const Context&, const PlaceOrder&) {
      const int n = ++runs;
      if (n == 1) {
        // A is slow: its reservation expires and B runs to completion meanwhile.
        clock.Advance(2min);
        std::thread b([&] { EXPECT_EQ(f->bus.Dispatch(ctx, cmd).aggregate_id, "order-2"); });
        b.join();
        if (a_fails) return NewErrorResult(DomainError("A failed late"));
      }
      return NewSuccessResult("order-" + std::to_string(n), n);
    });
    f->bus.Dispatch(ctx, cmd);
    EXPECT_EQ(runs.load(), 2);
    EXPECT_EQ(reported, (std::vector<std::string>{a_fails ? "release" : "store"}));
    CommandResult c = f->bus.Dispatch(ctx, cmd);
    EXPECT_EQ(c.aggregate_id, "order-2") << "B's result stands";
    EXPECT_EQ(runs.load(), 2) << "C must not run the command a third time";
  }
}

// Regression (issue 9, item 10): StoreIfAbsent failed after it wrote (a lost reply). Fail-open
// runs the command, and its owner token settles the reservation it may have left: a retry
// replays the result instead of waiting out reservation_ttl behind an orphan.
TEST_P(IdempotencyMiddlewareTest, AnAmbiguousReservationIsSettledNotOrphaned) {
  std::vector<std::string> reported;
  IdempotencyConfig config = Config();
  config.on_error = [&](const IdempotencyError& e) { reported.push_back(e.Operation()); };
  auto f = Build(config);
  store->lose_reserve_reply = true;
  PlaceOrder cmd;
  cmd.request_id = "req-ambiguous";
  EXPECT_TRUE(f->bus.Dispatch(ctx, cmd).IsSuccess());
  EXPECT_EQ(reported, (std::vector<std::string>{"lookup"}));
  store->lose_reserve_reply = false;
  CommandResult retry = f->bus.Dispatch(ctx, cmd);
  EXPECT_TRUE(retry.IsSuccess()) << retry.ErrorMessage();
  EXPECT_EQ(retry.aggregate_id, "order-1");
  EXPECT_EQ(calls.load(), 1);

  // A failed run releases what it may have reserved.
  store->lose_reserve_reply = true;
  PlaceOrder refused;
  refused.customer_id = "refuse";
  refused.request_id = "req-ambiguous-refused";
  EXPECT_FALSE(f->bus.Dispatch(ctx, refused).IsSuccess());
  EXPECT_FALSE(memory->Get(ctx, StoredKey("req-ambiguous-refused")).has_value());
}

// Regression (issue 9, item 10): a store that throws something other than a mink::Error is a
// store failure like any other, not an exception escaping the middleware.
TEST_P(IdempotencyMiddlewareTest, AForeignExceptionFromTheStoreIsAStoreFailure) {
  std::vector<std::string> reported;
  IdempotencyConfig config = Config();
  config.on_error = [&](const IdempotencyError& e) { reported.push_back(e.what()); };
  auto f = Build(config);
  store->throw_foreign = true;
  EXPECT_TRUE(f->bus.Dispatch(ctx, PlaceOrder{}).IsSuccess());
  EXPECT_EQ(calls.load(), 1);
  ASSERT_EQ(reported.size(), 1u);
  EXPECT_NE(reported[0].find("driver exploded"), std::string::npos);

  config.fail_closed = true;
  auto closed = Build(config);
  try {
    closed->bus.Dispatch(ctx, PlaceOrder{});
    FAIL() << "fail_closed ran the command";
  } catch (const IdempotencyError& e) {
    EXPECT_NE(std::string(e.what()).find("driver exploded"), std::string::npos);
  }
  EXPECT_EQ(calls.load(), 1);
}

// Regression: the outcome is recorded even when the dispatch's deadline passed while the
// handler ran (TimeoutMiddleware cannot stop a handler), so a retry replays instead of
// running the command a second time.
TEST_P(IdempotencyMiddlewareTest, AResultIsRecordedEvenAfterTheDeadlinePassed) {
  auto f = Build(Config(), TimeoutMiddleware(20ms));
  f->Handle<Ping>([](const Context&, const Ping&) { return NewSuccessResult("", 0); });
  PlaceOrder cmd;
  cmd.customer_id = "slow";
  cmd.request_id = "req-slow";
  // The handler outlives the deadline but succeeds.
  f->Handle<PlaceOrder>([this](const Context& c, const PlaceOrder&) {
    ++calls;
    c.SleepFor(1h);  // returns when TimeoutMiddleware's deadline passes
    EXPECT_TRUE(c.DeadlineExceeded());
    return NewSuccessResult("order-slow", 1);
  });
  EXPECT_TRUE(f->bus.Dispatch(ctx, cmd).IsSuccess());
  CommandResult retry = f->bus.Dispatch(ctx, cmd);
  EXPECT_TRUE(retry.IsSuccess());
  EXPECT_EQ(retry.aggregate_id, "order-slow");
  EXPECT_EQ(calls.load(), 1);
}

// Regression: a cancelled dispatch releases its reservation, so the client may retry at once.
TEST_P(IdempotencyMiddlewareTest, ACancelledDispatchReleasesItsReservation) {
  IdempotencyConfig config = Config();
  auto f = Make(IdempotencyMiddleware(config));
  auto [cancellable, cancel] = ctx.WithCancel();
  f->Handle<PlaceOrder>([&, cancel = cancel](const Context& c, const PlaceOrder&) {
    ++calls;
    cancel();
    c.ThrowIfDone();  // the handler notices and gives up
    return NewSuccessResult("never", 1);
  });
  PlaceOrder cmd;
  cmd.request_id = "req-cancelled";
  EXPECT_THROW(f->bus.Dispatch(cancellable, cmd), Error);
  EXPECT_EQ(memory->Len(), 0u) << "the reservation must be released";
}

// Regression: losing the reservation race proves another dispatch holds the key; a failing
// follow-up lookup must not make this one run the handler too (fail-open or not).
TEST_P(IdempotencyMiddlewareTest, LosingTheRaceNeverRunsTheHandlerEvenWhenTheStoreBlips) {
  class LosingStore : public FlakyStore {
   public:
    using FlakyStore::FlakyStore;
    bool StoreIfAbsent(const Context&, const IdempotencyRecord&) override {
      fail_reads = true;  // the next Get fails
      return false;       // someone else holds the key
    }
  };
  auto losing = std::make_shared<LosingStore>(memory);
  IdempotencyConfig config = DefaultIdempotencyConfig(losing);
  config.on_error = [](const IdempotencyError&) {};
  auto f = Build(config);
  CommandResult r = f->bus.Dispatch(ctx, PlaceOrder{});
  EXPECT_TRUE(r.HasError(errc::kCommandInProgress));
  EXPECT_EQ(calls.load(), 0);
}

TEST_P(IdempotencyMiddlewareTest, ABrokenReplayIsReportedAndDoesNotRunTheCommandAgain) {
  IdempotencyConfig config = Config();
  config.result_deserializer = [](const std::string&) -> nlohmann::json {
    throw SerializationError("PlaceOrder", "deserialize", "corrupt cached result");
  };
  auto f = Build(config);
  PlaceOrder cmd;
  cmd.total = 3;  // gives the result some data to replay
  ASSERT_TRUE(f->bus.Dispatch(ctx, cmd).IsSuccess());
  CommandResult replay = f->bus.Dispatch(ctx, cmd);
  EXPECT_TRUE(replay.HasError(errc::kIdempotencyFailed));
  EXPECT_EQ(calls.load(), 1);
}

TEST(MemoryIdempotencyStoreClose, ConcurrentClosesDoNotHang) {
  for (int round = 0; round < 20; ++round) {
    auto s = std::make_shared<memory::IdempotencyStore>(
        memory::IdempotencyStoreOptions{.cleanup_interval = 1ms});
    std::thread a([&] { s->Close(); });
    std::thread b([&] { s->Close(); });
    a.join();
    b.join();
  }
}

TEST(IdempotencyConfigTest, AStoreIsRequired) {
  EXPECT_THROW(IdempotencyMiddleware(IdempotencyConfig{}), Error);
}

}  // namespace
}  // namespace mink

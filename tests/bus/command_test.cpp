// Commands, AnyCommand, CommandResult and the command errors.
#include <gtest/gtest.h>

#include "bus/test_commands.hpp"

namespace mink::testing {
namespace {

static_assert(Command<CreateOrder> && Command<Ping>);
static_assert(IdempotentCommand<AddItem> && !IdempotentCommand<CreateOrder>);
static_assert(AggregateCommand<AddItem> && !AggregateCommand<Ping>);
static_assert(JsonCommand<CreateOrder> && !JsonCommand<Ping>);
static_assert(!Command<int> && !Command<std::string>);

TEST(CommandBase, GettersAndSetters) {
  CreateOrder cmd{.customer_id = "c1"};
  EXPECT_EQ(cmd.GetCommandID(), "");
  cmd.SetCommandID("cmd-1");
  cmd.SetCorrelationID("corr-1");
  cmd.SetCausationID("cause-1");
  cmd.SetTenantID("tenant-1");
  cmd.SetMetadata("source", "web");
  EXPECT_EQ(cmd.GetCommandID(), "cmd-1");
  EXPECT_EQ(cmd.GetCorrelationID(), "corr-1");
  EXPECT_EQ(cmd.GetCausationID(), "cause-1");
  EXPECT_EQ(cmd.GetTenantID(), "tenant-1");
  EXPECT_EQ(cmd.GetMetadata("source"), "web");
  EXPECT_EQ(cmd.GetMetadata("missing"), "");
  cmd.SetMetadataMap({{"a", "1"}, {"b", "2"}});
  EXPECT_EQ(cmd.GetMetadataMap().size(), 2u);
  EXPECT_EQ(cmd.GetMetadata("source"), "");
}

TEST(AnyCommand, ExposesTypeJsonAndTypedView) {
  AnyCommand any(CreateOrder{.customer_id = "c1"});
  EXPECT_EQ(any.CommandType(), "CreateOrder");
  EXPECT_TRUE(any.Is<CreateOrder>());
  EXPECT_FALSE(any.Is<Ping>());
  EXPECT_EQ(any.As<CreateOrder>().customer_id, "c1");
  EXPECT_EQ(any.Get<Ping>(), nullptr);
  EXPECT_EQ(any.Json(), nlohmann::json({{"customer_id", "c1"}}));
  EXPECT_TRUE(any.HasJson());
  EXPECT_EQ(any.IdempotencyKey(), std::nullopt);
  EXPECT_EQ(any.AggregateID(), std::nullopt);
  try {
    (void)any.As<Ping>();
    FAIL() << "As<Ping> must throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), errc::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("Ping"), std::string::npos);
  }
}

TEST(AnyCommand, JsonLeavesOutIdsSoEqualPayloadsMatch) {
  CreateOrder a{.customer_id = "c1"};
  a.SetCommandID("one");
  CreateOrder b{.customer_id = "c1"};
  b.SetCommandID("two");
  EXPECT_EQ(AnyCommand(a).Json().dump(), AnyCommand(b).Json().dump());
}

TEST(AnyCommand, CapabilitiesAreDetected) {
  AnyCommand any(AddItem{.order_id = "o1", .sku = "s", .client_request_id = "req-9"});
  EXPECT_EQ(any.IdempotencyKey(), "req-9");
  EXPECT_EQ(any.AggregateID(), "o1");
}

TEST(AnyCommand, CommandWithoutBaseGetsAnEnvelopeAndNoJson) {
  AnyCommand any(Ping{});
  EXPECT_TRUE(any.Json().is_null());
  EXPECT_FALSE(any.HasJson());
  any.MutableBase().SetCommandID("x");
  EXPECT_EQ(any.Base().GetCommandID(), "x");
  AnyCommand copy = any;
  EXPECT_EQ(copy.Base().GetCommandID(), "x");
}

TEST(AnyCommand, CopiesAreIndependentAndMovedFromIsEmpty) {
  AnyCommand a(CreateOrder{.customer_id = "c1"});
  AnyCommand b = a;
  b.MutableBase().SetCommandID("b");
  EXPECT_EQ(a.Base().GetCommandID(), "");
  AnyCommand c = std::move(a);
  EXPECT_FALSE(static_cast<bool>(a));  // NOLINT(bugprone-use-after-move): documented state
  EXPECT_TRUE(static_cast<bool>(c));
  EXPECT_THROW((void)a.CommandType(), Error);  // NOLINT(bugprone-use-after-move)
}

TEST(AnyCommand, ValidateRunsTheCommandsValidate) {
  EXPECT_THROW(AnyCommand(CreateOrder{}).Validate(), ValidationError);
  EXPECT_NO_THROW(AnyCommand(CreateOrder{.customer_id = "c"}).Validate());
}

TEST(CommandResult, SuccessAndErrorPredicates) {
  CommandResult ok = NewSuccessResult("o1", 3);
  EXPECT_TRUE(ok.IsSuccess());
  EXPECT_FALSE(ok.IsError());
  EXPECT_EQ(ok.aggregate_id, "o1");
  EXPECT_EQ(ok.version, 3);

  CommandResult with_data = NewSuccessResultWithData("o1", 3, {{"total", 9}});
  EXPECT_EQ(with_data.data["total"], 9);

  CommandResult failed = NewErrorResult(DomainError("out of stock"));
  EXPECT_FALSE(failed.IsSuccess());
  EXPECT_TRUE(failed.IsError());
  EXPECT_TRUE(failed.HasError(errc::kDomain));
  EXPECT_FALSE(failed.HasError(errc::kValidationFailed));
  EXPECT_EQ(failed.ErrorMessage(), "mink: out of stock");
  EXPECT_THROW(failed.ThrowIfError(), DomainError);

  CommandResult success_flag_with_error = NewSuccessResult("o1", 1);
  success_flag_with_error.error = std::make_exception_ptr(std::runtime_error("late"));
  EXPECT_FALSE(success_flag_with_error.IsSuccess());
  EXPECT_EQ(ErrorCodeOf(success_flag_with_error.error), errc::kUnknown);
  EXPECT_EQ(ErrorCodeOf(nullptr), std::nullopt);
  EXPECT_EQ(CommandResult{}.IsSuccess(), false);
}

TEST(CommandErrors, CarryTheirFieldsAndCodes) {
  ValidationError v("CreateOrder", "CustomerID", "required");
  EXPECT_EQ(v.code(), errc::kValidationFailed);
  EXPECT_EQ(v.CommandType(), "CreateOrder");
  EXPECT_EQ(v.Field(), "CustomerID");
  EXPECT_EQ(v.Message(), "required");
  EXPECT_STREQ(
      v.what(),
      "mink: validation failed for command \"CreateOrder\" field \"CustomerID\": required");
  EXPECT_STREQ(ValidationError("X", "", "bad").what(),
               "mink: validation failed for command \"X\": bad");

  HandlerNotFoundError nf("Unknown");
  EXPECT_EQ(nf.code(), errc::kHandlerNotFound);
  EXPECT_EQ(nf.CommandType(), "Unknown");
}

TEST(CommandErrors, MultiValidationErrorCollectsFields) {
  MultiValidationError errors("CreateOrder");
  EXPECT_FALSE(errors.HasErrors());
  EXPECT_NO_THROW(errors.ThrowIfAny());
  errors.AddField("CustomerID", "required");
  errors.AddField("Items", "at least one");
  ASSERT_EQ(errors.Errors().size(), 2u);
  EXPECT_EQ(errors.Errors()[1].Field(), "Items");
  EXPECT_EQ(errors.code(), errc::kValidationFailed);
  EXPECT_NE(std::string(errors.what()).find("2 error(s)"), std::string::npos);
  EXPECT_THROW(errors.ThrowIfAny(), MultiValidationError);
}

}  // namespace
}  // namespace mink::testing

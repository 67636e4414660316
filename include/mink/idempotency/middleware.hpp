// mink/idempotency/middleware.hpp — IdempotencyMiddleware: a duplicate command runs at most once.
//
//   auto store = std::make_shared<mink::memory::IdempotencyStore>();
//   bus.Use(mink::TenantMiddleware());   // before: keys are scoped by tenant
//   bus.Use(mink::IdempotencyMiddleware(mink::DefaultIdempotencyConfig(store)));
//
// Keys (go-mink's rules, key.hpp): the command's IdempotencyKey() when it has a non-empty one;
// otherwise a digest of its canonical JSON; a command with no JSON form gets a type-only key —
// every command of that type then shares one key, so give such commands an IdempotencyKey().
// The stored key is scoped by the Context's tenant (config.scope) and the command type, so
// tenants never replay each other's results and one client key names one command per type.
//
// Flow for each command not in skip_commands:
//   1. a live completed record for the key: its result is replayed, the handler is not called
//      (a cached failure comes back as an error result with IdempotencyReplayError,
//      kCommandAlreadyProcessed); a live reservation: an error result with
//      IdempotencyReplayError(kCommandInProgress).
//   2. otherwise the key is reserved atomically (StoreIfAbsent, reservation_ttl) and the
//      handler runs. A successful result is stored for `ttl`; a thrown failure is stored only
//      with store_errors; anything else releases the reservation so the client may retry.
// Of N concurrent duplicates exactly one runs the handler; the others get the cached result
// or "in progress".
//
// Failures: a key from IdempotencyKey() that is empty or longer than 255 bytes throws
// Error(kInvalidArgument) before the handler runs. When the store fails
// before the handler runs, the command runs without the guarantee (fail-open, the default,
// reported to on_error) or Dispatch throws IdempotencyError (fail_closed). When recording the
// outcome fails (store error or a result_serializer that throws), the handler's result is
// returned unchanged and on_error gets an IdempotencyError; the reservation is released
// (fail-open) or left to expire after reservation_ttl (fail_closed, so no duplicate runs
// meanwhile). No failure leaves a reservation that outlives reservation_ttl. Results and
// releases are compare-and-set on the reservation's owner token: a run whose reservation
// expired and was taken over leaves the newer run's record alone (on_error: kReservationLost).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>

#include "mink/context.hpp"
#include "mink/cqrs/any_command.hpp"
#include "mink/cqrs/command_result.hpp"
#include "mink/cqrs/command_view.hpp"
#include "mink/detail/config.hpp"
#include "mink/detail/function_ref.hpp"
#include "mink/idempotency/config.hpp"
#include "mink/idempotency/errors.hpp"
#include "mink/idempotency/key.hpp"
#include "mink/idempotency/store.hpp"

namespace mink {

class MINK_API IdempotencyMiddleware {
 public:
  explicit IdempotencyMiddleware(IdempotencyConfig config);

  template <CommandLike C, class N>
  CommandResult operator()(const Context& ctx, const C& command, N&& next) const {
    const std::string_view type = CommandTypeOf(command);
    if (skip_->contains(type)) return next(ctx, command);
    const IdempotencyConfig& config = *config_;
    std::string key;
    std::string scope;
    if constexpr (std::is_same_v<C, AnyCommand>) {
      key = config.key_func ? config.key_func(command) : GetIdempotencyKey(command);
      scope = config.scope ? config.scope(ctx, command) : ctx.TenantID();
    } else {
      std::optional<AnyCommand> erased;  // only for custom functions, which take an AnyCommand
      if (config.key_func || config.scope) erased.emplace(command);
      key = config.key_func ? config.key_func(*erased) : GetIdempotencyKey(command);
      scope = config.scope ? config.scope(ctx, *erased) : ctx.TenantID();
    }
    return Run(ctx, type, key, scope, [&]() -> CommandResult { return next(ctx, command); });
  }

 private:
  CommandResult Run(const Context& ctx, std::string_view type, const std::string& raw_key,
                    std::string_view scope, detail::FunctionRef<CommandResult()> next) const;
  // Runs the handler and records its outcome under `reservation`'s owner token; `held` says
  // whether the store confirmed the reservation (false: its StoreIfAbsent failed ambiguously).
  CommandResult RunAndRecord(const Context& ctx, const IdempotencyRecord& reservation, bool held,
                             detail::FunctionRef<CommandResult()> next) const;
  // Releases `reservation` on ctx.WithoutCancel(); a store failure goes to on_error. False only
  // when the store answered that this owner no longer holds the key.
  bool ReleaseQuietly(const Context& ctx, const IdempotencyRecord& reservation) const;

  std::shared_ptr<const IdempotencyConfig> config_;
  std::shared_ptr<const std::set<std::string, std::less<>>> skip_;
};

namespace detail {
// A reservation record for `key` under a fresh owner token, expiring `ttl` after `now`
// (default: the system clock's now).
MINK_API IdempotencyRecord NewReservation(std::string key, std::string_view command_type,
                                          std::chrono::system_clock::duration ttl, Timestamp now);
MINK_API IdempotencyRecord NewReservation(std::string key, std::string_view command_type,
                                          std::chrono::system_clock::duration ttl);
}  // namespace detail

// The result a completed record replays.
MINK_API CommandResult IdempotencyRecordToResult(
    const IdempotencyRecord& record,
    const std::function<nlohmann::json(const std::string&)>& deserialize = {});

}  // namespace mink

#ifdef MINK_HEADER_ONLY
#include "mink/idempotency/middleware-inl.hpp"
#endif

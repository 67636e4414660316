// mink/idempotency/key.hpp — idempotency keys: derived, client-supplied, scoped.
//
//   GenerateIdempotencyKey(cmd)  "<CommandType>:<hex of the first 16 bytes of SHA-256 over the
//                                command's canonical JSON>" (nlohmann keeps object keys sorted,
//                                so member order never changes a key, and CommandBase IDs are
//                                not part of the JSON, so a re-sent request hashes the same); a
//                                command with no JSON form gets the type-only key
//                                "<CommandType>:type-only:<hex16 of SHA-256(CommandType)>".
//   GetIdempotencyKey(cmd)       the command's own non-empty IdempotencyKey(), else the above.
//   EffectiveIdempotencyKey(type, scope, key)
//                                the key handed to the store:
//                                "<len>:<scope>|<len>:<CommandType>|<key>" — the scope
//                                (default: the Context's tenant; empty for none) and the
//                                command type, each length-prefixed so no key can pose as
//                                another scope's or type's. A result longer than
//                                kMaxIdempotencyKeyLength bytes is replaced by its (truncated)
//                                prefix plus ":sha256:" and the digest of the whole.
//                                Unlike go-mink, a client key is namespaced by command type:
//                                CancelOrder{key "order-7"} after PlaceOrder{key "order-7"}
//                                runs, instead of replaying PlaceOrder's result.
// All three accept a concrete command or an AnyCommand.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "mink/cqrs/command_view.hpp"
#include "mink/detail/config.hpp"

namespace mink {

namespace detail {
MINK_API std::string IdempotencyKeyFromJson(std::string_view command_type,
                                            const nlohmann::json& canonical);
MINK_API std::string TypeOnlyIdempotencyKey(std::string_view command_type);
}  // namespace detail

template <CommandLike C>
std::string GenerateIdempotencyKey(const C& command) {
  if (HasCommandJson(command)) {
    return detail::IdempotencyKeyFromJson(CommandTypeOf(command), CommandJsonOf(command));
  }
  return detail::TypeOnlyIdempotencyKey(CommandTypeOf(command));
}

template <CommandLike C>
std::string GetIdempotencyKey(const C& command) {
  if (auto key = IdempotencyKeyOf(command); key && !key->empty()) return *key;
  return GenerateIdempotencyKey(command);
}

MINK_API std::string EffectiveIdempotencyKey(std::string_view command_type, std::string_view scope,
                                             std::string_view key);

}  // namespace mink

#ifdef MINK_HEADER_ONLY
#include "mink/idempotency/key-inl.hpp"
#endif

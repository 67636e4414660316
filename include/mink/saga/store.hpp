// mink/saga/store.hpp — SagaStore: where sagas and the saga manager's checkpoint live.
//
// Contract (tests/conformance/saga_store_conformance.cpp runs it against every store):
//   Save(state)      state.version == 0: insert a new saga (an existing ID is a
//                    ConcurrencyError); otherwise update the saga whose stored version equals
//                    state.version (anything else, or a missing saga, is a ConcurrencyError).
//                    On success state.version is the new version (old + 1) and
//                    state.updated_at the store's time; on failure nothing is written.
//   Load(id)         the saga, or SagaNotFoundError.
//   FindByCorrelationID(correlation[, type])
//                    the most recently started saga with that correlation ID (and type, when
//                    given), or SagaNotFoundError.
//   FindByType(type, statuses)
//                    every saga of the type (with one of the statuses, when given), most
//                    recently started first.
//   Delete(id)       removes it, or SagaNotFoundError.
//   Checkpoints      a named position (the manager's place in the event feed).
//                    SaveWithCheckpoint writes a saga and a checkpoint atomically: both or
//                    neither (PostgreSQL: one transaction; memory: one lock).
// A stored saga that cannot be decoded is a CorruptSagaStateError naming it; other sagas load
// as before. An empty saga ID or correlation ID is Error(kInvalidArgument). A closed store
// throws kAdapterClosed. Every method is thread safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mink/context.hpp"
#include "mink/es/errors.hpp"
#include "mink/saga/errors.hpp"
#include "mink/saga/state.hpp"

namespace mink {

class SagaStore {
 public:
  virtual ~SagaStore() = default;

  virtual void Save(const Context& ctx, SagaState& state) = 0;
  virtual SagaState Load(const Context& ctx, std::string_view saga_id) = 0;
  // `saga_type` empty = any type.
  virtual SagaState FindByCorrelationID(const Context& ctx, std::string_view correlation_id,
                                        std::string_view saga_type) = 0;
  // Rows that cannot be decoded are left out and, when `corrupt` is given, reported there;
  // without it the first one is thrown (after the others were read).
  virtual std::vector<SagaState> FindByType(const Context& ctx, std::string_view saga_type,
                                            const std::vector<SagaStatus>& statuses,
                                            std::vector<CorruptSagaStateError>* corrupt) = 0;
  virtual void Delete(const Context& ctx, std::string_view saga_id) = 0;
  virtual void Close() = 0;

  virtual std::optional<uint64_t> LoadCheckpoint(const Context& ctx, std::string_view name) = 0;
  virtual void SaveCheckpoint(const Context& ctx, std::string_view name, uint64_t position) = 0;
  virtual void SaveWithCheckpoint(const Context& ctx, SagaState& state, std::string_view name,
                                  uint64_t position) = 0;

  // ---- conveniences ----
  SagaState FindByCorrelationID(const Context& ctx, std::string_view correlation_id) {
    return FindByCorrelationID(ctx, correlation_id, {});
  }
  std::vector<SagaState> FindByType(const Context& ctx, std::string_view saga_type,
                                    const std::vector<SagaStatus>& statuses = {}) {
    return FindByType(ctx, saga_type, statuses, nullptr);
  }
};

namespace detail {

inline void RequireSagaID(std::string_view id, const char* what) {
  if (id.empty()) throw Error(errc::kInvalidArgument, std::string(what) + " is empty");
}

// The ConcurrencyError of a Save whose expected version did not match (actual: the stored
// version, 0 when the saga does not exist).
inline ConcurrencyError SagaVersionConflict(const SagaState& state, int64_t actual) {
  return ConcurrencyError(state.id, state.version, actual);
}

}  // namespace detail

}  // namespace mink

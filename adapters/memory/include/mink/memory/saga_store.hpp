// mink/memory/saga_store.hpp — an in-process SagaStore.
//
// For tests and single-process services. Each saga is kept as its JSON text (so callers never
// share state with the store, and the JSON form is exercised as on a real store) beside the
// fields queries need, in one map under one mutex; SaveWithCheckpoint writes a saga and the
// checkpoint under that one lock. Thread safe.
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mink/saga/store.hpp"

namespace mink::memory {

struct SagaStoreOptions {
  // The time updated_at is stamped with; empty = the system clock.
  std::function<Timestamp()> clock;
};

class SagaStore final : public mink::SagaStore {
 public:
  explicit SagaStore(SagaStoreOptions options = {}) : options_(std::move(options)) {}

  void Save(const Context& ctx, SagaState& state) override {
    Check(ctx);
    std::lock_guard lock(mutex_);
    ThrowIfClosed();
    SaveLocked(state);
  }

  SagaState Load(const Context& ctx, std::string_view saga_id) override {
    Check(ctx);
    detail::RequireSagaID(saga_id, "saga ID");
    std::lock_guard lock(mutex_);
    ThrowIfClosed();
    auto it = sagas_.find(saga_id);
    if (it == sagas_.end()) throw SagaNotFoundError(std::string(saga_id));
    return Decode(it->first, it->second);
  }

  SagaState FindByCorrelationID(const Context& ctx, std::string_view correlation_id,
                                std::string_view saga_type) override {
    Check(ctx);
    detail::RequireSagaID(correlation_id, "correlation ID");
    std::lock_guard lock(mutex_);
    ThrowIfClosed();
    const std::pair<const std::string, Entry>* best = nullptr;
    for (const auto& kv : sagas_) {
      const Entry& e = kv.second;
      if (e.correlation_id != correlation_id) continue;
      if (!saga_type.empty() && e.type != saga_type) continue;
      if (best == nullptr || e.started_at > best->second.started_at) best = &kv;
    }
    if (best == nullptr) throw SagaNotFoundError::ByCorrelation(std::string(correlation_id));
    return Decode(best->first, best->second);
  }

  std::vector<SagaState> FindByType(const Context& ctx, std::string_view saga_type,
                                    const std::vector<SagaStatus>& statuses,
                                    std::vector<CorruptSagaStateError>* corrupt) override {
    Check(ctx);
    std::vector<SagaState> out;
    std::optional<CorruptSagaStateError> first;
    {
      std::lock_guard lock(mutex_);
      ThrowIfClosed();
      for (const auto& [id, e] : sagas_) {
        if (e.type != saga_type) continue;
        if (!statuses.empty() &&
            std::find(statuses.begin(), statuses.end(), e.status) == statuses.end()) {
          continue;
        }
        try {
          out.push_back(Decode(id, e));
        } catch (const CorruptSagaStateError& bad) {
          if (corrupt != nullptr) {
            corrupt->push_back(bad);
          } else if (!first) {
            first.emplace(bad);
          }
        }
      }
    }
    if (first) throw *first;
    std::stable_sort(out.begin(), out.end(), [](const SagaState& a, const SagaState& b) {
      return a.started_at > b.started_at;
    });
    return out;
  }

  void Delete(const Context& ctx, std::string_view saga_id) override {
    Check(ctx);
    detail::RequireSagaID(saga_id, "saga ID");
    std::lock_guard lock(mutex_);
    ThrowIfClosed();
    auto it = sagas_.find(saga_id);
    if (it == sagas_.end()) throw SagaNotFoundError(std::string(saga_id));
    sagas_.erase(it);
  }

  void Close() override {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }

  std::optional<uint64_t> LoadCheckpoint(const Context& ctx, std::string_view name) override {
    Check(ctx);
    std::lock_guard lock(mutex_);
    ThrowIfClosed();
    auto it = checkpoints_.find(name);
    if (it == checkpoints_.end()) return std::nullopt;
    return it->second;
  }

  void SaveCheckpoint(const Context& ctx, std::string_view name, uint64_t position) override {
    Check(ctx);
    detail::RequireSagaID(name, "checkpoint name");
    std::lock_guard lock(mutex_);
    ThrowIfClosed();
    checkpoints_.insert_or_assign(std::string(name), position);
  }

  void SaveWithCheckpoint(const Context& ctx, SagaState& state, std::string_view name,
                          uint64_t position) override {
    Check(ctx);
    detail::RequireSagaID(name, "checkpoint name");
    std::lock_guard lock(mutex_);
    ThrowIfClosed();
    SaveLocked(state);
    checkpoints_.insert_or_assign(std::string(name), position);
  }

  using mink::SagaStore::FindByCorrelationID;
  using mink::SagaStore::FindByType;

  // ---- test helpers (go-mink's Count / Clear) ----
  std::size_t Count() const {
    std::lock_guard lock(mutex_);
    return sagas_.size();
  }
  void Clear() {
    std::lock_guard lock(mutex_);
    sagas_.clear();
    checkpoints_.clear();
  }
  // Replaces a stored saga's JSON text (to test how a corrupt row is reported). Throws
  // SagaNotFoundError for an unknown ID.
  void ReplaceRawForTesting(std::string_view saga_id, std::string json_text) {
    std::lock_guard lock(mutex_);
    auto it = sagas_.find(saga_id);
    if (it == sagas_.end()) throw SagaNotFoundError(std::string(saga_id));
    it->second.json = std::move(json_text);
  }

 private:
  struct Entry {
    std::string type;
    std::string correlation_id;
    SagaStatus status = SagaStatus::kStarted;
    Timestamp started_at{};
    int64_t version = 0;
    std::string json;
  };

  static void Check(const Context& ctx) { ctx.ThrowIfDone(); }

  void ThrowIfClosed() const {
    if (closed_) throw Error(errc::kAdapterClosed, "saga store is closed");
  }

  Timestamp Now() const {
    return TruncateToMicros(options_.clock ? options_.clock() : std::chrono::system_clock::now());
  }

  static SagaState Decode(const std::string& id, const Entry& e) {
    try {
      SagaState s = SagaStateFromJson(e.json);
      if (s.id != id) throw CorruptSagaStateError(id, "stored under another ID");
      return s;
    } catch (const CorruptSagaStateError& bad) {
      if (bad.SagaID() == id) throw;
      throw CorruptSagaStateError(id, bad.what());
    }
  }

  void SaveLocked(SagaState& state) {
    detail::RequireSagaID(state.id, "saga ID");
    if (state.type.empty()) throw Error(errc::kInvalidArgument, "saga type is empty");
    auto it = sagas_.find(state.id);
    const int64_t actual = it == sagas_.end() ? 0 : it->second.version;
    if ((it == sagas_.end()) != (state.version == 0) || actual != state.version) {
      throw detail::SagaVersionConflict(state, actual);
    }
    SagaState copy = state;
    copy.version = state.version + 1;
    copy.updated_at = Now();
    copy.started_at = TruncateToMicros(copy.started_at);
    if (copy.completed_at) copy.completed_at = TruncateToMicros(*copy.completed_at);
    Entry e{copy.type,       copy.correlation_id, copy.status,
            copy.started_at, copy.version,        SagaStateToJson(copy)};
    sagas_.insert_or_assign(copy.id, std::move(e));
    state.version = copy.version;
    state.updated_at = copy.updated_at;
    state.started_at = copy.started_at;
    state.completed_at = copy.completed_at;
  }

  SagaStoreOptions options_;
  mutable std::mutex mutex_;
  bool closed_ = false;
  std::map<std::string, Entry, std::less<>> sagas_;
  std::map<std::string, uint64_t, std::less<>> checkpoints_;
};

}  // namespace mink::memory

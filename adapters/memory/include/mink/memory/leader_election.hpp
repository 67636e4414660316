// mink/memory/leader_election.hpp — a LeaderElection within one process.
//
//   auto election = std::make_shared<mink::memory::LeaderElection>();
//   // give the same election to every SagaManager that must not run side by side
//
// Leases are entries in a shared set; Revoke(name) ends the lease holding `name` as if its
// holder's session had died (its StillHeld turns false and the names are free), which is how
// tests exercise a take-over. Thread-safe; leases may outlive the election.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "mink/error.hpp"
#include "mink/saga/leader_election.hpp"

namespace mink::memory {

class LeaderElection final : public mink::LeaderElection {
 public:
  std::unique_ptr<LeaderLease> TryAcquire(const Context& ctx,
                                          const std::vector<std::string>& names) override {
    ctx.ThrowIfDone();
    if (names.empty()) throw Error(errc::kInvalidArgument, "leader election: no names");
    std::lock_guard lock(state_->mutex);
    for (const auto& n : names) {
      if (n.empty()) throw Error(errc::kInvalidArgument, "leader election: empty name");
      if (state_->held.contains(n)) return nullptr;
    }
    auto lease = std::make_unique<Lease>(state_, names, ++state_->next_id);
    for (const auto& n : names) state_->held.emplace(n, lease->id);
    return lease;
  }

  // Ends the lease that holds `name` (no-op when none does). Returns whether one was ended.
  bool Revoke(const std::string& name) {
    std::lock_guard lock(state_->mutex);
    auto it = state_->held.find(name);
    if (it == state_->held.end()) return false;
    const uint64_t id = it->second;
    std::erase_if(state_->held, [id](const auto& entry) { return entry.second == id; });
    state_->revoked.insert(id);
    return true;
  }

  // Whether some lease holds `name`.
  bool IsHeld(const std::string& name) const {
    std::lock_guard lock(state_->mutex);
    return state_->held.contains(name);
  }

 private:
  struct State {
    mutable std::mutex mutex;
    std::map<std::string, uint64_t> held;  // name -> lease id
    std::set<uint64_t> revoked;
    uint64_t next_id = 0;
  };

  class Lease final : public LeaderLease {
   public:
    Lease(std::shared_ptr<State> state, std::vector<std::string> names, uint64_t lease_id)
        : id(lease_id), state_(std::move(state)), names_(std::move(names)) {}
    ~Lease() override {
      std::lock_guard lock(state_->mutex);
      if (state_->revoked.erase(id) != 0) return;  // its names are free already
      for (const auto& n : names_) state_->held.erase(n);
    }
    bool StillHeld(const Context&) override {
      std::lock_guard lock(state_->mutex);
      return !state_->revoked.contains(id);
    }
    const uint64_t id;

   private:
    std::shared_ptr<State> state_;
    std::vector<std::string> names_;
  };

  std::shared_ptr<State> state_ = std::make_shared<State>();
};

}  // namespace mink::memory

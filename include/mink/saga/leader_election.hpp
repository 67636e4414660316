// mink/saga/leader_election.hpp — electing one active SagaManager per saga type.
//
//   auto election = std::make_shared<mink::postgres::LeaderElection>(
//       mink::postgres::LeaderElectionOptions{.url = url});
//   mink::SagaManager manager(sagas, events, bus, {.leader_election = election});
//
// A LeaderElection hands out leases on names (the manager's: "saga:<type>" for each type and
// "saga-checkpoint:<checkpoint name>"). TryAcquire
// takes every name of the set or none — so two managers wanting {A, B} can never each hold
// one and wait for ever — and does not wait: a null lease means another holder has one of
// them. A lease is held until it is destroyed or lost; StillHeld reports a loss (on
// PostgreSQL: the session that holds the advisory locks died, so the server released them and
// a standby may already lead). The manager checks its lease every leader_retry_interval and
// stops leading as soon as it is lost.
//
// Implementations: mink::postgres::LeaderElection (session advisory locks, across processes)
// and mink::memory::LeaderElection (within one process; for tests and single-host set-ups).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "mink/context.hpp"

namespace mink {

class LeaderLease {
 public:
  virtual ~LeaderLease() = default;  // releases the names
  // False once the lease was lost; may take one round trip to the coordinator. Never throws.
  virtual bool StillHeld(const Context& ctx) = 0;
};

class LeaderElection {
 public:
  virtual ~LeaderElection() = default;
  // Takes every name in `names` or none, without waiting. Null when another holder has one of
  // them. Throws Error(kConnectionFailed) when the coordinator cannot be reached, and
  // Error(kInvalidArgument) for an empty set or an empty name.
  virtual std::unique_ptr<LeaderLease> TryAcquire(const Context& ctx,
                                                  const std::vector<std::string>& names) = 0;
};

}  // namespace mink

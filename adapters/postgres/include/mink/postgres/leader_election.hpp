// mink/postgres/leader_election.hpp — a LeaderElection across processes: session advisory
// locks on one PostgreSQL.
//
//   auto election = std::make_shared<mink::postgres::LeaderElection>(
//       mink::postgres::LeaderElectionOptions{.url = url});      // schema "mink"
//   mink::SagaManager manager(sagas, events, bus, {.leader_election = election});
//
// TryAcquire opens a connection of its own (never a pool lease) and takes
// pg_try_advisory_lock(class, key) for each name, in sorted order; when one is taken by another
// session it closes the connection, which releases the ones it took, and returns null. The
// lease keeps the connection: the locks live exactly as long as that session. When the holder
// process dies (SIGKILL, a crash, a lost host) the server ends the session and frees the locks,
// so a standby's next attempt wins. StillHeld counts the session's granted locks in pg_locks
// on the lease's connection (one round trip). TCP keepalives and a 10 s tcp_user_timeout on
// both ends (libpq's, and the server's through the connection's options; unless the URL sets
// its own) bound how long a dead network or host can hide a lost session: the server frees the
// locks of a silent client after about 10–15 s.
//
// Keys: class 0x4d494e4d ("MINK" + 2), key = FNV-1a of "<schema>.<name>" (32 bits); LockKey
// shows them for pg_locks. Names of different schemas never share a lock.
//
// Errors: an invalid schema -> Error(kInvalidSchemaName) and a malformed URL ->
// Error(kInvalidArgument) from the constructor; an unreachable server -> kConnectionFailed
// from TryAcquire.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "mink/saga/leader_election.hpp"

namespace mink::postgres {

struct LeaderElectionOptions {
  std::string url;
  std::string schema = "mink";
  std::chrono::seconds connect_timeout{5};
  std::string application_name = "mink-leader";
};

class LeaderElection final : public mink::LeaderElection {
 public:
  explicit LeaderElection(LeaderElectionOptions options);

  std::unique_ptr<LeaderLease> TryAcquire(const Context& ctx,
                                          const std::vector<std::string>& names) override;

  // The (class, key) pair of pg_advisory_lock for `name`.
  std::pair<int32_t, int32_t> LockKey(std::string_view name) const;

 private:
  LeaderElectionOptions options_;
  std::string conninfo_;
};

}  // namespace mink::postgres

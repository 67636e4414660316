// The PostgreSQL LeaderElection (mink/postgres/leader_election.hpp).
#include "mink/postgres/leader_election.hpp"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>

#include <pqxx/connection>
#include <pqxx/nontransaction>

#include "coordination.hpp"
#include "mink/postgres/conninfo.hpp"
#include "mink/postgres/identifier.hpp"

namespace mink::postgres {

namespace {

class Lease final : public LeaderLease {
 public:
  // `check`: counts this session's granted advisory locks on the lease's keys.
  Lease(std::unique_ptr<pqxx::connection> conn, std::string check, std::size_t names)
      : conn_(std::move(conn)), check_(std::move(check)), names_(names) {}
  ~Lease() override {
    try {
      conn_->disconnect();  // the session ends: the server releases its advisory locks
    } catch (...) {
    }
  }
  bool StillHeld(const Context& ctx) override {
    if (ctx.Done() || lost_) return !lost_;
    try {
      pqxx::nontransaction tx(*conn_);
      if (tx.exec(check_)[0][0].as<std::size_t>() == names_) return true;
    } catch (...) {
    }
    lost_ = true;  // the session (and its locks) is gone: never held again, even if libpqxx
    return false;  // reconnects the connection later
  }

 private:
  std::unique_ptr<pqxx::connection> conn_;
  std::string check_;
  std::size_t names_;
  bool lost_ = false;
};

}  // namespace

LeaderElection::LeaderElection(LeaderElectionOptions options) : options_(std::move(options)) {
  ValidateSchemaName(options_.schema);
  // Keepalives on both ends bound how long a silently dead network or host hides a lost
  // session: the client's (libpq) so the leader notices, the server's (the options GUCs) so
  // the server ends the session and frees the locks for a standby. The URL's own settings
  // come later in the string and win.
  conninfo_ =
      "keepalives=1 keepalives_idle=5 keepalives_interval=2 keepalives_count=3 "
      "tcp_user_timeout=10000 options='-c tcp_keepalives_idle=5 "
      "-c tcp_keepalives_interval=2 -c tcp_keepalives_count=3 -c tcp_user_timeout=10000' " +
      BuildConnInfo(options_.url, options_.connect_timeout, options_.application_name);
}

std::pair<int32_t, int32_t> LeaderElection::LockKey(std::string_view name) const {
  return {internal::kLeaderLockClass,
          internal::PositionLockKey(options_.schema + "." + std::string(name))};
}

std::unique_ptr<LeaderLease> LeaderElection::TryAcquire(const Context& ctx,
                                                        const std::vector<std::string>& names) {
  ctx.ThrowIfDone();
  if (names.empty()) throw Error(errc::kInvalidArgument, "leader election: no names");
  std::vector<std::string> sorted = names;
  for (const auto& n : sorted) {
    if (n.empty()) throw Error(errc::kInvalidArgument, "leader election: empty name");
  }
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::unique_ptr<pqxx::connection> conn;
  std::string keys;  // "(classid = c AND objid = o) OR ..." for the lease's check
  try {
    conn = std::make_unique<pqxx::connection>(conninfo_);
    pqxx::nontransaction tx(*conn);
    for (const auto& name : sorted) {
      const auto [k1, k2] = LockKey(name);
      const pqxx::result r = tx.exec("SELECT pg_try_advisory_lock(" + std::to_string(k1) + ", " +
                                     std::to_string(k2) + ")");
      // Returning closes the connection, which releases the names taken so far.
      if (!r[0][0].as<bool>()) return nullptr;
      keys += (keys.empty() ? "(classid = " : " OR (classid = ") +
              std::to_string(static_cast<uint32_t>(k1)) +
              " AND objid = " + std::to_string(static_cast<uint32_t>(k2)) + ")";
    }
  } catch (const pqxx::broken_connection& e) {
    throw Error(errc::kConnectionFailed, std::string("leader election: ") + e.what());
  } catch (const pqxx::failure& e) {
    throw Error(errc::kStorageFailed, std::string("leader election: ") + e.what());
  }
  return std::make_unique<Lease>(std::move(conn),
                                 "SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() AND "
                                 "locktype = 'advisory' AND granted AND objsubid = 2 AND (" +
                                     keys + ")",
                                 sorted.size());
}

}  // namespace mink::postgres

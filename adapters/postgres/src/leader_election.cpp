// The PostgreSQL LeaderElection (mink/postgres/leader_election.hpp).
#include "mink/postgres/leader_election.hpp"

#include <algorithm>
#include <memory>

#include <pqxx/connection>
#include <pqxx/nontransaction>

#include "coordination.hpp"
#include "mink/postgres/conninfo.hpp"
#include "mink/postgres/identifier.hpp"

namespace mink::postgres {

namespace {

class Lease final : public LeaderLease {
 public:
  explicit Lease(std::unique_ptr<pqxx::connection> conn) : conn_(std::move(conn)) {}
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
      tx.exec("SELECT 1");
      return true;
    } catch (...) {
      lost_ = true;  // the session is gone, and its locks with it: never held again
      return false;
    }
  }

 private:
  std::unique_ptr<pqxx::connection> conn_;
  bool lost_ = false;
};

}  // namespace

LeaderElection::LeaderElection(LeaderElectionOptions options) : options_(std::move(options)) {
  ValidateSchemaName(options_.schema);
  // Keepalives bound how long a silently dead network hides a lost session; the URL's own
  // settings come later in the string and win.
  conninfo_ =
      "keepalives=1 keepalives_idle=5 keepalives_interval=2 keepalives_count=3 "
      "tcp_user_timeout=10000 " +
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
  try {
    conn = std::make_unique<pqxx::connection>(conninfo_);
    pqxx::nontransaction tx(*conn);
    for (const auto& name : sorted) {
      const auto [k1, k2] = LockKey(name);
      const pqxx::result r = tx.exec("SELECT pg_try_advisory_lock(" + std::to_string(k1) + ", " +
                                     std::to_string(k2) + ")");
      if (!r[0][0].as<bool>()) {
        conn->disconnect();  // releases the names taken so far
        return nullptr;
      }
    }
  } catch (const pqxx::broken_connection& e) {
    throw Error(errc::kConnectionFailed, std::string("leader election: ") + e.what());
  } catch (const pqxx::failure& e) {
    throw Error(errc::kStorageFailed, std::string("leader election: ") + e.what());
  }
  return std::make_unique<Lease>(std::move(conn));
}

}  // namespace mink::postgres

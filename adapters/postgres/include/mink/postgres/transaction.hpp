// mink/postgres/transaction.hpp — the transaction an Adapter::AppendWithHook hook runs in.
//
//   adapter->AppendWithHook(ctx, "Order-1", records, mink::NoStream,
//       [](mink::Transaction& tx, const std::vector<mink::StoredEvent>& stored) {
//         pqxx::work& work = dynamic_cast<mink::postgres::Transaction&>(tx).Work();
//         work.exec_params("INSERT INTO outbox ...", ...);   // commits with the events
//       });
//
// This is the one public header of the adapter that exposes libpqxx, because handing a hook
// the open libpqxx transaction is its purpose; include it only where a hook writes SQL.
// The hook must use Work() for its SQL and must not call back into the adapter (that could
// wait for a connection the append itself holds). Work() is valid only during the hook.
#pragma once

#include <pqxx/transaction>

#include "mink/es/adapter.hpp"

namespace mink::postgres {

class Transaction final : public mink::Transaction {
 public:
  explicit Transaction(pqxx::work& work) : work_(work) {}
  pqxx::work& Work() const noexcept { return work_; }

 private:
  pqxx::work& work_;
};

}  // namespace mink::postgres

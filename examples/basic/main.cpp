// examples/basic — an order aggregate created, changed, saved, reloaded, and its history
// printed. Runs on the in-memory store; see docs/getting-started.md. Built with the PostgreSQL
// adapter, `example_basic postgresql://user:pw@host/db` runs the same program on PostgreSQL
// (schema "mink_example", recreated on each run).
#include <cstdio>
#include <memory>
#include <string>

#include <mink/memory/adapter.hpp>
#include <mink/mink.hpp>
#ifdef MINK_EXAMPLE_WITH_POSTGRES
#include <mink/postgres/adapter.hpp>
#include <pqxx/pqxx>
#endif

// ---- events: plain structs with a type name ----
struct OrderCreated {
  static constexpr std::string_view kEventType = "OrderCreated";
  std::string order_id;
  std::string customer_id;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(OrderCreated, order_id, customer_id)
};

struct ItemAdded {
  static constexpr std::string_view kEventType = "ItemAdded";
  std::string sku;
  int quantity = 0;
  double price = 0;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(ItemAdded, sku, quantity, price)
};

struct OrderShipped {
  static constexpr std::string_view kEventType = "OrderShipped";
  std::string carrier;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(OrderShipped, carrier)
};

// ---- the aggregate: rules in domain methods, state changes in ApplyEvent ----
class Order : public mink::AggregateBase {
 public:
  explicit Order(std::string id) : AggregateBase(std::move(id), "Order") {}

  void Create(std::string customer_id) {
    if (created_) throw mink::DomainError("order already created");
    Apply(OrderCreated{AggregateID(), std::move(customer_id)});
  }
  void AddItem(std::string sku, int quantity, double price) {
    if (!created_) throw mink::DomainError("order does not exist");
    if (shipped_) throw mink::DomainError("order already shipped");
    if (quantity <= 0) throw mink::DomainError("quantity must be positive");
    Apply(ItemAdded{std::move(sku), quantity, price});
  }
  void Ship(std::string carrier) {
    if (items_ == 0) throw mink::DomainError("cannot ship an empty order");
    Apply(OrderShipped{std::move(carrier)});
  }

  void ApplyEvent(const mink::Event& event) override {
    mink::Match(
        event, [&](const OrderCreated& e) { customer_ = e.customer_id, created_ = true; },
        [&](const ItemAdded& e) { items_ += e.quantity, total_ += e.quantity * e.price; },
        [&](const OrderShipped&) { shipped_ = true; });
  }

  const std::string& Customer() const { return customer_; }
  int Items() const { return items_; }
  double Total() const { return total_; }
  bool Shipped() const { return shipped_; }

 private:
  std::string customer_;
  bool created_ = false;
  bool shipped_ = false;
  int items_ = 0;
  double total_ = 0;
};

std::shared_ptr<mink::EventStoreAdapter> MakeAdapter(int argc, char** argv) {
#ifdef MINK_EXAMPLE_WITH_POSTGRES
  if (argc > 1) {
    {
      // Start from an empty schema so every run prints the same history.
      pqxx::connection conn(mink::postgres::BuildConnInfo(argv[1], std::chrono::seconds(5)));
      pqxx::nontransaction tx(conn);
      tx.exec("DROP SCHEMA IF EXISTS mink_example CASCADE");
    }
    auto pg = std::make_shared<mink::postgres::Adapter>(
        mink::postgres::Options{.url = argv[1], .schema = "mink_example"});
    pg->Initialize(mink::Context{});
    std::printf("using PostgreSQL (schema %s)\n", pg->Schema().c_str());
    return pg;
  }
#else
  if (argc > 1) std::fprintf(stderr, "built without PostgreSQL support; using memory\n");
  (void)argv;
#endif
  return std::make_shared<mink::memory::Adapter>();
}

int main(int argc, char** argv) try {
  auto adapter = MakeAdapter(argc, argv);
  mink::EventStore store(adapter);
  store.RegisterEvents<OrderCreated, ItemAdded, OrderShipped>();
  mink::Context ctx;

  // Create and change an order, then save its three new events in one append.
  Order order("order-1001");
  order.Create("customer-42");
  order.AddItem("SKU-BOOK", 2, 12.50);
  order.AddItem("SKU-PEN", 5, 1.20);
  store.SaveAggregate(ctx, order);
  std::printf("saved %s: version %lld\n", order.AggregateID().c_str(),
              static_cast<long long>(order.Version()));

  // A later request reloads it, ships it and saves again.
  Order again("order-1001");
  store.LoadAggregate(ctx, again);
  again.Ship("DHL");
  store.SaveAggregate(ctx, again);

  // A stale copy cannot overwrite newer history: optimistic concurrency.
  try {
    order.AddItem("SKU-LATE", 1, 3.0);
    store.SaveAggregate(ctx, order);
  } catch (const mink::ConcurrencyError& e) {
    std::printf("stale write refused: %s\n", e.what());
  }

  Order reloaded("order-1001");
  store.LoadAggregate(ctx, reloaded);
  std::printf("reloaded %s: version %lld, customer %s, %d items, total %.2f, shipped %s\n",
              reloaded.AggregateID().c_str(), static_cast<long long>(reloaded.Version()),
              reloaded.Customer().c_str(), reloaded.Items(), reloaded.Total(),
              reloaded.Shipped() ? "yes" : "no");

  std::printf("history of %s:\n", reloaded.StreamID().c_str());
  for (const mink::Event& e : store.Load(ctx, reloaded.StreamID())) {
    std::printf("  v%lld  #%llu  %-13s %s\n", static_cast<long long>(e.Version()),
                static_cast<unsigned long long>(e.GlobalPosition()), e.Type().c_str(),
                e.Json().dump().c_str());
  }
  return 0;
} catch (const mink::Error& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}

// examples/versioning — a renamed field, upgraded while events load.
//
// The first release of a service stored OrderCreated with the customer in a field "customer"
// (schema v1). Today's struct calls it "customer_id" (schema v2). An upcaster v1 -> v2 renames
// the field on load, so events written by the first release decode into today's struct. The
// store stamps every event it writes with its schema version ("$schema_version" in the
// metadata); the stored bytes are never rewritten. See docs/versioning.md.
#include <cstdio>
#include <memory>
#include <string>
#include <utility>

#include <mink/memory/adapter.hpp>
#include <mink/mink.hpp>

namespace v1 {

// OrderCreated as the first release defined it.
struct OrderCreated {
  static constexpr std::string_view kEventType = "OrderCreated";
  std::string order_id;
  std::string customer;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(OrderCreated, order_id, customer)
};

}  // namespace v1

// OrderCreated today: schema v2.
struct OrderCreated {
  static constexpr std::string_view kEventType = "OrderCreated";
  std::string order_id;
  std::string customer_id;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(OrderCreated, order_id, customer_id)
};

std::string SchemaVersionOf(const mink::Metadata& metadata) {
  const std::string* version = metadata.Custom(mink::kSchemaVersionKey);
  return version != nullptr ? *version : "(missing, read as 1)";
}

int main() {
  auto adapter = std::make_shared<mink::memory::Adapter>();
  mink::Context ctx;
  const char* streams[] = {"Order-1", "Order-2", "Order-3"};

  // ---- the first release writes two v1 events ----
  {
    // It already had an upcaster chain (empty), so it stamped its events with the version it
    // wrote: 1. An event with no stamp at all is read as version 1 as well.
    mink::EventStore first_release(adapter, {.upcasters = std::make_shared<mink::UpcasterChain>()});
    first_release.RegisterEvents<v1::OrderCreated>();
    first_release.Append(ctx, streams[0], {v1::OrderCreated{"1", "cust-1"}}, mink::NoStream);
    first_release.Append(ctx, streams[1], {v1::OrderCreated{"2", "cust-2"}}, mink::NoStream);
  }

  // ---- today's release: the field is renamed, an upcaster upgrades v1 on load ----
  auto upcasters = std::make_shared<mink::UpcasterChain>();
  upcasters->Register(mink::MakeUpcaster("OrderCreated", 1, 2, [](nlohmann::json data) {
    // at() throws on a v1 event without "customer": Load reports it as UpcastError
    // (errc::kUpcastFailed) instead of decoding a half-empty struct.
    data["customer_id"] = data.at("customer");
    data.erase("customer");
    return data;
  }));
  upcasters->Validate();  // a missing step would throw UpcastError (kSchemaVersionGap) here

  mink::EventStore store(adapter, {.upcasters = upcasters});
  store.RegisterEvents<OrderCreated>();
  store.Append(ctx, streams[2], {OrderCreated{"3", "cust-3"}}, mink::NoStream);  // stamped 2

  std::printf("stored (LoadRaw: the bytes as written, not upcast):\n");
  for (const char* stream : streams) {
    for (const mink::StoredEvent& s : store.LoadRaw(ctx, stream, 0)) {
      std::printf("  %-8s %s  $schema_version=%s  %s\n", s.stream_id.c_str(), s.type.c_str(),
                  SchemaVersionOf(s.metadata).c_str(), s.data.c_str());
    }
  }

  std::printf("loaded (Load: upcast to v%d, decoded into OrderCreated):\n",
              upcasters->LatestVersion("OrderCreated"));
  int decoded = 0;
  for (const char* stream : streams) {
    for (const mink::Event& e : store.Load(ctx, stream)) {
      const auto& created = e.As<OrderCreated>();
      std::printf("  %-8s order_id=%s customer_id=%s  $schema_version=%s\n", e.StreamID().c_str(),
                  created.order_id.c_str(), created.customer_id.c_str(),
                  SchemaVersionOf(e.Metadata()).c_str());
      if (created.customer_id == "cust-" + created.order_id) ++decoded;
    }
  }
  if (decoded != 3) {
    std::printf("FAILED: %d of 3 events decoded with their customer_id\n", decoded);
    return 1;
  }
  std::printf("decoded %d OrderCreated events into schema v2\n", decoded);
  return 0;
}

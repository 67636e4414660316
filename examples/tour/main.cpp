// examples/tour — every pattern of mink in one run, narrated step by step, on one small shop:
//   1. commands through the middleware pipeline: validation, correlation / causation IDs,
//      idempotency (a retried request is replayed, its handler runs once);
//   2. the order fulfilment saga: one order completes, one runs out of stock and is
//      compensated (its payment refunded);
//   3. the transactional outbox: the order events of steps 1-2 were scheduled in the same
//      write; the OutboxProcessor delivers them, signed, to a webhook receiver on 127.0.0.1;
//   4. field encryption with a master key per customer, and crypto-shredding: one customer's
//      key is revoked, their personal data is unreadable from then on, the other's is not;
//   5. a GDPR export (JSON) for the shredded customer: their data comes out redacted.
// Runs on memory. Built with the PostgreSQL adapter, `example_tour postgresql://...` runs the
// same tour with the event store, idempotency store, saga store and outbox on PostgreSQL
// (schema "mink_tour", recreated on each run). `bash scripts/demo.sh [url]` builds and runs it.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/core.h>

#include <mink/encryption/aes_gcm.hpp>
#include <mink/encryption/field_encryption.hpp>
#include <mink/encryption/local_provider.hpp>
#include <mink/gdpr/export_format.hpp>
#include <mink/gdpr/exporter.hpp>
#include <mink/mink.hpp>
#include <mink/outbox/event_store_with_outbox.hpp>
#include <mink/outbox/processor.hpp>
#include <mink/webhook/publisher.hpp>

#include "domain.hpp"
#include "stores.hpp"
#include "webhook_receiver.hpp"

using namespace std::chrono_literals;

namespace {

int steps = 0;
int failed_checks = 0;

void Section(const char* title) { fmt::print("\n{}. {}\n", ++steps, title); }

// The tour checks what it tells: a wrong outcome is reported and fails the run.
void Check(bool ok, const char* what) {
  if (!ok) {
    ++failed_checks;
    fmt::print("   CHECK FAILED: {}\n", what);
  }
}

std::string Shorten(const std::string& s, std::size_t n) {
  return s.size() <= n ? s : s.substr(0, n) + "...";
}

// Waits (up to 30 s) until the saga of `stream` reaches a terminal status.
mink::SagaState AwaitSaga(mink::SagaManager& manager, const std::string& stream) {
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  for (;;) {
    try {
      mink::SagaState s = manager.GetSaga(mink::Context{}, "OrderFulfillment-" + stream);
      if (mink::IsTerminal(s.status) || std::chrono::steady_clock::now() > deadline) return s;
    } catch (const mink::SagaNotFoundError&) {
      if (std::chrono::steady_clock::now() > deadline) throw;
    }
    std::this_thread::sleep_for(5ms);
  }
}

void PrintCustomer(mink::EventStore& events, const mink::Context& ctx, const std::string& stream) {
  for (const mink::Event& e : events.Load(ctx, stream)) {
    const auto& c = e.As<tour::CustomerRegistered>();
    // An event whose key is revoked loads as stored: its encrypted fields stay ciphertext.
    const bool shredded = mink::IsEncrypted(e.Metadata());
    fmt::print("   {}: name={} email={} country={} ({})\n", stream, Shorten(c.name, 24),
               Shorten(c.email, 24), c.country, shredded ? "shredded" : "readable");
  }
}

}  // namespace

int main(int argc, char** argv) try {
  const mink::Context ctx;
  tour::Stores stores = tour::MakeStores(argc, argv);
  fmt::print("mink tour, on {}\n", stores.where);

  // ---- the shop's wiring, used by every step below ----
  // Master keys, one per customer (in production they live in AWS KMS or Vault). Events carry
  // the customer ID as their tenant, and tenant_key_resolver picks that customer's key.
  auto keys = std::make_shared<mink::LocalProvider>();
  mink::FieldEncryptionConfig crypto{.provider = keys};
  crypto.EncryptFields("CustomerRegistered", {"name", "email"});
  crypto.tenant_key_resolver = [](std::string_view customer) {
    return "customer-" + std::string(customer);
  };
  crypto.on_decryption_error = mink::SkipRevokedKeys;  // shredded data loads as ciphertext
  auto encryption = std::make_shared<mink::FieldEncryption>(std::move(crypto));

  auto events = std::make_shared<mink::EventStore>(
      stores.events, mink::EventStoreOptions{.field_transform = encryption});
  tour::RegisterEvents(*events);

  // The partner's webhook endpoint, and the outbox routes that feed it: order events written
  // through `store` schedule a delivery in the same write.
  // (The signing secret is the Standard Webhooks spec's example: use a secret of your own.)
  const std::string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  tour::WebhookReceiver partner(secret);
  const std::string partner_url = partner.Url("/partner/orders");
  auto store = std::make_shared<mink::EventStoreWithOutbox>(
      events, stores.outbox,
      std::vector<mink::OutboxRoute>{
          {.event_types = {"OrderPlaced", "OrderCompleted", "OrderFailed"},
           .destination = "webhook:" + partner_url}});

  // One command bus. Runtime middleware runs for every command, first registered outermost.
  // Idempotency keys: a client's IdempotencyKey(), or a saga command's deterministic ID.
  auto bus = std::make_shared<mink::CommandBus>();
  mink::IdempotencyConfig idempotency = mink::DefaultIdempotencyConfig(stores.idempotency);
  idempotency.key_func = mink::SagaIdempotencyKey;
  bus->Use(mink::RecoveryMiddleware(), mink::ValidationMiddleware(),
           mink::CorrelationIDMiddleware(), mink::CausationIDMiddleware(),
           mink::IdempotencyMiddleware(idempotency));

  std::atomic<int> place_order_runs{0};
  bus->Register(mink::NewGenericHandler<tour::PlaceOrder>(
      [&](const mink::Context& c, const tour::PlaceOrder& cmd) {
        ++place_order_runs;
        tour::Order order(cmd.order_id);
        order.Place(cmd.customer_id, cmd.sku, cmd.quantity, cmd.amount);
        store->SaveAggregate(c, order);  // the Context carries the correlation / causation IDs
        return mink::NewSuccessResult(order.StreamID(), order.Version());
      }));

  // ---------------------------------------------------------------------------------------
  Section("Commands through the middleware pipeline: validation, correlation, idempotency");
  tour::PlaceOrder place;
  place.request_id = "req-1001";
  place.order_id = "1001";
  place.customer_id = "alice";
  place.sku = "widget";
  place.quantity = 2;
  place.amount = 40;
  place.SetCorrelationID("checkout-7f3a");  // e.g. the ID of the incoming HTTP request
  mink::CommandResult placed = bus->Dispatch(ctx, place);
  fmt::print("   PlaceOrder req-1001 -> {} at version {} (handler runs: {})\n", placed.aggregate_id,
             placed.version, place_order_runs.load());

  // The client timed out and sends the same request again: the stored result comes back.
  mink::CommandResult replayed = bus->Dispatch(ctx, place);
  fmt::print("   PlaceOrder req-1001 again -> {} at version {}: replayed (handler runs: {})\n",
             replayed.aggregate_id, replayed.version, place_order_runs.load());
  Check(replayed.aggregate_id == placed.aggregate_id && place_order_runs == 1,
        "the retried request is replayed, not run again");

  tour::PlaceOrder invalid = place;
  invalid.request_id = "req-1003";
  invalid.quantity = 0;
  try {
    bus->Dispatch(ctx, invalid);
    Check(false, "an invalid command is rejected");
  } catch (const mink::MultiValidationError& e) {
    fmt::print("   PlaceOrder with quantity 0 -> rejected before its handler: {}\n", e.what());
  }

  // The IDs of the request reached the stored events without the handler copying them.
  for (const mink::Event& e : events->Load(ctx, "Order-1001")) {
    fmt::print("   stored Order-1001 v{} {}: correlation={} causation={}\n", e.Version(), e.Type(),
               e.Metadata().correlation_id, e.Metadata().causation_id);
    Check(e.Metadata().correlation_id == "checkout-7f3a", "the correlation ID is in the metadata");
  }

  // ---------------------------------------------------------------------------------------
  Section("A saga with compensation: order fulfilment");
  // Payment, inventory and shipping are command handlers on the same bus; the saga turns each
  // event of an order into the next command, and undoes the payment when stock runs out.
  auto stock =
      std::make_shared<std::map<std::string, int>>(std::map<std::string, int>{{"widget", 5}});
  tour::RegisterServices(*bus, store, stock);
  mink::SagaManager manager(stores.sagas, events, bus,
                            {.retry_attempts = 3, .retry_delay = 10ms, .poll_interval = 50ms});
  manager.RegisterSimple(
      "OrderFulfillment",
      [](const std::string& id) { return std::make_unique<tour::OrderFulfillmentSaga>(id); },
      {"OrderPlaced"});
  auto running = manager.StartAsync(ctx);  // follows the event feed from its checkpoint
  fmt::print("   5 widgets in stock; the saga picks up order 1001 from step 1\n");

  tour::PlaceOrder big = place;
  big.request_id = "req-1002";
  big.order_id = "1002";
  big.customer_id = "bob";
  big.quantity = 10;
  big.amount = 200;
  big.SetCorrelationID("checkout-9b21");
  bus->Dispatch(ctx, big).ThrowIfError();
  fmt::print("   bob places order 1002 for 10 widgets\n");

  for (const std::string stream : {"Order-1001", "Order-1002"}) {
    const mink::SagaState s = AwaitSaga(manager, stream);
    std::string history;
    for (const mink::Event& e : events->Load(ctx, stream)) {
      history += (history.empty() ? "" : " > ") + e.Type();
    }
    fmt::print("   {}: saga {} after {} step(s){}\n      {}\n", stream, mink::ToString(s.status),
               s.current_step, s.failure_reason.empty() ? "" : " - " + s.failure_reason, history);
  }
  manager.Stop();
  running.get();
  Check(manager.GetSaga(ctx, "OrderFulfillment-Order-1001").status == mink::SagaStatus::kCompleted,
        "order 1001 is fulfilled");
  Check(
      manager.GetSaga(ctx, "OrderFulfillment-Order-1002").status == mink::SagaStatus::kCompensated,
      "order 1002 is compensated");
  fmt::print("   widgets left: {}\n", (*stock)["widget"]);

  // ---------------------------------------------------------------------------------------
  Section("The outbox delivers order events to the partner's webhook");
  const int64_t pending = stores.outbox->Count(ctx, mink::OutboxStatus::kPending);
  fmt::print("   {} messages were scheduled by steps 1-2, {} the events\n", pending,
             store->IsAtomic() ? "atomically with" : "after");
  fmt::print("   the processor POSTs them, signed (Standard Webhooks), to {}\n", partner_url);
  auto webhook = std::make_shared<mink::webhook::Publisher>(
      mink::webhook::PublisherOptions{.timeout = 10s, .signing_secret = secret});
  mink::OutboxProcessor processor(stores.outbox, {.batch_size = 10,
                                                  .poll_interval = 50ms,
                                                  .retry_backoff = 100ms,
                                                  .publishers = {webhook},
                                                  .ordered_per_aggregate = true,
                                                  .wake_feed = stores.events});
  processor.Start(ctx);
  std::vector<tour::Delivery> received = partner.WaitFor(4, 30s);
  processor.Stop(ctx.WithTimeout(10s));
  // In order per order (ordered_per_aggregate); grouped by order for the printout.
  std::stable_sort(received.begin(), received.end(),
                   [](const auto& a, const auto& b) { return a.stream_id < b.stream_id; });
  for (const tour::Delivery& d : received) {
    fmt::print("   partner got {} {} (signature ok, correlation {}): {}\n", d.stream_id,
               d.event_type, d.correlation_id, Shorten(d.body, 60));
  }
  const int64_t delivered = stores.outbox->Count(ctx, mink::OutboxStatus::kCompleted);
  fmt::print("   partner received {} events; outbox: {} delivered, {} pending\n", received.size(),
             delivered, stores.outbox->Count(ctx, mink::OutboxStatus::kPending));
  Check(received.size() == 4 && delivered == 4, "the 4 order events are delivered");

  // ---------------------------------------------------------------------------------------
  Section("Field encryption with per-customer keys, and crypto-shredding");
  struct Customer {
    std::string id, name, email, country;
  };
  for (const Customer& c : {Customer{"alice", "Alice Smith", "alice@example.com", "PT"},
                            Customer{"bob", "Bob Jones", "bob@example.com", "SE"}}) {
    keys->AddKey("customer-" + c.id, mink::RandomBytes(32));
    events->Append(ctx.WithTenantID(c.id), "Customer-" + c.id,
                   {tour::CustomerRegistered{c.id, c.name, c.email, c.country}});
  }
  const mink::StoredEvent raw = events->LoadRaw(ctx, "Customer-bob", 0).at(0);
  fmt::print("   stored Customer-bob: {}\n", Shorten(raw.data, 90));
  fmt::print("   sealed fields {} under key {}\n", *raw.metadata.Custom(mink::kEncryptedFieldsKey),
             mink::GetEncryptionKeyID(raw.metadata));
  PrintCustomer(*events, ctx, "Customer-alice");
  PrintCustomer(*events, ctx, "Customer-bob");

  encryption->RevokeKey(ctx, "customer-bob");  // bob asks to be forgotten
  fmt::print("   bob asks to be forgotten: key customer-bob is now {}\n",
             mink::ToString(encryption->GetRevocationState(ctx, "customer-bob")));
  PrintCustomer(*events, ctx, "Customer-alice");
  PrintCustomer(*events, ctx, "Customer-bob");
  Check(events->Load(ctx, "Customer-alice").at(0).As<tour::CustomerRegistered>().email ==
            "alice@example.com",
        "alice's data still decrypts");
  Check(mink::IsEncrypted(events->Load(ctx, "Customer-bob").at(0).Metadata()),
        "bob's data is shredded");

  // ---------------------------------------------------------------------------------------
  Section("GDPR export for a data subject (JSON, format mink-export/1)");
  mink::DataExporter exporter(*events);  // checks revocation with the store's key provider
  std::ostringstream json;
  const mink::ExportResult bob = mink::ExportToJson(
      exporter, ctx, {.subject_id = "bob", .streams = {"Customer-bob", "Order-1002"}}, json);
  const nlohmann::json document = nlohmann::json::parse(json.str());
  for (const nlohmann::json& e : document["events"]) {
    const std::string what =
        e["redacted"].get<bool>()
            ? "REDACTED, raw_data " + Shorten(e["raw_data"].get<std::string>(), 40)
            : Shorten(e["data"].dump(), 60);
    fmt::print("   {} v{} {}: {}\n", e["stream_id"].get<std::string>(), e["version"].get<int>(),
               e["event_type"].get<std::string>(), what);
  }
  fmt::print("   bob: {} events, {} redacted, complete={}\n", bob.total_events, bob.redacted_count,
             document["complete"].dump());
  const mink::ExportResult alice =
      exporter.Export(ctx, {.subject_id = "alice", .streams = {"Customer-alice", "Order-1001"}});
  fmt::print("   alice: {} events, {} redacted\n", alice.total_events, alice.redacted_count);
  Check(bob.redacted_count == 1 && alice.redacted_count == 0, "only bob's data is redacted");

  bus->Close();
  if (failed_checks > 0) {
    fmt::print("\ntour FAILED: {} check(s) failed\n", failed_checks);
    return 1;
  }
  fmt::print("\ntour complete: {} steps\n", steps);
  return 0;
} catch (const std::exception& e) {
  fmt::print(stderr, "tour failed: {}\n", e.what());
  return 1;
}

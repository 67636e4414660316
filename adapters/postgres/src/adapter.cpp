// mink::postgres::Adapter: the public face of internal::Core (event_core.hpp). Subscribe*
// live in subscriptions.cpp.
#include "mink/postgres/adapter.hpp"

#include <limits>
#include <utility>

#include "event_core.hpp"

namespace mink::postgres {

Adapter::Adapter(Options options) : core_(std::make_shared<internal::Core>(std::move(options))) {}

Adapter::~Adapter() { core_->Close(); }

void Adapter::Initialize(const Context& ctx) { core_->Initialize(ctx); }
void Adapter::Close() { core_->Close(); }

AppendResult Adapter::Append(const Context& ctx, const std::string& stream_id,
                             std::vector<EventRecord> records, int64_t expected_version) {
  return core_->Append(ctx, stream_id, std::move(records), expected_version, nullptr);
}

AppendResult Adapter::AppendWithHook(const Context& ctx, const std::string& stream_id,
                                     std::vector<EventRecord> records, int64_t expected_version,
                                     const TransactionHook& hook) {
  return core_->Append(ctx, stream_id, std::move(records), expected_version, &hook);
}

std::vector<StoredEvent> Adapter::Load(const Context& ctx, const std::string& stream_id,
                                       int64_t from_version) {
  return core_->Load(ctx, stream_id, from_version, std::numeric_limits<int32_t>::max());
}

StreamInfo Adapter::GetStreamInfo(const Context& ctx, const std::string& stream_id) {
  return core_->GetStreamInfo(ctx, stream_id);
}

uint64_t Adapter::GetLastPosition(const Context& ctx) { return core_->GetLastPosition(ctx); }
uint64_t Adapter::GetLastWrittenPosition(const Context& ctx) {
  return core_->GetLastWrittenPosition(ctx);
}

std::vector<StoredEvent> Adapter::LoadFromPosition(const Context& ctx, uint64_t from_position,
                                                   std::size_t limit) {
  return core_->LoadFromPosition(ctx, from_position, limit);
}

EventScanPage Adapter::ScanEvents(const Context& ctx, uint64_t from_position, uint64_t to_position,
                                  std::size_t limit, const EventScanFilter& filter) {
  return core_->ScanEvents(ctx, from_position, to_position, limit, filter);
}
void Adapter::CreateExportIndexes(const Context& ctx) { core_->CreateExportIndexes(ctx); }

int Adapter::MigrationVersion(const Context& ctx) { return core_->MigrationVersion(ctx); }
const std::string& Adapter::Schema() const noexcept { return core_->options().schema; }
PoolStats Adapter::PoolStats() const { return core_->pool().GetStats(); }
bool Adapter::Listening() const { return core_->Listening(); }

}  // namespace mink::postgres

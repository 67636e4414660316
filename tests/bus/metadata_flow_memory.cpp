// Runs the metadata-flow suite on the in-memory adapter.
#include <memory>

#include "conformance/event_store_conformance.hpp"
#include "mink/memory/adapter.hpp"

namespace mink::testing {

conformance::AdapterFactory MetadataFlowAdapter() {
  return {"memory", [] { return std::make_shared<memory::Adapter>(); }};
}

}  // namespace mink::testing

// mink/mink.hpp — the whole core API in one include.
//
// Area headers, for a translation unit that needs less:
//   mink/es/...           events, metadata, upcasting, aggregates, EventStore, adapter interfaces
//   mink/cqrs/...         commands, results, handlers, the CommandBus
//   mink/middleware/...   the pipeline and one header per built-in middleware
//   mink/idempotency/...  the store interface, keys and IdempotencyMiddleware
#pragma once

#include "mink/context.hpp"
#include "mink/cqrs/aggregate_handler.hpp"
#include "mink/cqrs/any_command.hpp"
#include "mink/cqrs/command.hpp"
#include "mink/cqrs/command_bus.hpp"
#include "mink/cqrs/command_result.hpp"
#include "mink/cqrs/command_view.hpp"
#include "mink/cqrs/errors.hpp"
#include "mink/cqrs/handler.hpp"
#include "mink/error.hpp"
#include "mink/es/adapter.hpp"
#include "mink/es/aggregate.hpp"
#include "mink/es/errors.hpp"
#include "mink/es/event.hpp"
#include "mink/es/event_registry.hpp"
#include "mink/es/event_store.hpp"
#include "mink/es/metadata.hpp"
#include "mink/es/stored_event.hpp"
#include "mink/es/stream_id.hpp"
#include "mink/es/subscription.hpp"
#include "mink/es/upcasting.hpp"
#include "mink/es/version.hpp"
#include "mink/idempotency/config.hpp"
#include "mink/idempotency/errors.hpp"
#include "mink/idempotency/key.hpp"
#include "mink/idempotency/middleware.hpp"
#include "mink/idempotency/store.hpp"
#include "mink/middleware/causation.hpp"
#include "mink/middleware/conditional.hpp"
#include "mink/middleware/correlation.hpp"
#include "mink/middleware/logging.hpp"
#include "mink/middleware/metrics.hpp"
#include "mink/middleware/pipeline.hpp"
#include "mink/middleware/recovery.hpp"
#include "mink/middleware/retry.hpp"
#include "mink/middleware/tenant.hpp"
#include "mink/middleware/timeout.hpp"
#include "mink/middleware/typed_pipeline.hpp"
#include "mink/middleware/validation.hpp"
#include "mink/uuid.hpp"

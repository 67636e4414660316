// mink/mink.hpp — the whole core API in one include.
#pragma once

#include "mink/adapter.hpp"
#include "mink/aggregate.hpp"
#include "mink/context.hpp"
#include "mink/error.hpp"
#include "mink/event.hpp"
#include "mink/event_registry.hpp"
#include "mink/event_store.hpp"
#include "mink/metadata.hpp"
#include "mink/stored_event.hpp"
#include "mink/stream_id.hpp"
#include "mink/subscription.hpp"
#include "mink/uuid.hpp"
#include "mink/version.hpp"
#include "mink/versioning.hpp"

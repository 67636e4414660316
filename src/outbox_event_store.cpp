// The compiled definitions of mink/outbox/event_store_with_outbox.hpp.
#include "mink/outbox/event_store_with_outbox.hpp"

#include "mink/outbox/event_store_with_outbox-inl.hpp"

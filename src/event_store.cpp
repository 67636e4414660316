// The compiled definitions of mink/es/event_store.hpp.
#include "mink/es/event_store.hpp"

#include "mink/es/event_store-inl.hpp"

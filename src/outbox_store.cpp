// The compiled definitions of mink/outbox/store.hpp.
#include "mink/outbox/store.hpp"

#include "mink/outbox/store-inl.hpp"

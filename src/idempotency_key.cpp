// The compiled definitions of mink/idempotency/key.hpp.
#include "mink/idempotency/key.hpp"

#include "mink/idempotency/key-inl.hpp"

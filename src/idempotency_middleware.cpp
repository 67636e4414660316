// The compiled definitions of mink/idempotency/middleware.hpp.
#include "mink/idempotency/middleware.hpp"

#include "mink/idempotency/middleware-inl.hpp"

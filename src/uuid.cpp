// The compiled definitions of mink/uuid.hpp.
#include "mink/uuid.hpp"
#include "mink/detail/uuid_pool.hpp"

#include "mink/uuid-inl.hpp"

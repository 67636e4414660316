// mink/uuid.hpp — random (version 4) UUIDs.
//
// NewUUID() draws its 122 random bits from OpenSSL's CSPRNG: use it for identifiers that must
// not be guessable (correlation IDs, aggregate IDs handed to clients). Thread safe.
#pragma once

#include <string>

#include "mink/detail/config.hpp"

namespace mink {

MINK_API std::string NewUUID();

}  // namespace mink

#ifdef MINK_HEADER_ONLY
#include "mink/uuid-inl.hpp"
#endif

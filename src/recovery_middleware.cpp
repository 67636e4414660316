// The compiled definitions of mink/middleware/recovery.hpp.
#include "mink/middleware/recovery.hpp"

#include "mink/middleware/recovery-inl.hpp"

// The compiled definitions of mink/outbox/processor.hpp.
#include "mink/outbox/processor.hpp"

#include "mink/outbox/processor-inl.hpp"

// The compiled definitions of mink/encryption/reencrypt.hpp.
#include "mink/encryption/reencrypt.hpp"

#include "mink/encryption/reencrypt-inl.hpp"

// The compiled definitions of mink/encryption/field_encryption.hpp.
#include "mink/encryption/field_encryption.hpp"

#include "mink/encryption/field_encryption-inl.hpp"

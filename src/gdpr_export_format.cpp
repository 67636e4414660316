// The compiled definitions of mink/gdpr/export_format.hpp.
#include "mink/gdpr/export_format.hpp"

#include "mink/gdpr/export_format-inl.hpp"

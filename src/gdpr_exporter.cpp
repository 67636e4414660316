// The compiled definitions of mink/gdpr/exporter.hpp.
#include "mink/gdpr/exporter.hpp"

#include "mink/gdpr/exporter-inl.hpp"

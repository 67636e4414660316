// A program built with nothing but `pkg-config --cflags --libs mink-memory` against an
// installed mink (tests/consumption-common/run.cmake, SHAPE=pkg_config).
#include "exercise.hpp"

#ifdef MINK_HEADER_ONLY
#error "this consumer must use the compiled library"
#endif

int main() { return consumer::RunAll("pkg-config, compiled"); }

// A separate project that builds mink with add_subdirectory, as a shared library.
#include "exercise.hpp"

#ifdef MINK_HEADER_ONLY
#error "this consumer must use the compiled library"
#endif

int main() { return consumer::RunAll("add_subdirectory, shared"); }

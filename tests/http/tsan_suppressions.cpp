// ThreadSanitizer suppressions for binaries that run cpp-httplib test servers.
//
// Debian's libcpp-httplib.so is not built with -fsanitize=thread, so TSan sees only the
// memcpy/memcmp its workers call, not the synchronisation around them, and now and then
// reports a race between two server worker threads with every frame inside the library.
// `called_from_lib` ignores only accesses the library itself makes through intercepted calls;
// mink's code (and the tests' handlers) stay fully checked. Linked into test binaries only.
extern "C" const char* __tsan_default_suppressions() {
  return "called_from_lib:libcpp-httplib.so\n";
}

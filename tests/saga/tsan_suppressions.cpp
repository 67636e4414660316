// ThreadSanitizer suppressions for the saga tests (SagaManager::StartAsync hands the loop's
// outcome over through a std::promise / std::future).
//
// libstdc++'s std::exception_ptr counts its references with atomics inside libstdc++.so, which
// is not built with -fsanitize=thread. When the manager's worker thread drops the last
// reference to an exception the test thread has already caught and read (future::get()
// rethrows it), TSan sees the free on the worker and the earlier read on the test thread but
// not the atomic decrements that order them, and reports a race that cannot happen. Only
// reports with exception_ptr::_M_release in a stack are suppressed; everything else in the
// manager stays checked. Linked into test binaries only.
extern "C" const char* __tsan_default_suppressions() {
  return "race:std::__exception_ptr::exception_ptr::_M_release\n";
}

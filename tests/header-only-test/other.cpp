// The second translation unit of the header-only consumer: includes all of mink again and uses
// it, so every inline definition is emitted here as well as in main.cpp.
#include "exercise.hpp"

int OtherTranslationUnit() {
  mink::Error error(mink::errc::kStorageFailed, "from the other translation unit");
  if (!mink::ErrorIs(error, mink::errc::kStorageFailed)) return 1;
  consumer::ExerciseEventStore();
  return 0;
}

# Fails when any C++ source of the project is not clang-formatted.
file(GLOB_RECURSE files
  ${SOURCE_DIR}/include/*.hpp ${SOURCE_DIR}/adapters/*.hpp ${SOURCE_DIR}/adapters/*.cpp
  ${SOURCE_DIR}/src/*.cpp ${SOURCE_DIR}/tests/*.hpp ${SOURCE_DIR}/tests/*.cpp
  ${SOURCE_DIR}/examples/*.cpp ${SOURCE_DIR}/bench/*.cpp)
execute_process(COMMAND ${CLANG_FORMAT} --dry-run -Werror ${files} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "clang-format found unformatted files; run: clang-format -i <files>")
endif()

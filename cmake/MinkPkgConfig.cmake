# pkg-config files for the installed package, one per exported target, derived from the
# targets themselves so that a new adapter gets its file without writing one:
#   mink.pc              mink::mink (the compiled core)
#   mink-header-only.pc  mink::mink_header_only (-DMINK_HEADER_ONLY, nothing to link)
#   mink-<name>.pc       mink::<name> (memory, postgres, http, aws, ...)
# A target's dependencies become `Requires:` (pkg-config modules) or `Libs:` flags through the
# table below. mink's libraries are static by default, and `pkg-config --libs` without --static
# ignores the .private fields, so a static or header-only target puts every dependency in the
# public fields; a shared library keeps its private ones private.
#
# Files are relocatable (prefix=${pcfiledir}/..), so `cmake --install --prefix` anywhere works.

# Imported target (or plain library name) -> pkg-config module ("pc:<module>") or flags.
set(_mink_pc_map
  "nlohmann_json::nlohmann_json=pc:nlohmann_json"
  "spdlog::spdlog=pc:spdlog"
  "fmt::fmt=pc:fmt"
  "OpenSSL::Crypto=pc:libcrypto"
  "OpenSSL::SSL=pc:libssl"
  "Threads::Threads=-pthread"
  "CURL::libcurl=pc:libcurl"
  "PkgConfig::PQXX=pc:libpqxx"
  "pq=pc:libpq"
  "PkgConfig::RDKAFKA=pc:rdkafka"
  "prometheus-cpp::core=pc:prometheus-cpp-core"
  "GTest::gtest=pc:gtest"
  "GTest::gmock=pc:gmock"
  "GTest::gtest_main=pc:gtest_main"
  "GTest::gmock_main=pc:gmock_main")

# The pkg-config module name of an exported mink target.
function(_mink_pc_module_name target out)
  if(target STREQUAL "mink")
    set(name mink)
  else()
    get_target_property(export_name ${target} EXPORT_NAME)
    if(NOT export_name)
      string(REGEX REPLACE "^mink_" "" export_name "${target}")
    endif()
    string(REPLACE "_" "-" export_name "${export_name}")
    string(REGEX REPLACE "^mink-" "" export_name "${export_name}")
    set(name mink-${export_name})
  endif()
  set(${out} ${name} PARENT_SCOPE)
endfunction()

# Translates one link item into "pc:<module>", flags, or "" (build-only); warns on anything
# the table does not know.
function(_mink_pc_translate item out)
  set(result "")
  if(item MATCHES "^\\$<BUILD_INTERFACE:" OR item MATCHES "^\\$<LINK_ONLY:\\$<BUILD_INTERFACE:")
    # build-only (mink_build_flags)
  elseif(item MATCHES "^mink::")
    get_target_property(t ${item} ALIASED_TARGET)
    if(NOT t)
      set(t ${item})
    endif()
    _mink_pc_module_name(${t} mod)
    set(result "pc:${mod}")
  else()
    foreach(entry IN LISTS _mink_pc_map)
      string(FIND "${entry}" "=" eq)
      string(SUBSTRING "${entry}" 0 ${eq} key)
      math(EXPR eq "${eq} + 1")
      string(SUBSTRING "${entry}" ${eq} -1 value)
      if(item STREQUAL key)
        set(result "${value}")
        break()
      endif()
    endforeach()
    if(result STREQUAL "")
      message(WARNING "mink pkg-config: no pkg-config module known for '${item}'; add it to "
                      "the table in cmake/MinkPkgConfig.cmake")
    endif()
  endif()
  set(${out} "${result}" PARENT_SCOPE)
endfunction()

# mink_install_pkgconfig(<exported targets>...)
function(mink_install_pkgconfig)
  # prefix relative to the .pc file (${pcfiledir} is <libdir>/pkgconfig).
  if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
    set(_pc_prefix "${CMAKE_INSTALL_PREFIX}")
  else()
    set(_pc_prefix "\${pcfiledir}/..")
    string(REGEX MATCHALL "[^/]+" _parts "${CMAKE_INSTALL_LIBDIR}")
    foreach(_p IN LISTS _parts)
      string(APPEND _pc_prefix "/..")
    endforeach()
  endif()
  foreach(target IN LISTS ARGN)
    _mink_pc_module_name(${target} _pc_name)
    get_target_property(type ${target} TYPE)
    get_target_property(iface ${target} INTERFACE_LINK_LIBRARIES)
    if(NOT iface)
      set(iface "")
    endif()
    set(all "${iface}")
    if(NOT type STREQUAL "INTERFACE_LIBRARY")
      get_target_property(direct ${target} LINK_LIBRARIES)
      if(direct)
        list(APPEND all ${direct})
      endif()
    endif()
    list(REMOVE_DUPLICATES all)
    set(requires "")
    set(requires_private "")
    set(libs "")
    set(libs_private "")
    if(NOT type STREQUAL "INTERFACE_LIBRARY")
      get_target_property(output_name ${target} OUTPUT_NAME)
      if(NOT output_name)
        set(output_name ${target})
      endif()
      set(libs "-L\${libdir} -l${output_name}")
    endif()
    foreach(item IN LISTS all)
      if(item MATCHES "^\\$<LINK_ONLY:(.*)>$")
        set(item "${CMAKE_MATCH_1}")
      endif()
      _mink_pc_translate("${item}" tr)
      if(tr STREQUAL "")
        continue()
      endif()
      # Public: in the interface (or anything of a static / interface library).
      if(type STREQUAL "SHARED_LIBRARY" AND NOT item IN_LIST iface)
        set(private TRUE)
      else()
        set(private FALSE)
      endif()
      if(tr MATCHES "^pc:(.*)$")
        if(private)
          list(APPEND requires_private ${CMAKE_MATCH_1})
        else()
          list(APPEND requires ${CMAKE_MATCH_1})
        endif()
      elseif(private)
        string(APPEND libs_private " ${tr}")
      else()
        string(APPEND libs " ${tr}")
      endif()
    endforeach()
    list(REMOVE_DUPLICATES requires)
    list(REMOVE_DUPLICATES requires_private)
    list(REMOVE_ITEM requires_private ${requires})
    string(REPLACE ";" ", " _pc_requires "${requires}")
    string(REPLACE ";" ", " _pc_requires_private "${requires_private}")
    string(STRIP "${libs}" _pc_libs)
    string(STRIP "${libs_private}" _pc_libs_private)
    set(_pc_cflags "")
    get_target_property(defs ${target} INTERFACE_COMPILE_DEFINITIONS)
    if(defs)
      foreach(d IN LISTS defs)
        string(APPEND _pc_cflags " -D${d}")
      endforeach()
    endif()
    if(target STREQUAL "mink")
      set(_pc_description "${PROJECT_DESCRIPTION}: the compiled core")
    elseif(target STREQUAL "mink_header_only")
      set(_pc_description "${PROJECT_DESCRIPTION}: the core, header-only")
    else()
      string(REGEX REPLACE "^mink-" "" _pc_component "${_pc_name}")
      set(_pc_description "${PROJECT_DESCRIPTION}: the ${_pc_component} component")
    endif()
    configure_file(${PROJECT_SOURCE_DIR}/cmake/mink.pc.in
                   ${PROJECT_BINARY_DIR}/pkgconfig/${_pc_name}.pc @ONLY)
    install(FILES ${PROJECT_BINARY_DIR}/pkgconfig/${_pc_name}.pc
            DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
  endforeach()
endfunction()

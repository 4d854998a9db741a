# FindCAF.cmake -- locate the C++ Actor Framework 0.17 as shipped by Debian.
#
# CAF 0.17.6 (Debian's libcaf-dev) installs headers and shared libraries but
# no CMake package configuration, so we look for them ourselves.
#
# Provides the imported targets
#   CAF::core     libcaf_core    (package libcaf-dev)
#   CAF::io       libcaf_io      (package libcaf-dev)
#   CAF::openssl  libcaf_openssl (package libcaf-dev)
# and sets CAF_FOUND, CAF_VERSION, CAF_INCLUDE_DIR.
# Headers are marked SYSTEM so warnings-as-errors applies to pact code only.

find_path(CAF_INCLUDE_DIR caf/config.hpp)
find_library(CAF_CORE_LIBRARY caf_core)
find_library(CAF_IO_LIBRARY caf_io)
find_library(CAF_OPENSSL_LIBRARY caf_openssl)

if(CAF_INCLUDE_DIR AND EXISTS "${CAF_INCLUDE_DIR}/caf/config.hpp")
  file(STRINGS "${CAF_INCLUDE_DIR}/caf/config.hpp" _caf_version_line
       REGEX "^#define CAF_VERSION [0-9]+")
  if(_caf_version_line MATCHES "CAF_VERSION ([0-9]+)")
    math(EXPR _major "${CMAKE_MATCH_1} / 10000")
    math(EXPR _minor "(${CMAKE_MATCH_1} / 100) % 100")
    math(EXPR _patch "${CMAKE_MATCH_1} % 100")
    set(CAF_VERSION "${_major}.${_minor}.${_patch}")
  endif()
endif()

set(_caf_missing "")
foreach(_v CAF_INCLUDE_DIR CAF_CORE_LIBRARY CAF_IO_LIBRARY CAF_OPENSSL_LIBRARY)
  if(NOT ${_v})
    list(APPEND _caf_missing ${_v})
  endif()
endforeach()

if(_caf_missing)
  set(CAF_FOUND FALSE)
  if(CAF_FIND_REQUIRED)
    message(FATAL_ERROR
      "CAF (C++ Actor Framework) not found (missing: ${_caf_missing}). "
      "Install the Debian package 'libcaf-dev' (and 'libssl-dev' for "
      "caf_openssl), or run deploy/install-deps.sh.")
  endif()
  return()
endif()

if(CAF_VERSION AND CAF_VERSION VERSION_LESS 0.17 OR CAF_VERSION VERSION_GREATER_EQUAL 0.18)
  message(FATAL_ERROR "pact is written against CAF 0.17.x (Debian 12's "
                      "'libcaf-dev'); found CAF ${CAF_VERSION}")
endif()

set(CAF_FOUND TRUE)
message(STATUS "Found CAF ${CAF_VERSION}: ${CAF_CORE_LIBRARY}")

foreach(_c core io openssl)
  string(TOUPPER ${_c} _C)
  if(NOT TARGET CAF::${_c})
    add_library(CAF::${_c} SHARED IMPORTED)
    set_target_properties(CAF::${_c} PROPERTIES
      IMPORTED_LOCATION "${CAF_${_C}_LIBRARY}"
      INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}"
      INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}")
  endif()
endforeach()
set_property(TARGET CAF::io APPEND PROPERTY INTERFACE_LINK_LIBRARIES CAF::core)
set_property(TARGET CAF::openssl APPEND PROPERTY INTERFACE_LINK_LIBRARIES
  CAF::io OpenSSL::SSL OpenSSL::Crypto)

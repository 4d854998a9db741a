# Every third-party dependency is found here, once. Each failure names the
# Debian package that provides it (the full list lives in deploy/packages.txt).

find_package(Threads REQUIRED)

find_package(OpenSSL REQUIRED)
find_package(CAF REQUIRED)

find_package(Protobuf REQUIRED)
if(NOT Protobuf_PROTOC_EXECUTABLE)
  message(FATAL_ERROR "protoc not found: install the Debian package "
                      "'protobuf-compiler'")
endif()

find_path(LMDB_INCLUDE_DIR lmdb.h)
find_library(LMDB_LIBRARY lmdb)
if(NOT LMDB_INCLUDE_DIR OR NOT LMDB_LIBRARY)
  message(FATAL_ERROR "LMDB not found: install the Debian package 'liblmdb-dev'")
endif()
add_library(pact::lmdb UNKNOWN IMPORTED)
set_target_properties(pact::lmdb PROPERTIES IMPORTED_LOCATION "${LMDB_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${LMDB_INCLUDE_DIR}")

# dtl (header-only): unified diffs of drifted files (runtime/node).
find_path(DTL_INCLUDE_DIR dtl/dtl.hpp)
if(NOT DTL_INCLUDE_DIR)
  message(FATAL_ERROR "dtl not found: install the Debian package 'libdtl-dev'")
endif()
add_library(pact::dtl INTERFACE IMPORTED)
set_target_properties(pact::dtl PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${DTL_INCLUDE_DIR}")

find_package(Boost 1.74 REQUIRED COMPONENTS program_options)
find_package(spdlog REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(tomlplusplus REQUIRED)
find_package(prometheus-cpp CONFIG REQUIRED)
if(PACT_BUILD_TESTS)
  find_package(doctest REQUIRED)
endif()

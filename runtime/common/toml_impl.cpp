// toml++'s implementation, compiled once into pact_common instead of
// linking libtomlplusplus.so: one shared library fewer for the dynamic
// loader at every `pact` invocation (cmake/PactDependencies.cmake,
// PACT_STATIC_DEPS; docs/dependencies.md). With PACT_STATIC_DEPS off the
// binaries link Debian's shared library and this file compiles to nothing.
#if defined(PACT_TOML_COMPILED_IN)
#define TOML_IMPLEMENTATION
#include <toml++/toml.h>
#endif

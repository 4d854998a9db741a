#pragma once

// Recorded GPU tool outputs (testdata/gpu) for the GPU tests.

#include <doctest/doctest.h>

#include <string>

#include "runtime/common/files.hpp"

namespace pact::node::test {

inline std::string gpu_data(const std::string& name) {
  return std::string(PACT_NODE_TESTDATA) + "/gpu/" + name;
}

inline std::string recorded(const std::string& name) {
  auto text = files::read_all(gpu_data(name));
  REQUIRE(text);
  return *text;
}

} // namespace pact::node::test

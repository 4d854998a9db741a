#pragma once

// Recorded GPU tool outputs (testdata/gpu) and temporary directories for
// the runtime/node tests.

#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

#include "runtime/common/files.hpp"
#include "runtime/node/gpu_health.hpp"

namespace pact::node::test {

inline std::string gpu_data(const std::string& name) {
  return std::string(PACT_NODE_TESTDATA) + "/gpu/" + name;
}

inline std::string recorded(const std::string& name) {
  auto text = files::read_all(gpu_data(name));
  REQUIRE(text);
  return *text;
}

/// A fresh directory under /tmp.
inline std::string temp_dir() {
  char tmpl[] = "/tmp/pact-node-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  return tmpl;
}

/// A successful nvidia-smi poll that printed the recording `name`.
inline gpu_poll nvidia_poll(const std::string& name) {
  auto r = parse_nvidia_csv(recorded(name));
  REQUIRE(r);
  gpu_poll p;
  p.tool = "nvidia-smi";
  p.status = "ok";
  p.report = *r;
  return p;
}

} // namespace pact::node::test

#pragma once

// A temporary --root for the node boot tests, removed afterwards.

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace pact::node::test {

struct temp_root {
  std::string path;
  temp_root() {
    char tmpl[] = "/tmp/pact-node-root-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~temp_root() {
    std::string cmd = "rm -rf '" + path + "'";
    (void)std::system(cmd.c_str());
  }
  std::string read(const std::string& rel) const {
    std::ifstream in(path + rel);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
};

} // namespace pact::node::test

#pragma once

// The node the CLI runs on: the short host name. Commands about "this
// node" (`pact commit`, `pact extend`) default to it, as an operator on a
// node would expect.

#include <string>

#include <unistd.h>

namespace pact::cli {

inline std::string local_node() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0)
    return {};
  std::string h = buf;
  return h.substr(0, h.find('.'));
}

} // namespace pact::cli

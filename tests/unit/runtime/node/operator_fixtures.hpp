#pragma once

// Shared by the tests of committing drift and restoring a node
// (drift_commit_test.cpp, node_restore_test.cpp): a drift state over a
// temporary root whose baseline keeps content up to 64 bytes.

#include <fstream>
#include <iterator>
#include <string>

#include "runtime/node/drift_state.hpp"
#include "tests/unit/runtime/node/node_fixtures.hpp"

namespace pact::test {

inline constexpr int64_t t0 = 1'700'000'000'000;
inline constexpr auto files = protocol::DELTA_CATEGORY_FILES;
inline constexpr auto kernel = protocol::DELTA_CATEGORY_KERNEL;

/// Settings for a drift state under `r`: files over 64 bytes are hashes.
inline node::drift_settings small_cap_settings(const temp_root& r) {
  node::drift_settings s;
  s.root = r.path();
  s.limits.max_file_bytes = 64;
  return s;
}

/// A declared item: `key` = `value` in dimension `c`, action ADD.
inline protocol::DeltaItem delta_item(protocol::DeltaCategory c,
                                      const std::string& key,
                                      const std::string& value) {
  protocol::DeltaItem i;
  i.set_category(c);
  i.set_action(protocol::DELTA_ACTION_ADD);
  i.set_key(key);
  i.set_value(value);
  return i;
}

/// What node path `p` holds under `r`.
inline std::string read_node_file(const temp_root& r, const std::string& p) {
  std::ifstream in(r.host(p), std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

} // namespace pact::test

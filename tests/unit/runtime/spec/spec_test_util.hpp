#pragma once

// Helpers shared by the overlay spec tests.

#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "runtime/spec/overlay_spec.hpp"

namespace pact::spec::test {

using namespace pact::protocol;

/// Parses `text` as "t.toml"; the test fails if it does not parse.
inline std::vector<OverlaySpec> parse_ok(const std::string& text) {
  auto r = parse_spec_text(text, "t.toml");
  if (!r)
    FAIL_CHECK("unexpected error: " << r.err().message);
  REQUIRE(r.has_value());
  return *r;
}

/// The error of parsing `text` as "t.toml"; the test fails if it parses.
inline std::string parse_error(const std::string& text) {
  auto r = parse_spec_text(text, "t.toml");
  REQUIRE_FALSE(r.has_value());
  return r.err().message;
}

/// The single vCluster of `text`.
inline OverlaySpec parse_one(const std::string& text) {
  auto specs = parse_ok(text);
  REQUIRE(specs.size() == 1);
  return specs[0];
}

/// The value of the item (category, key) of `spec`; "<absent>" if none.
inline std::string value_of(const OverlaySpec& spec, DeltaCategory category,
                            const std::string& key) {
  for (const auto& item : spec.items())
    if (item.category() == category && item.key() == key)
      return item.value();
  return "<absent>";
}

} // namespace pact::spec::test

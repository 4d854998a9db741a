// The JSON Schema subset that tool arguments are checked against.

#include <doctest/doctest.h>

#include "mcp/schema.hpp"

using pact::mcp::clip;
using pact::mcp::schema_violation;
using json = nlohmann::json;

TEST_CASE("types follow JSON Schema: an integer is a number without fraction") {
  json integer = {{"type", "integer"}};
  CHECK_FALSE(schema_violation(integer, 5));
  CHECK_FALSE(schema_violation(integer, 5.0));
  CHECK_FALSE(schema_violation(integer, -5));
  CHECK(schema_violation(integer, 5.5));
  CHECK(schema_violation(integer, "5"));
  CHECK(schema_violation(integer, true));
  CHECK_FALSE(schema_violation({{"type", "number"}}, 5.5));
  CHECK_FALSE(schema_violation({{"type", "null"}}, nullptr));
  CHECK(schema_violation({{"type", "array"}}, json::object()));
  CHECK_FALSE(schema_violation({{"type", "boolean"}}, false));
  // Without a type (or an unknown keyword) everything fits.
  CHECK_FALSE(schema_violation(json::object(), json::array()));
}

TEST_CASE("bounds of numbers and strings") {
  json s = {{"type", "integer"}, {"minimum", 1}, {"maximum", 3}};
  CHECK_FALSE(schema_violation(s, 1));
  CHECK_FALSE(schema_violation(s, 3));
  CHECK(*schema_violation(s, 0) == "arguments must be at least 1");
  CHECK(*schema_violation(s, 4) == "arguments must be at most 3");
  CHECK(schema_violation(s, 18446744073709551615ull));
  json str = {{"type", "string"}, {"minLength", 1}, {"maxLength", 2}};
  CHECK(schema_violation(str, ""));
  CHECK_FALSE(schema_violation(str, "ab"));
  CHECK(*schema_violation(str, "abc")
        == "arguments must have at most 2 characters");
  // Lengths count characters, not bytes: "éé" is 4 bytes, 2 characters.
  CHECK_FALSE(schema_violation(str, "\xc3\xa9\xc3\xa9"));
}

TEST_CASE("objects: required, closed, nested properties") {
  json s = {{"type", "object"},
            {"properties",
             {{"a",
               {{"type", "object"},
                {"properties", {{"b", {{"type", "string"}}}}},
                {"additionalProperties", false}}}}},
            {"required", json::array({"a"})}};
  CHECK(*schema_violation(s, json::object())
        == "missing required argument 'a'");
  CHECK_FALSE(schema_violation(s, {{"a", json::object()}, {"extra", 1}}));
  CHECK(*schema_violation(s, {{"a", {{"b", 1}}}})
        == "argument 'a.b' must be a string (got number)");
  CHECK(*schema_violation(s, {{"a", {{"c", 1}}}}) == "unknown argument 'a.c'");
}

TEST_CASE("clip keeps short text and never cuts inside a UTF-8 character") {
  CHECK(clip("abc", 5) == "abc");
  CHECK(clip("abcdef", 3) == "abc...");
  // "é" is two bytes; a cut after its first byte backs off before it.
  CHECK(clip("a\xc3\xa9z", 2) == "a...");
}

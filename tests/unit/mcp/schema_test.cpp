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

TEST_CASE("type may list several names") {
  json s = {{"type", json::array({"string", "null"})}};
  CHECK_FALSE(schema_violation(s, "x"));
  CHECK_FALSE(schema_violation(s, nullptr));
  CHECK(*schema_violation(s, 5)
        == "arguments must be a string or null (got number)");
  json three = {{"type", json::array({"integer", "array", "object"})}};
  CHECK(*schema_violation(three, "x")
        == "arguments must be an integer, an array or an object (got string)");
}

TEST_CASE("items, minItems and maxItems, with the element's place") {
  json s = {{"type", "array"},
            {"items", {{"type", "string"}, {"minLength", 1}}},
            {"minItems", 1},
            {"maxItems", 3}};
  CHECK_FALSE(schema_violation(s, {"a", "b"}));
  CHECK(*schema_violation(s, json::array()) == "arguments must not be empty");
  CHECK(*schema_violation(s, {"a", "b", "c", "d"})
        == "arguments must have at most 3 items");
  CHECK(*schema_violation(s, {"a", 2})
        == "argument '[1]' must be a string (got number)");
  json obj = {{"type", "object"}, {"properties", {{"set", s}}}};
  CHECK(*schema_violation(obj, {{"set", {"a", ""}}})
        == "argument 'set[1]' must not be empty");
}

TEST_CASE("enum and const compare by value") {
  json e = {{"enum", json::array({"up", "down", 1})}};
  CHECK_FALSE(schema_violation(e, "up"));
  CHECK_FALSE(schema_violation(e, 1.0));
  CHECK(*schema_violation(e, "left")
        == "arguments must be one of \"up\", \"down\", 1");
  json c = {{"const", {{"a", 1}}}};
  CHECK_FALSE(schema_violation(c, {{"a", 1.0}}));
  CHECK(*schema_violation(c, {{"a", 2}}) == "arguments must be {\"a\":1}");
}

TEST_CASE("anyOf needs one fitting schema, oneOf exactly one") {
  json any = {{"anyOf", json::array({{{"type", "string"}},
                                     {{"type", "integer"}, {"minimum", 0}}})}};
  CHECK_FALSE(schema_violation(any, "x"));
  CHECK_FALSE(schema_violation(any, 3));
  CHECK(*schema_violation(any, -1)
        == "arguments fits none of the schemas its anyOf allows");
  json one = {{"oneOf", json::array({{{"type", "integer"}},
                                     {{"type", "number"}, {"maximum", 1}}})}};
  CHECK_FALSE(schema_violation(one, 5));
  CHECK_FALSE(schema_violation(one, 0.5));
  CHECK(*schema_violation(one, 1)
        == "arguments fits more than one of the schemas its oneOf allows");
  CHECK(*schema_violation(one, "x")
        == "arguments fits none of the schemas its oneOf allows");
}

TEST_CASE("additionalProperties as a schema checks the other members") {
  json s = {{"type", "object"},
            {"properties", {{"name", {{"type", "string"}}}}},
            {"additionalProperties", {{"type", "integer"}, {"maximum", 10}}}};
  CHECK_FALSE(schema_violation(s, {{"name", "x"}, {"a", 1}, {"b", 10}}));
  CHECK(*schema_violation(s, {{"name", "x"}, {"a", 11}})
        == "argument 'a' must be at most 10");
  CHECK(*schema_violation(s, {{"a", "y"}})
        == "argument 'a' must be an integer (got string)");
}

TEST_CASE("output messages name members by their path") {
  using pact::mcp::output_violation;
  json s = {{"type", "object"},
            {"properties",
             {{"nodes",
               {{"type", "array"},
                {"items",
                 {{"type", "object"},
                  {"properties",
                   {{"state", {{"enum", json::array({"up", "down"})}}},
                    {"gpus", {{"type", "integer"}, {"minimum", 0}}}}},
                  {"required", json::array({"state"})},
                  {"additionalProperties", false}}}}}}},
            {"required", json::array({"nodes"})}};
  json good
    = {{"nodes", {{{"state", "up"}}, {{"state", "down"}, {"gpus", 4}}}}};
  CHECK_FALSE(output_violation(s, good));
  json bad = good;
  bad["nodes"].push_back({{"state", "up"}});
  bad["nodes"].push_back({{"state", "lost"}});
  CHECK(*output_violation(s, bad)
        == "'nodes[3].state' must be one of \"up\", \"down\"");
  CHECK(*output_violation(s, json::object())
        == "missing required member 'nodes'");
  CHECK(*output_violation(s, {{"nodes", {{{"state", "up"}, {"x", 1}}}}})
        == "unknown member 'nodes[0].x'");
  CHECK(*output_violation(s, {{"nodes", {{{"state", "up"}, {"gpus", -1}}}}})
        == "'nodes[0].gpus' must be at least 0");
  CHECK(*output_violation(s, json::array())
        == "structuredContent must be an object (got array)");
}

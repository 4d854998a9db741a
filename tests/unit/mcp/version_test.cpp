// What each protocol revision sees: tools/list fields (title, outputSchema
// and annotations came with 2025-03-26 and 2025-06-18), structuredContent,
// cursor pagination, and the outputSchema check of results.

#include <doctest/doctest.h>

#include <string>

#include "mcp/server.hpp"

using namespace pact::mcp;

namespace {

const json out_schema
  = {{"type", "object"},
     {"properties",
      {{"state", {{"type", "string"}, {"enum", json::array({"up", "down"})}}}}},
     {"required", json::array({"state"})}};

/// "state" returns {"state": arguments.state}: "up" fits, "sideways" not.
tool state_tool() {
  tool t;
  t.name = "state";
  t.title = "Node state";
  t.description = "Says a state";
  t.input_schema = {{"type", "object"}};
  t.output_schema = out_schema;
  t.annotations = {false, true, false, true};
  t.call = [](const json& a, call_context&) -> tool_result {
    if (a.contains("raw"))
      return {"raw", a["raw"], false};
    return {"s", {{"state", a.value("state", "up")}}, false};
  };
  return t;
}

tool plain(const std::string& name) {
  tool t;
  t.name = name;
  t.title = "Plain " + name;
  t.input_schema = {{"type", "object"}};
  t.call = [](const json&, call_context&) -> tool_result {
    return {"p", {{"any", 1}}, false};
  };
  return t;
}

json request(int id, const std::string& method, json params = json::object()) {
  return {
    {"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}};
}

json init(server& s, const std::string& version) {
  auto r = s.handle(request(0, "initialize", {{"protocolVersion", version}}));
  REQUIRE(r);
  return (*r)["result"];
}

json listed(server& s) {
  auto r = s.handle(request(1, "tools/list"));
  REQUIRE(r);
  return (*r)["result"]["tools"][0];
}

json call(server& s, json args) {
  auto r = s.handle(
    request(2, "tools/call", {{"name", "state"}, {"arguments", args}}));
  REQUIRE(r);
  return *r;
}

} // namespace

TEST_CASE("initialize speaks four versions and says what the server is") {
  CHECK(supported_protocol_versions()
        == std::vector<std::string>{"2025-11-25", "2025-06-18", "2025-03-26",
                                    "2024-11-05"});
  for (auto& v : supported_protocol_versions()) {
    server s{"pact-mcp", "9", {state_tool()}};
    auto r = init(s, v);
    CHECK(r["protocolVersion"] == v);
    CHECK(r["capabilities"]["tools"]["listChanged"] == false);
    CHECK(r["serverInfo"]["name"] == "pact-mcp");
    CHECK(r["instructions"].is_string());
    CHECK(s.protocol_version() == v);
  }
  server s{"pact-mcp", "9", {}};
  CHECK(init(s, "2024-01-01")["protocolVersion"] == "2025-11-25");
}

TEST_CASE("tools/list shows title, outputSchema and annotations by version") {
  for (auto v : {"2025-11-25", "2025-06-18", ""}) {
    CAPTURE(v);
    server s{"pact-mcp", "9", {state_tool()}};
    if (*v)
      init(s, v);
    auto t = listed(s);
    CHECK(t["name"] == "state");
    CHECK(t["title"] == "Node state");
    CHECK(t["description"] == "Says a state");
    CHECK(t["inputSchema"] == json{{"type", "object"}});
    CHECK(t["outputSchema"] == out_schema);
    CHECK(t["annotations"]
          == json{{"readOnlyHint", false},
                  {"destructiveHint", true},
                  {"idempotentHint", false},
                  {"openWorldHint", true}});
  }
  server s{"pact-mcp", "9", {state_tool()}};
  init(s, "2025-03-26");
  auto t = listed(s);
  CHECK_FALSE(t.contains("title"));
  CHECK_FALSE(t.contains("outputSchema"));
  CHECK(t["annotations"]["title"] == "Node state");
  CHECK(t["annotations"]["readOnlyHint"] == false);
  CHECK(t["annotations"]["openWorldHint"] == true);
  server old{"pact-mcp", "9", {state_tool()}};
  init(old, "2024-11-05");
  t = listed(old);
  CHECK_FALSE(t.contains("title"));
  CHECK_FALSE(t.contains("outputSchema"));
  CHECK_FALSE(t.contains("annotations"));
  CHECK(t["inputSchema"].is_object());
  // A tool without an outputSchema lists none.
  server p{"pact-mcp", "9", {plain("p")}};
  CHECK_FALSE(listed(p).contains("outputSchema"));
}

TEST_CASE("structuredContent from 2025-06-18 on") {
  for (auto v : {"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"}) {
    CAPTURE(v);
    server s{"pact-mcp", "9", {state_tool()}};
    init(s, v);
    auto r = call(s, json::object());
    CHECK(r["result"]["content"][0]["text"] == "s");
    bool structured = std::string(v) >= "2025-06-18";
    CHECK(r["result"].contains("structuredContent") == structured);
    if (structured)
      CHECK(r["result"]["structuredContent"] == json{{"state", "up"}});
  }
}

TEST_CASE("a result that does not fit the outputSchema is an internal error") {
  server s{"pact-mcp", "9", {state_tool()}};
  std::vector<std::string> logged;
  s.set_error_log([&](const std::string& text) { logged.push_back(text); });
  auto r = call(s, {{"state", "sideways"}});
  CHECK(r["id"] == 2);
  CHECK(r["error"]["code"] == internal_error);
  CHECK(r["error"]["message"]
        == "tool state returned a result that does not fit its outputSchema");
  REQUIRE(logged.size() == 1);
  CHECK(logged[0].find("'state' must be one of \"up\", \"down\"")
        != std::string::npos);
  CHECK(call(s, {{"raw", json::array()}})["error"]["code"] == internal_error);
  // The check holds at every version, structuredContent sent or not.
  init(s, "2024-11-05");
  CHECK(call(s, {{"state", "sideways"}})["error"]["code"] == internal_error);
  CHECK(call(s, {{"state", "down"}})["result"]["isError"] == false);
  // No structured content: nothing to check.
  CHECK(call(s, {{"raw", nullptr}})["result"]["content"][0]["text"] == "raw");
  CHECK(logged.size() == 3);
}

TEST_CASE("tools/list pages with an opaque cursor") {
  std::vector<tool> tools;
  for (auto n : {"a", "b", "c", "d", "e"})
    tools.push_back(plain(n));
  server s{"pact-mcp", "9", tools, 2};
  std::vector<std::string> names;
  json params = json::object();
  int pages = 0;
  for (;;) {
    auto r = s.handle(request(1, "tools/list", params));
    REQUIRE(r);
    auto& res = (*r)["result"];
    REQUIRE(res["tools"].size() <= 2);
    for (auto& t : res["tools"])
      names.push_back(t["name"]);
    ++pages;
    if (!res.contains("nextCursor"))
      break;
    REQUIRE(res["nextCursor"].is_string());
    params = {{"cursor", res["nextCursor"]}};
    REQUIRE(pages < 5);
  }
  CHECK(pages == 3);
  CHECK(names == std::vector<std::string>{"a", "b", "c", "d", "e"});
  for (auto bad : {"", "x", "p:", "p:0", "p:1", "p:6", "p:02", "p:-2",
                   "p:99999999999999999999", "p:18446744073709551616"}) {
    CAPTURE(bad);
    auto r = s.handle(request(9, "tools/list", {{"cursor", bad}}));
    REQUIRE(r);
    CHECK((*r)["id"] == 9);
    CHECK((*r)["error"]["code"] == invalid_params);
    CHECK((*r)["error"]["message"] == "invalid cursor");
  }
  // The default page holds every tool.
  server all{"pact-mcp", "9", tools};
  auto r = all.handle(request(1, "tools/list"));
  CHECK((*r)["result"]["tools"].size() == 5);
  CHECK_FALSE((*r)["result"].contains("nextCursor"));
}

// The MCP server core: lifecycle, version negotiation, tools and JSON-RPC
// error handling (the end-to-end test drives the binary with the official
// MCP TypeScript SDK client).

#include <doctest/doctest.h>

#include "mcp/server.hpp"

using namespace pact::mcp;

namespace {

server make_server(int* calls = nullptr) {
  tool echo;
  echo.name = "echo";
  echo.title = "Echo";
  echo.description = "Returns its argument";
  echo.input_schema = {{"type", "object"}};
  echo.call = [calls](const json& args, call_context&) -> tool_result {
    if (calls)
      ++*calls;
    if (args.value("fail", false))
      return {"it failed", nullptr, true};
    return {
      args.value("text", ""), {{"echoed", args.value("text", "")}}, false};
  };
  return server{"pact-mcp", "9.9.9", {echo}};
}

json request(int id, const std::string& method, json params = json::object()) {
  return {
    {"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}};
}

} // namespace

TEST_CASE("initialize negotiates the protocol version and names the server") {
  auto s = make_server();
  CHECK_FALSE(s.initialized());
  auto r
    = s.handle(request(1, "initialize",
                       {{"protocolVersion", "2024-11-05"},
                        {"capabilities", json::object()},
                        {"clientInfo", {{"name", "t"}, {"version", "1"}}}}));
  REQUIRE(r);
  CHECK((*r)["id"] == 1);
  CHECK((*r)["result"]["protocolVersion"] == "2024-11-05");
  CHECK((*r)["result"]["serverInfo"]["name"] == "pact-mcp");
  CHECK((*r)["result"]["serverInfo"]["version"] == "9.9.9");
  CHECK((*r)["result"]["capabilities"].contains("tools"));
  CHECK(s.initialized());
  // MCP lifecycle: once per session.
  auto again
    = s.handle(request(2, "initialize", {{"protocolVersion", "2025-06-18"}}));
  CHECK((*again)["error"]["code"] == invalid_request);
  CHECK((*again)["error"]["message"].get<std::string>().find(
          "initialized already (protocol 2024-11-05)")
        != std::string::npos);
  CHECK(s.protocol_version() == "2024-11-05");
  auto fresh = make_server();
  auto newer = fresh.handle(
    request(2, "initialize", {{"protocolVersion", "2099-01-01"}}));
  CHECK((*newer)["result"]["protocolVersion"]
        == supported_protocol_versions().front());
}

TEST_CASE("notifications get no answer; ping answers an empty result") {
  auto s = make_server();
  CHECK_FALSE(
    s.handle({{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}}));
  auto r = s.handle(request(7, "ping"));
  REQUIRE(r);
  CHECK((*r)["result"] == json::object());
}

TEST_CASE("tools are listed with their schema and called by name") {
  int calls = 0;
  auto s = make_server(&calls);
  auto list = s.handle(request(3, "tools/list"));
  REQUIRE(list);
  auto& tools = (*list)["result"]["tools"];
  REQUIRE(tools.size() == 1);
  CHECK(tools[0]["name"] == "echo");
  CHECK(tools[0]["inputSchema"]["type"] == "object");
  auto r = s.handle(request(
    4, "tools/call", {{"name", "echo"}, {"arguments", {{"text", "hi"}}}}));
  REQUIRE(r);
  CHECK(calls == 1);
  CHECK((*r)["result"]["isError"] == false);
  CHECK((*r)["result"]["content"][0]["type"] == "text");
  CHECK((*r)["result"]["content"][0]["text"] == "hi");
  CHECK((*r)["result"]["structuredContent"]["echoed"] == "hi");
  auto f = s.handle(request(
    5, "tools/call", {{"name", "echo"}, {"arguments", {{"fail", true}}}}));
  CHECK((*f)["result"]["isError"] == true);
  CHECK((*f)["result"]["content"][0]["text"] == "it failed");
}

TEST_CASE("protocol errors use the JSON-RPC codes") {
  auto s = make_server();
  auto bad_json = s.handle_line("{not json");
  REQUIRE(bad_json);
  auto j = json::parse(*bad_json);
  CHECK(j["error"]["code"] == parse_error);
  CHECK(j["id"].is_null());
  auto unknown = s.handle(request(6, "resources/list"));
  CHECK((*unknown)["error"]["code"] == method_not_found);
  auto no_tool = s.handle(request(8, "tools/call", {{"name", "nope"}}));
  CHECK((*no_tool)["error"]["code"] == invalid_params);
  auto not_rpc = s.handle(json{{"id", 9}, {"method", "ping"}});
  CHECK((*not_rpc)["error"]["code"] == invalid_request);
  auto bad_id = s.handle(
    json{{"jsonrpc", "2.0"}, {"id", json::array()}, {"method", "ping"}});
  CHECK((*bad_id)["error"]["code"] == invalid_request);
  CHECK_FALSE(s.handle_line("   "));
}
